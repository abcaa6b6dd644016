package differential_test

import (
	"context"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/attacks"
	"github.com/mcpauth/mcpauth/internal/differential"
	"github.com/mcpauth/mcpauth/verify"
)

// TestDifferentialAttackTable runs every token of the shared attack table
// (internal/attacks) through the verifier with both key sources, with and
// without the required scope, and checks each token mcpauth accepts with
// golang-jwt configured the same way: golang-jwt must accept it too and
// read the same claims. Without the required scope every row whose only
// fault is the scope must be accepted, so the comparison cannot run on
// nothing.
func TestDifferentialAttackTable(t *testing.T) {
	f, cases := attacks.Cases(t)
	now := func() time.Time { return f.Now }
	keys := map[attacks.Variant][]differential.Key{
		attacks.PEM:  {{Public: f.RSA.Public()}},
		attacks.JWKS: {{ID: f.RSA.KeyID(), Public: f.RSA.Public()}, {ID: f.EC.KeyID(), Public: f.EC.Public()}},
	}
	compared := 0
	for _, scoped := range []bool{true, false} {
		for _, variant := range []attacks.Variant{attacks.PEM, attacks.JWKS} {
			s := f.Settings(variant)
			if !scoped {
				s.RequiredScopes = nil
			}
			v, err := verify.NewJWTVerifier(s, verify.WithClock(now))
			if err != nil {
				t.Fatalf("%s: %v", variant, err)
			}
			t.Cleanup(func() { v.Close() })
			cfg := differential.Config{
				Keys:       keys[variant],
				Algorithms: v.Algorithms(),
				Issuers:    v.Issuers(),
				Audiences:  v.Audiences(),
				Leeway:     verify.DefaultLeeway,
				Now:        now,
			}
			for _, c := range cases {
				if c.Variant != variant {
					continue
				}
				at, err := v.VerifyToken(context.Background(), c.Token)
				mustAccept := c.WantReason == "" || (!scoped && c.WantReason == mcpauth.ReasonInsufficientScope)
				if err != nil {
					if mustAccept {
						t.Errorf("%s (required scope %v): refused: %v", c.Name, scoped, err)
					}
					continue
				}
				compared++
				if err := differential.Check(cfg, c.Token, at); err != nil {
					t.Errorf("%s (required scope %v): %v", c.Name, scoped, err)
				}
			}
		}
	}
	t.Logf("%d accepted tokens compared with golang-jwt", compared)
}
