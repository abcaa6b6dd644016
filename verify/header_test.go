package verify

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth"
)

// TestHeaderScanner covers the header reader's own paths: member names
// beyond the inline duplicate check, escapes, Unicode case folding and
// nested values.
func TestHeaderScanner(t *testing.T) {
	v := rsaVerifier(t, nil)
	claims := mustJSON(t, goodClaims())
	many := func(n int, extra string) string {
		var b strings.Builder
		b.WriteString(`{"alg":"RS256"`)
		for i := range n {
			fmt.Fprintf(&b, `,"m%d":%d`, i, i)
		}
		return b.String() + extra + "}"
	}
	tests := []struct {
		name, header string
		want         mcpauth.Reason // "" means accepted
	}{
		{"many members", many(40, ""), ""},
		{"duplicate after the inline names", many(40, `,"m35":1`), mcpauth.ReasonMalformed},
		{"duplicate of an inline name after many", many(40, `,"m3":1`), mcpauth.ReasonMalformed},
		{"duplicate alg after many", many(40, `,"alg":"RS256"`), mcpauth.ReasonMalformed},
		{"escaped member name", `{"\u0061lg":"RS256"}`, ""},
		{"escaped algorithm", `{"alg":"RS\u0032\u00356"}`, ""},
		{"escaped duplicate alg", `{"alg":"RS256","\u0061lg":"RS256"}`, mcpauth.ReasonMalformed},
		{"Kelvin sign kid", `{"alg":"RS256","\u212aid":"x"}`, mcpauth.ReasonBadHeader},
		{"long s in p2s", `{"alg":"RS256","p2\u017f":1}`, mcpauth.ReasonBadHeader},
		{"upper case typ", `{"alg":"RS256","TYP":"JWT"}`, mcpauth.ReasonBadHeader},
		{"x5t#S256 case variant", `{"alg":"RS256","X5T#s256":"x"}`, mcpauth.ReasonBadHeader},
		{"x5t#S256 itself", `{"alg":"RS256","x5t#S256":"x"}`, ""},
		{"unregistered lower-case member", `{"alg":"RS256","ext":"x"}`, ""},
		{"b64 true", `{"alg":"RS256","b64":true}`, ""},
		{"b64 null", `{"alg":"RS256","b64":null}`, mcpauth.ReasonBadHeader},
		{"typ array", `{"alg":"RS256","typ":["JWT"]}`, mcpauth.ReasonBadHeader},
		{"kid escaped", `{"alg":"RS256","kid":"k\u0031"}`, ""},
		{"nested duplicate in jwk", `{"alg":"RS256","jwk":{"kty":"RSA","kty":"EC"}}`, mcpauth.ReasonMalformed},
		{"nested too deep", `{"alg":"RS256","x":` + strings.Repeat("[", 20) + strings.Repeat("]", 20) + `}`, mcpauth.ReasonMalformed},
		{"true with trailing letters", `{"alg":"RS256","b64":truex}`, mcpauth.ReasonMalformed},
		{"trailing data", `{"alg":"RS256"} {}`, mcpauth.ReasonMalformed},
		{"not an object", `["alg","RS256"]`, mcpauth.ReasonMalformed},
		{"alg number", `{"alg":256}`, mcpauth.ReasonBadHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.VerifyToken(context.Background(), signRaw(t, "RS256", k(t).rsa, tt.header, claims))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			wantReason(t, err, tt.want)
		})
	}
}

// TestHeaderMemberTypes checks the details that tell a member of the wrong
// JSON type from an empty one.
func TestHeaderMemberTypes(t *testing.T) {
	v := rsaVerifier(t, nil)
	claims := mustJSON(t, goodClaims())
	for header, want := range map[string]string{
		`{"alg":"RS256","kid":1}`:    "the kid header is not a string",
		`{"alg":"RS256","kid":null}`: "the kid header is not a string",
		`{"alg":"RS256","kid":""}`:   "the kid header is empty",
		`{"alg":["RS256"]}`:          "the alg header is missing or not a string",
		`{"alg":"RS256","typ":7}`:    "the token type (typ) is not an access token type",
	} {
		_, err := v.VerifyToken(context.Background(), signRaw(t, "RS256", k(t).rsa, header, claims))
		wantReason(t, err, mcpauth.ReasonBadHeader)
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want %q", header, err, want)
		}
	}
}
