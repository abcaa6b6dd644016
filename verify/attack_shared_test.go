package verify_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/attacks"
	"github.com/mcpauth/mcpauth/verify"
)

// TestAttackTokens runs the shared attack table (internal/attacks: every
// attack class of REFERENCE.md and more) through the verifier, with the PEM
// key and with the JWK Set, and asserts the error class and exact reason.
func TestAttackTokens(t *testing.T) {
	f, cases := attacks.Cases(t)
	verifiers := map[attacks.Variant]*verify.JWTVerifier{}
	for _, variant := range []attacks.Variant{attacks.PEM, attacks.JWKS, attacks.Providers} {
		v, err := verify.NewJWTVerifier(f.Settings(variant), verify.WithClock(func() time.Time { return f.Now }))
		if err != nil {
			t.Fatalf("%s: %v", variant, err)
		}
		t.Cleanup(func() { v.Close() })
		verifiers[variant] = v
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			at, err := verifiers[c.Variant].VerifyToken(context.Background(), c.Token)
			want := c.WantClass()
			if want == nil {
				if err != nil || at == nil {
					t.Fatalf("rejected: %v; want accepted", err)
				}
				return
			}
			if at != nil {
				t.Fatalf("returned an access token with error %v", err)
			}
			if err == nil {
				t.Fatalf("accepted; want %v with reason %q", want, c.WantReason)
			}
			for _, s := range []error{mcpauth.ErrInvalidToken, mcpauth.ErrInsufficientScope, mcpauth.ErrKeySourceUnavailable, mcpauth.ErrInvalidConfig} {
				if errors.Is(err, s) != (s == want) {
					t.Fatalf("err = %v; errors.Is(err, %v) = %v", err, s, errors.Is(err, s))
				}
			}
			if got := mcpauth.ReasonOf(err); got != c.WantReason {
				t.Fatalf("reason = %q (%v); want %q", got, err, c.WantReason)
			}
		})
	}
}

// TestAttackConfigs builds a verifier from each configuration of the
// shared table that must be refused at start-up (weak RSA keys, short or
// key-like HMAC secrets, alg none, mixed families, no issuer or audience)
// and asserts ErrInvalidConfig with a message naming the problem.
func TestAttackConfigs(t *testing.T) {
	f, _ := attacks.Cases(t)
	for _, c := range attacks.ConfigCases(t, f) {
		t.Run(c.Name, func(t *testing.T) {
			m := map[string]string{}
			for _, kv := range c.Env {
				k, v, _ := strings.Cut(kv, "=")
				m[k] = v
			}
			s, err := verify.SettingsFromMap(verify.EnvPrefix, m)
			if err == nil {
				var v *verify.JWTVerifier
				v, err = verify.NewJWTVerifier(s)
				if err == nil {
					v.Close()
					t.Fatal("accepted; want a configuration error")
				}
			}
			if !errors.Is(err, mcpauth.ErrInvalidConfig) || errors.Is(err, mcpauth.ErrInvalidToken) {
				t.Fatalf("err = %v; want only ErrInvalidConfig", err)
			}
			if !strings.Contains(err.Error(), c.WantError) {
				t.Fatalf("err = %q; want it to mention %q", err, c.WantError)
			}
			if c.Secret != "" && strings.Contains(err.Error(), c.Secret) {
				t.Fatal("the error echoes key material")
			}
		})
	}
}
