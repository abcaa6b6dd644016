package verify

import (
	"context"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/jwks"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

func TestCacheStats(t *testing.T) {
	if _, ok := newCachedES256(t, nil, nil).v.CacheStats(); ok {
		t.Error("CacheStats reports a cache on a verifier without one")
	}
	c := newCachedES256(t, &cacheOpts{Size: 10}, nil)
	tok := es256Token(t, nil)
	for range 3 {
		at, _, err := c.verify(t, tok)
		mustAccept(t, at, err)
	}
	st, ok := c.v.CacheStats()
	if want := (mcpauth.CacheStats{Hits: 2, Misses: 1, Entries: 1, Capacity: 10}); !ok || st != want {
		t.Fatalf("CacheStats() = %+v, %v; want %+v", st, ok, want)
	}
}

func TestKeySetStats(t *testing.T) {
	if got := rsaVerifier(t, nil).KeySetStats(); len(got) != 0 {
		t.Errorf("a PEM verifier reports key sets %+v", got)
	}
	a, b := newIDP(t, testkeystest.SharedRSAKeyPair(t)), newIDP(t, testkeystest.SharedECKeyPair(t))
	v := newProviders(t, Settings{Issuers: []string{a.issuer(), b.issuer()}})
	b.down.Store(true)
	// A token of each issuer waits for its provider's first fetch.
	if _, err := v.VerifyToken(context.Background(), token(t, a.key, a.issuer(), nil)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := v.VerifyToken(ctx, token(t, b.key, b.issuer(), nil)); err == nil {
		t.Fatal("a token of the issuer whose keys are down was accepted")
	}
	got := v.KeySetStats()
	if len(got) != 2 || got[0].Source != a.issuer() || got[1].Source != b.issuer() {
		t.Fatalf("KeySetStats() = %+v; want one per issuer, in order", got)
	}
	if st := got[0]; st.Fetches != 1 || st.FetchFailures != 0 || st.Keys != 1 || st.LastRefresh.IsZero() {
		t.Errorf("the reachable issuer's stats: %+v", st)
	}
	if st := got[1]; st.Fetches != 0 || st.FetchFailures == 0 || st.Keys != 0 || !st.LastRefresh.IsZero() {
		t.Errorf("the unreachable issuer's stats: %+v", st)
	}

	// A *jwks.Set given with WithKeySource is reported too.
	srv := testkeystest.NewJWKSServer(t, testkeystest.SharedRSAKeyPair(t))
	set, err := jwks.New(context.Background(), srv.URL(), jwks.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	own, err := NewJWTVerifier(Settings{Issuers: []string{testIssuer}, Audiences: []string{testAudience}, Algorithms: []string{"RS256"}}, WithKeySource(set))
	if err != nil {
		t.Fatal(err)
	}
	if got := own.KeySetStats(); len(got) != 1 || got[0].Source != srv.URL() {
		t.Errorf("KeySetStats() with WithKeySource(*jwks.Set) = %+v", got)
	}
}
