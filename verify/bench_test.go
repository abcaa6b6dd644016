package verify

import (
	"context"
	"testing"
	"time"
)

// benchClaims is a realistic access token's claims (about 700 bytes once
// signed with RS256).
func benchClaims() map[string]any {
	return map[string]any{
		"iss":       testIssuer,
		"aud":       testAudience,
		"sub":       "user-4f1c9a2e-2b7d-4f61-9d0e-8a1b2c3d4e5f",
		"client_id": "mcp-client-7c0b2a",
		"scope":     "mcp:tools mcp:resources read write",
		"iat":       testNow.Add(-time.Minute).Unix(),
		"exp":       testNow.Add(time.Hour).Unix(),
		"jti":       "b6f3c0de-6a1e-4c4f-8d2a-0f9e8d7c6b5a",
	}
}

func BenchmarkVerifyToken(b *testing.B) {
	ks := k(b)
	cases := []struct {
		alg, pub string
		algs     []string
		key      any
	}{
		{"RS256", pubPEM(b, &ks.rsa.PublicKey), nil, ks.rsa},
		{"PS256", pubPEM(b, &ks.rsa.PublicKey), nil, ks.rsa},
		{"ES256", pubPEM(b, &ks.p256.PublicKey), nil, ks.p256},
		{"EdDSA", pubPEM(b, ks.ed.Public()), nil, ks.ed},
		{"HS256", testHMAC[:32], []string{"HS256"}, []byte(testHMAC[:32])},
	}
	for _, c := range cases {
		for _, cached := range []bool{false, true} {
			name := c.alg
			s := Settings{PublicKey: c.pub, Algorithms: c.algs, Issuers: []string{testIssuer}, Audiences: []string{testAudience}}
			if cached {
				name += "/cached"
				s.CacheSize = 100
			}
			b.Run(name, func(b *testing.B) {
				v, err := NewJWTVerifier(s, WithClock(func() time.Time { return testNow }))
				if err != nil {
					b.Fatal(err)
				}
				tok := sign(b, c.alg, c.key, map[string]any{"kid": "key-2026-11"}, benchClaims())
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					if _, err := v.VerifyToken(ctx, tok); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
