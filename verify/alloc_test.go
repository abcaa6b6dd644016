package verify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/internal/jose"
)

// Allocation budget of one VerifyToken call with a realistic token, beyond
// what the signature check itself allocates inside crypto/... (which this
// package does not control): the decoded header and claims, the claims map
// and its values, the mcpauth.AccessToken with its Audience and Scopes, and the
// pooled buffers' occasional refill. A cache hit only copies the
// mcpauth.AccessToken and its two slices.
const (
	verifyAllocBudget   = 16
	cacheHitAllocBudget = 3
	// raceAllocSlack covers sync.Pool's random drops under the race
	// detector.
	raceAllocSlack = 4
)

func TestVerifyAllocationBudget(t *testing.T) {
	ks := k(t)
	cases := []struct {
		alg, pub string
		algs     []string
		key      any
		floor    func(input, sig []byte) // the bare signature check
	}{
		{"RS256", pubPEM(t, &ks.rsa.PublicKey), nil, ks.rsa, func(in, sig []byte) {
			d := sha256.Sum256(in)
			_ = rsa.VerifyPKCS1v15(&ks.rsa.PublicKey, crypto.SHA256, d[:], sig)
		}},
		{"PS256", pubPEM(t, &ks.rsa.PublicKey), nil, ks.rsa, func(in, sig []byte) {
			d := sha256.Sum256(in)
			_ = rsa.VerifyPSS(&ks.rsa.PublicKey, crypto.SHA256, d[:], sig, nil)
		}},
		{"ES256", pubPEM(t, &ks.p256.PublicKey), nil, ks.p256, func(in, sig []byte) {
			d := sha256.Sum256(in)
			der := jose.ECDSADER(make([]byte, 0, 160), sig[:32], sig[32:])
			_ = ecdsa.VerifyASN1(&ks.p256.PublicKey, d[:], der)
		}},
		{"EdDSA", pubPEM(t, ks.ed.Public()), nil, ks.ed, func(in, sig []byte) {
			_ = ed25519.Verify(ks.ed.Public().(ed25519.PublicKey), in, sig)
		}},
		{"HS256", testHMAC[:32], []string{"HS256"}, []byte(testHMAC[:32]), func([]byte, []byte) {}},
	}
	for _, c := range cases {
		t.Run(c.alg, func(t *testing.T) {
			tok := sign(t, c.alg, c.key, map[string]any{"kid": "key-2026-11"}, benchClaims())
			dot := len(tok) - 1
			for tok[dot] != '.' {
				dot--
			}
			input := []byte(tok[:dot])
			sig, err := b64.DecodeString(tok[dot+1:])
			if err != nil {
				t.Fatal(err)
			}
			floor := testing.AllocsPerRun(50, func() { c.floor(input, sig) })

			for _, cached := range []bool{false, true} {
				s := Settings{PublicKey: c.pub, Algorithms: c.algs, Issuers: []string{testIssuer}, Audiences: []string{testAudience}}
				if cached {
					s.CacheSize = 100
				}
				v, err := NewJWTVerifier(s, WithClock(func() time.Time { return testNow }))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := v.VerifyToken(context.Background(), tok); err != nil {
					t.Fatal(err)
				}
				got := testing.AllocsPerRun(50, func() {
					if _, err := v.VerifyToken(context.Background(), tok); err != nil {
						t.Fatal(err)
					}
				})
				budget := floor + verifyAllocBudget
				if cached {
					budget = cacheHitAllocBudget
				}
				if raceEnabled {
					budget += raceAllocSlack
				}
				t.Logf("cached %v: %.1f allocations (signature check alone: %.1f)", cached, got, floor)
				if got > budget {
					t.Errorf("cached %v: %.1f allocations per call; the budget is %.1f", cached, got, budget)
				}
			}
		})
	}
}
