package introspect

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/tokencache"
)

// cached builds a verifier with a cache over a server whose answer can be
// changed, and a clock.
func cached(t *testing.T, c func(*Config)) (*Verifier, *authServer, *clock) {
	t.Helper()
	s := newAuthServer(t, answerWith(activeAnswer()))
	cfg := testConfig(s)
	cfg.CacheSize = 100
	if c != nil {
		c(&cfg)
	}
	clk := newClock()
	return newVerifier(t, cfg, clk), s, clk
}

func (s *authServer) setAnswer(a func(http.ResponseWriter, *http.Request, string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answer = a
}

// verifyN verifies tok and fails unless the endpoint was called want times
// in all.
func verifyN(t *testing.T, v *Verifier, s *authServer, tok string, want int64) (*mcpauth.AccessToken, error) {
	t.Helper()
	at, err := v.VerifyToken(context.Background(), tok)
	if n := s.calls.Load(); n != want {
		t.Fatalf("%d endpoint calls; want %d", n, want)
	}
	return at, err
}

func TestCacheMaxAge(t *testing.T) {
	v, s, clk := cached(t, func(c *Config) { c.CacheMaxAge = 30 * time.Second })
	if _, err := verifyN(t, v, s, "tok", 1); err != nil {
		t.Fatal(err)
	}
	clk.Advance(30*time.Second - 1)
	if _, err := verifyN(t, v, s, "tok", 1); err != nil {
		t.Fatal(err)
	}
	// Revoked meanwhile: after the maximum age the endpoint is asked again.
	s.setAnswer(answerWith(map[string]any{"active": false}))
	clk.Advance(1)
	_, err := verifyN(t, v, s, "tok", 2)
	wantReason(t, err, mcpauth.ReasonInactive)
}

func TestCacheDefaultMaxAge(t *testing.T) {
	v, s, clk := cached(t, nil)
	if _, err := verifyN(t, v, s, "tok", 1); err != nil {
		t.Fatal(err)
	}
	clk.Advance(DefaultCacheMaxAge - 1)
	if _, err := verifyN(t, v, s, "tok", 1); err != nil {
		t.Fatal(err)
	}
	clk.Advance(1)
	if _, err := verifyN(t, v, s, "tok", 2); err != nil {
		t.Fatal(err)
	}
}

func TestCacheNeverOutlivesExp(t *testing.T) {
	v, s, clk := cached(t, nil)
	m := activeAnswer()
	m["exp"] = testNow.Add(10 * time.Second).Unix()
	s.setAnswer(answerWith(m))
	if _, err := verifyN(t, v, s, "tok", 1); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10*time.Second - 1)
	if _, err := verifyN(t, v, s, "tok", 1); err != nil {
		t.Fatal(err)
	}
	clk.Advance(1)
	_, err := verifyN(t, v, s, "tok", 2) // asked again, and the answer is now expired
	wantReason(t, err, mcpauth.ReasonExpired)
}

func TestNegativeCache(t *testing.T) {
	for _, tt := range []struct {
		name string
		neg  time.Duration
		max  time.Duration
		want time.Duration // 0: refusals not cached
	}{
		{"default", 0, 0, DefaultNegativeCacheMaxAge},
		{"configured", 2 * time.Second, 0, 2 * time.Second},
		{"bounded by a shorter CacheMaxAge", 0, time.Second, time.Second},
		{"off", -1, 0, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, s, clk := cached(t, func(c *Config) { c.NegativeCacheMaxAge, c.CacheMaxAge = tt.neg, tt.max })
			s.setAnswer(answerWith(map[string]any{"active": false}))
			_, err := verifyN(t, v, s, "tok", 1)
			wantReason(t, err, mcpauth.ReasonInactive)
			if tt.want == 0 {
				_, err = verifyN(t, v, s, "tok", 2)
				wantReason(t, err, mcpauth.ReasonInactive)
				return
			}
			clk.Advance(tt.want - 1)
			_, err = verifyN(t, v, s, "tok", 1)
			wantReason(t, err, mcpauth.ReasonInactive)
			s.setAnswer(answerWith(activeAnswer()))
			clk.Advance(1)
			if _, err := verifyN(t, v, s, "tok", 2); err != nil {
				t.Fatalf("still refused after the negative maximum age: %v", err)
			}
		})
	}
}

