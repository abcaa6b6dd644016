package main

import (
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
	"github.com/mcpauth/mcpauth/verify"
)

// TestVerifyVerboseShowsClaimsNotToken: verify -v puts the token's iss, aud
// and exp next to the configured issuer and audience, so a mismatch is
// plain, and never prints the token or its signature.
func TestVerifyVerboseShowsClaimsNotToken(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	tok := mint(t, kp, testkeys.TokenOptions{Audience: []string{"https://other.example.com/mcp"}, Subject: "secret-subject"})
	code, out, stderr := runCmd(t, tok, pemEnv(t, kp), "verify", "-v")
	if code != exitInvalid || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	for _, want := range []string{
		`token (unverified): iss "` + iss + `", aud ["https://other.example.com/mcp"], exp `,
		`configured:         issuers ["` + iss + `"], audiences ["` + aud + `"], leeway 30s`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	for _, s := range append(secretsOf(tok), "secret-subject") {
		if strings.Contains(stderr, s) {
			t.Errorf("stderr shows %q:\n%s", s, stderr)
		}
	}
	// Without -v none of it is shown.
	if _, _, stderr := runCmd(t, tok, pemEnv(t, kp), "verify"); strings.Contains(stderr, "unverified") {
		t.Errorf("shown without -v: %s", stderr)
	}
}

func TestPeekToken(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	now := time.Unix(1_800_000_000, 0)
	s := verify.Settings{Issuers: []string{"https://a"}, Audiences: []string{"https://r/mcp"}, Leeway: -1}
	jws := func(o testkeys.TokenOptions) string {
		o.IssuedAt = now
		tok, err := kp.CreateToken(o)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	for _, tt := range []struct {
		name, token, want string
	}{
		{"valid", jws(testkeys.TokenOptions{Issuer: "https://a", Audience: []string{"https://r/mcp"}, ExpiresIn: time.Hour}),
			`iss "https://a", aud ["https://r/mcp"], exp 2027-01-15T09:00:00Z (in 1h0m0s)`},
		{"expired", jws(testkeys.TokenOptions{ExpiresIn: -time.Minute}), "(expired 1m0s ago)"},
		{"missing claims", jws(testkeys.TokenOptions{OmitClaims: []string{"iss", "exp"}}), "iss (missing), aud (missing), exp (missing)"},
		{"bad aud and exp", jws(testkeys.TokenOptions{AdditionalClaims: map[string]any{"aud": 3, "exp": "soon", "iss": 5}}),
			"iss (not a string), aud (the aud claim is not a string or an array of strings), exp (not a JSON number)"},
		{"long aud list", jws(testkeys.TokenOptions{Audience: strings.Split("a b c d e f g h i j k l", " ")}), `"j", … 2 more]`},
		{"long value", jws(testkeys.TokenOptions{Issuer: strings.Repeat("x", 300)}), `"` + strings.Repeat("x", 200) + `…"`},
		{"control characters", jws(testkeys.TokenOptions{Issuer: "a\nb\x1b[31m"}), `iss "a\nb\x1b[31m"`},
		{"opaque", "opaque-token", "not a JWT (1 dot-separated parts, want 3)"},
		{"bad base64", "a.b!.c", "the payload is not base64url"},
		{"not an object", "a.WzFd.c", "the payload is not a JSON object"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := peekToken(tt.token, s, now)
			if !strings.Contains(got, tt.want) {
				t.Errorf("got:\n%s\nwant it to contain %q", got, tt.want)
			}
			if !strings.Contains(got, `configured:         issuers ["https://a"], audiences ["https://r/mcp"], leeway none`) {
				t.Errorf("configured line missing:\n%s", got)
			}
			if strings.Count(got, "\n") != 2 {
				t.Errorf("want two lines:\n%s", got)
			}
		})
	}
}
