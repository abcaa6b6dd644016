package dpop

import (
	"errors"
	"testing"

	"github.com/mcpauth/mcpauth"
)

func TestConfirmation(t *testing.T) {
	jkt := "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
	cases := []struct {
		name   string
		claims map[string]any
		want   string
		bad    bool
	}{
		{"no claims", nil, "", false},
		{"no cnf", map[string]any{"sub": "x"}, "", false},
		{"cnf without jkt", map[string]any{"cnf": map[string]any{"x5t#S256": "abc"}}, "", false},
		{"jkt", map[string]any{"cnf": map[string]any{"jkt": jkt}}, jkt, false},
		{"cnf a string", map[string]any{"cnf": jkt}, "", true},
		{"jkt a number", map[string]any{"cnf": map[string]any{"jkt": 1}}, "", true},
		{"jkt too short", map[string]any{"cnf": map[string]any{"jkt": jkt[:42]}}, "", true},
		{"jkt not base64url", map[string]any{"cnf": map[string]any{"jkt": jkt[:42] + "+"}}, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Confirmation(&mcpauth.AccessToken{Claims: c.claims})
			if c.bad {
				if !errors.Is(err, mcpauth.ErrInvalidToken) || mcpauth.ReasonOf(err) != ReasonUnbound {
					t.Fatalf("err = %v; want invalid token %s", err, ReasonUnbound)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("Confirmation = %q, %v; want %q", got, err, c.want)
			}
		})
	}
	if got, err := Confirmation(nil); got != "" || err != nil {
		t.Fatal("nil token")
	}
}

// TestTokenHash matches RFC 9449 §7.1's example.
func TestTokenHash(t *testing.T) {
	const token = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"
	if got := TokenHash(token); got != "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo" {
		t.Fatalf("TokenHash = %s", got)
	}
	checkATH := func(h *checkedHeader, ath, tok string) bool {
		enc := tokenATH(h, tok)
		return constantTimeEqual(ath, enc[:])
	}
	h := &checkedHeader{}
	for _, hdr := range []*checkedHeader{nil, h} {
		// The memo on a cached header gives the hash of the token it is
		// asked about, whatever it remembers.
		if !checkATH(hdr, TokenHash(token), token) || checkATH(hdr, TokenHash(token), token+"x") ||
			!checkATH(hdr, TokenHash(token), token) || !checkATH(hdr, TokenHash(token+"x"), token+"x") {
			t.Fatalf("checkATH (header %v)", hdr != nil)
		}
	}
	if e := h.ath.Load(); e == nil || e.token != token+"x" {
		t.Fatal("the cached header does not remember the last token")
	}
}