func TestCacheNeverKeepsFailures(t *testing.T) {
	v, s, _ := cached(t, nil)
	s.setAnswer(func(w http.ResponseWriter, _ *http.Request, _ string) { w.WriteHeader(http.StatusBadGateway) })
	_, err := verifyN(t, v, s, "tok", 1)
	wantUnavailable(t, err)
	s.setAnswer(answerWith(activeAnswer()))
	if _, err := verifyN(t, v, s, "tok", 2); err != nil {
		t.Fatalf("an endpoint failure was cached: %v", err)
	}
}

func TestNoCache(t *testing.T) {
	s := newAuthServer(t, answerWith(activeAnswer()))
	v := newVerifier(t, testConfig(s), nil)
	for i := range 3 {
		if _, err := verifyN(t, v, s, "tok", int64(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	s.setAnswer(answerWith(map[string]any{"active": false}))
	_, err := verifyN(t, v, s, "tok", 4)
	wantReason(t, err, mcpauth.ReasonInactive)
}

func TestCacheBounded(t *testing.T) {
	v, s, _ := cached(t, func(c *Config) { c.CacheSize = 3 })
	for i := range 20 {
		if _, err := v.VerifyToken(context.Background(), fmt.Sprintf("tok-%d", i)); err != nil {
			t.Fatal(err)
		}
		if n := v.cache.Len(); n > 3 {
			t.Fatalf("%d entries; the bound is 3", n)
		}
	}
	if n := s.calls.Load(); n != 20 {
		t.Fatalf("%d calls", n)
	}
}

func TestCacheKeyAndContents(t *testing.T) {
	v, _, clk := cached(t, nil)
	at, err := v.VerifyToken(context.Background(), "tok")
	if err != nil {
		t.Fatal(err)
	}
	key := tokencache.Key(sha256.Sum256([]byte("tok")))
	r, ok := v.cache.Get(&key, clk.Now())
	if !ok {
		t.Fatal("the entry is not keyed by the SHA-256 digest of the token")
	}
	if r.at.Token != "" {
		t.Fatal("the cache keeps the raw token")
	}
	// A caller changing its copy does not change what others get.
	at.Scopes[0] = "admin"
	at2, err := v.VerifyToken(context.Background(), "tok")
	if err != nil || at2.Scopes[0] != "read" || at2.Token != "tok" {
		t.Fatalf("second answer %+v, %v", at2, err)
	}
}

func TestCachedTokenStillChecksScopes(t *testing.T) {
	v, s, _ := cached(t, func(c *Config) { c.RequiredScopes = []string{"admin"} })
	for i := range 2 {
		_, err := verifyN(t, v, s, "tok", 1)
		if _, ok := err.(*mcpauth.InsufficientScopeError); !ok {
			t.Fatalf("call %d: error %v; want insufficient scope", i, err)
		}
	}
}

func TestCacheStats(t *testing.T) {
	s := newAuthServer(t, answerWith(activeAnswer()))
	if _, ok := newVerifier(t, testConfig(s), nil).CacheStats(); ok {
		t.Error("CacheStats reports a cache on a verifier without one")
	}
	v, s, _ := cached(t, func(c *Config) { c.CacheSize = 3 })
	for i := range 5 {
		if _, err := verifyN(t, v, s, fmt.Sprintf("tok-%d", i), int64(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := verifyN(t, v, s, "tok-4", 5); err != nil {
		t.Fatal(err)
	}
	st, ok := v.CacheStats()
	if want := (mcpauth.CacheStats{Hits: 1, Misses: 5, Evictions: 2, Entries: 3, Capacity: 3}); !ok || st != want {
		t.Fatalf("CacheStats() = %+v, %v; want %+v", st, ok, want)
	}
}

// TestCacheKeepsBinding: a DPoP-bound token answered from the cache still
// carries its cnf.jkt, so the middleware checks its proof on every
// request, not only on the one that called the endpoint.
func TestCacheKeepsBinding(t *testing.T) {
	v, s, _ := cached(t, func(c *Config) { c.DPoPBound = true })
	m := activeAnswer()
	m["cnf"], m["token_type"] = map[string]any{"jkt": testJKT}, "DPoP"
	s.setAnswer(answerWith(m))
	for i := range 3 {
		at, err := verifyN(t, v, s, "bound", 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := cnfJKT(at); got != testJKT {
			t.Fatalf("answer %d: cnf.jkt %q; want %q", i+1, got, testJKT)
		}
	}
}
