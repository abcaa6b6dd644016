package verify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
)

// fakeClock is a settable clock for the cache tests.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.set(t)
	return c
}

func (c *fakeClock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *fakeClock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *fakeClock) add(d time.Duration) { c.ns.Add(int64(d)) }

// cachedES256 is an ES256 verifier whose key source counts its lookups:
// every lookup is a full verification, so the count tells cache hits from
// misses. fail makes the source answer with an error instead.
type cachedES256 struct {
	v       *JWTVerifier
	clock   *fakeClock
	lookups atomic.Int32
	fail    atomic.Pointer[error]
}

// cacheOpts sets Settings.CacheSize and CacheMaxAge.
type cacheOpts struct {
	Size   int
	MaxAge time.Duration
}

func newCachedES256(t *testing.T, cache *cacheOpts, mod func(*Settings)) *cachedES256 {
	t.Helper()
	c := &cachedES256{clock: newFakeClock(testNow)}
	pub := &k(t).p256.PublicKey
	src := keySourceFunc(func(context.Context, string, string) (crypto.PublicKey, error) {
		c.lookups.Add(1)
		if err := c.fail.Load(); err != nil {
			return nil, *err
		}
		return pub, nil
	})
	s := Settings{Algorithms: []string{"ES256"}, Issuers: []string{testIssuer}, Audiences: []string{testAudience}}
	if cache != nil {
		s.CacheSize, s.CacheMaxAge = cache.Size, cache.MaxAge
	}
	if mod != nil {
		mod(&s)
	}
	v, err := NewJWTVerifier(s, WithKeySource(src), WithClock(c.clock.now))
	if err != nil {
		t.Fatal(err)
	}
	c.v = v
	return c
}

func (c *cachedES256) failWith(err error) {
	if err == nil {
		c.fail.Store(nil)
		return
	}
	c.fail.Store(&err)
}

// verify verifies tok and reports whether it was a cache hit.
func (c *cachedES256) verify(t *testing.T, tok string) (*mcpauth.AccessToken, bool, error) {
	t.Helper()
	before := c.lookups.Load()
	at, err := c.v.VerifyToken(context.Background(), tok)
	return at, c.lookups.Load() == before, err
}

// es256Token signs claims (goodClaims with mod applied) with the P-256 key.
func es256Token(t *testing.T, mod func(map[string]any)) string {
	t.Helper()
	c := goodClaims()
	if mod != nil {
		mod(c)
	}
	return sign(t, "ES256", k(t).p256, nil, c)
}

func mustAccept(t *testing.T, at *mcpauth.AccessToken, err error) {
	t.Helper()
	if err != nil || at == nil {
		t.Fatalf("rejected: %v", err)
	}
}

func TestCacheIsOffByDefault(t *testing.T) {
	c := newCachedES256(t, nil, nil)
	if c.v.cache != nil {
		t.Fatal("a verifier without WithCache or CacheSize has a cache")
	}
	tok := es256Token(t, nil)
	for range 3 {
		at, hit, err := c.verify(t, tok)
		mustAccept(t, at, err)
		if hit {
			t.Fatal("a token was answered without verification")
		}
	}
}

func TestCacheServesUntilExpiryPlusLeeway(t *testing.T) {
	for _, leeway := range []time.Duration{0, -1, 2 * time.Minute} {
		t.Run(fmt.Sprint(leeway), func(t *testing.T) {
			c := newCachedES256(t, &cacheOpts{Size: 10, MaxAge: 48 * time.Hour}, func(s *Settings) { s.Leeway = leeway })
			tok := es256Token(t, nil) // exp = testNow + 1h
			at, hit, err := c.verify(t, tok)
			mustAccept(t, at, err)
			if hit || c.v.cache.Len() != 1 {
				t.Fatalf("first use: hit %v, %d entries", hit, c.v.cache.Len())
			}
			limit := testNow.Add(time.Hour).Add(c.v.leeway)

			c.clock.set(limit.Add(-time.Nanosecond))
			at, hit, err = c.verify(t, tok)
			mustAccept(t, at, err)
			if !hit {
				t.Fatal("not served from the cache just before exp + leeway")
			}

			c.clock.set(limit)
			at, hit, err = c.verify(t, tok)
			if at != nil || hit {
				t.Fatalf("served at exp + leeway (hit %v)", hit)
			}
			wantReason(t, err, mcpauth.ReasonExpired)
			if n := c.v.cache.Len(); n != 0 {
				t.Fatalf("%d entries after expiry", n)
			}
		})
	}
}

func TestCacheMaxAge(t *testing.T) {
	c := newCachedES256(t, &cacheOpts{Size: 10, MaxAge: time.Minute}, nil)
	tok := es256Token(t, nil)
	first, _, err := c.verify(t, tok)
	mustAccept(t, first, err)

	c.clock.add(time.Minute - time.Nanosecond)
	at, hit, err := c.verify(t, tok)
	mustAccept(t, at, err)
	if !hit {
		t.Fatal("not served from the cache within MaxAge")
	}
	c.clock.add(time.Nanosecond)
	at, hit, err = c.verify(t, tok)
	mustAccept(t, at, err) // still valid: verified again
	if hit {
		t.Fatal("served from the cache at MaxAge")
	}
	// Verified again, so cached again from now on.
	c.clock.add(time.Minute - time.Nanosecond)
	if _, hit, _ := c.verify(t, tok); !hit {
		t.Fatal("not cached again after re-verification")
	}
}

func TestCacheEvictsUnusedEntriesFirst(t *testing.T) {
	c := newCachedES256(t, &cacheOpts{Size: 2}, nil)
	tokA := es256Token(t, func(m map[string]any) { m["jti"] = "a" })
	tokB := es256Token(t, func(m map[string]any) { m["jti"] = "b" })
	tokC := es256Token(t, func(m map[string]any) { m["jti"] = "c" })
	steps := []struct {
		tok     string
		wantHit bool
	}{
		{tokA, false},
		{tokB, false},
		{tokA, true},  // A is now recently used
		{tokC, false}, // full: evicts B, not A
		{tokA, true},
		{tokB, false}, // B was evicted
	}
	for i, s := range steps {
		at, hit, err := c.verify(t, s.tok)
		mustAccept(t, at, err)
		if hit != s.wantHit {
			t.Fatalf("step %d (%s): hit = %v; want %v", i, at.Claims["jti"], hit, s.wantHit)
		}
		if n := c.v.cache.Len(); n > 2 {
			t.Fatalf("step %d: %d entries in a cache of 2", i, n)
		}
	}
}

func TestCacheEvictsExpiredEntriesFirst(t *testing.T) {
	c := newCachedES256(t, &cacheOpts{Size: 2, MaxAge: 48 * time.Hour}, func(s *Settings) { s.Leeway = -1 })
	long := es256Token(t, func(m map[string]any) { m["exp"] = testNow.Add(2 * time.Hour).Unix() })
	short := es256Token(t, func(m map[string]any) { m["exp"] = testNow.Add(time.Minute).Unix() })
	other := es256Token(t, func(m map[string]any) { m["jti"] = "other" })
	for _, tok := range []string{long, short, long, short} { // both used
		at, _, err := c.verify(t, tok)
		mustAccept(t, at, err)
	}
	c.clock.add(time.Minute) // short has expired, long has not
	at, _, err := c.verify(t, other)
	mustAccept(t, at, err)
	if _, hit, _ := c.verify(t, long); !hit {
		t.Fatal("a live, recently used entry was evicted while an expired one was kept")
	}
}

func TestCacheKeyIsTheTokenDigest(t *testing.T) {
	c := newCachedES256(t, &cacheOpts{Size: 10}, nil)
	tok := es256Token(t, nil)
	at, _, err := c.verify(t, tok)
	mustAccept(t, at, err)
	key := cacheKey(sha256.Sum256([]byte(tok)))
	if !c.v.cache.Contains(&key) || c.v.cache.Len() != 1 {
		t.Fatal("the entry is not keyed by the SHA-256 digest of the token")
	}
}

func TestCacheNeverServesRejectedTokens(t *testing.T) {
	t.Run("forged signature over a cached token's payload", func(t *testing.T) {
		c := newCachedES256(t, &cacheOpts{Size: 10}, nil)
		tok := es256Token(t, nil)
		at, _, err := c.verify(t, tok)
		mustAccept(t, at, err)
		attacker, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		forged := sign(t, "ES256", attacker, nil, goodClaims()) // same header and payload
		for range 3 {
			at, hit, err := c.verify(t, forged)
			if at != nil || hit {
				t.Fatalf("forged token accepted (hit %v)", hit)
			}
			wantReason(t, err, mcpauth.ReasonSignature)
		}
		if _, hit, _ := c.verify(t, tok); !hit {
			t.Fatal("the genuine token lost its entry")
		}
		if n := c.v.cache.Len(); n != 1 {
			t.Fatalf("%d entries; the forged token must not be cached", n)
		}
	})
	t.Run("a rejected token stays rejected and is verified each time", func(t *testing.T) {
		c := newCachedES256(t, &cacheOpts{Size: 10}, nil)
		tok := es256Token(t, func(m map[string]any) { m["aud"] = "https://other.example.com" })
		for i := range 3 {
			at, hit, err := c.verify(t, tok)
			if at != nil || hit {
				t.Fatalf("call %d: served without verification (hit %v)", i, hit)
			}
			wantReason(t, err, mcpauth.ReasonAudience)
		}
		if n := c.v.cache.Len(); n != 0 {
			t.Fatalf("%d entries after rejections", n)
		}
	})
	t.Run("failures are not cached: not yet valid, then valid", func(t *testing.T) {
		c := newCachedES256(t, &cacheOpts{Size: 10}, func(s *Settings) { s.Leeway = -1 })
		tok := es256Token(t, func(m map[string]any) { m["nbf"] = testNow.Add(time.Minute).Unix() })
		_, _, err := c.verify(t, tok)
		wantReason(t, err, mcpauth.ReasonNotYetValid)
		c.clock.add(time.Minute)
		at, hit, err := c.verify(t, tok)
		mustAccept(t, at, err)
		if hit {
			t.Fatal("hit for a token that was rejected before")
		}
	})
	t.Run("failures are not cached: key source unavailable, then back", func(t *testing.T) {
		c := newCachedES256(t, &cacheOpts{Size: 10}, nil)
		tok := es256Token(t, nil)
		c.failWith(mcpauth.ErrKeySourceUnavailable)
		if _, _, err := c.verify(t, tok); !errors.Is(err, mcpauth.ErrKeySourceUnavailable) {
			t.Fatalf("err = %v", err)
		}
		c.failWith(nil)
		at, hit, err := c.verify(t, tok)
		mustAccept(t, at, err)
		if hit {
			t.Fatal("hit for a token that could not be verified before")
		}
	})
}

func TestCacheAfterKeyRemoval(t *testing.T) {
	// Documented trade-off (Settings.CacheSize): a cached token outlives its key's
	// removal by at most MaxAge.
	c := newCachedES256(t, &cacheOpts{Size: 10, MaxAge: 10 * time.Minute}, nil)
	tok := es256Token(t, nil)
	at, _, err := c.verify(t, tok)
	mustAccept(t, at, err)
	c.failWith(errors.New("no such key"))
	c.clock.add(10*time.Minute - time.Second)
	at, hit, err := c.verify(t, tok)
	mustAccept(t, at, err)
	if !hit {
		t.Fatal("not a hit")
	}
	c.clock.add(time.Second)
	_, _, err = c.verify(t, tok)
	wantReason(t, err, mcpauth.ReasonUnknownKey)
}

func TestCacheHitEnforcesRequiredScopes(t *testing.T) {
	c := newCachedES256(t, &cacheOpts{Size: 10}, func(s *Settings) { s.RequiredScopes = []string{"read", "admin"} })
	tok := es256Token(t, nil) // scope "read write"
	for i := range 3 {
		at, hit, err := c.verify(t, tok)
		if at != nil {
			t.Fatal("accepted without the required scopes")
		}
		var se *mcpauth.InsufficientScopeError
		if !errors.As(err, &se) || errors.Is(err, mcpauth.ErrInvalidToken) {
			t.Fatalf("call %d: err = %v; want only an mcpauth.InsufficientScopeError", i, err)
		}
		if !slices.Equal(se.Missing, []string{"admin"}) || !slices.Equal(se.Required, []string{"read", "admin"}) {
			t.Fatalf("call %d: missing %v required %v", i, se.Missing, se.Required)
		}
		if hit != (i > 0) {
			t.Fatalf("call %d: hit = %v", i, hit)
		}
	}
	ok := es256Token(t, func(m map[string]any) { m["scope"] = "read admin" })
	for range 2 {
		at, _, err := c.verify(t, ok)
		mustAccept(t, at, err)
	}
}

func TestCachedTokensAreIndependent(t *testing.T) {
	c := newCachedES256(t, &cacheOpts{Size: 10}, nil)
	c2 := goodClaims()
	c2["aud"] = []string{testAudience, "other"}
	tok := sign(t, "ES256", k(t).p256, nil, c2)
	first, _, err := c.verify(t, tok) // miss
	mustAccept(t, first, err)
	second, hit, err := c.verify(t, tok)
	mustAccept(t, second, err)
	if !hit || first == second {
		t.Fatalf("hit %v, same pointer %v", hit, first == second)
	}
	for _, at := range []*mcpauth.AccessToken{first, second} {
		at.ClientID = "mallory"
		at.Scopes[0] = "admin"
		at.Scopes = append(at.Scopes, "root")
		at.Audience[1] = "evil"
		at.Token = ""
		third, hit, err := c.verify(t, tok)
		mustAccept(t, third, err)
		if !hit || third.ClientID != "client-1" || !slices.Equal(third.Scopes, []string{"read", "write"}) ||
			!slices.Equal(third.Audience, []string{testAudience, "other"}) || third.Token != tok {
			t.Fatalf("another caller's changes leaked into the cache: %+v", third)
		}
	}
}

func TestCacheConcurrentUse(t *testing.T) {
	v, err := NewJWTVerifier(Settings{PublicKey: testHMAC[:32], Algorithms: []string{"HS256"}, Issuers: []string{testIssuer}, Audiences: []string{testAudience}, CacheSize: 16},
		WithClock(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	const tokens = 48
	toks := make([]string, tokens)
	for i := range toks {
		c := goodClaims()
		c["client_id"] = fmt.Sprintf("client-%d", i)
		toks[i] = sign(t, "HS256", []byte(testHMAC[:32]), nil, c)
	}
	forged := toks[0][:len(toks[0])-2] + "AA"
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 400 {
				n := (i*7 + g) % tokens
				at, err := v.VerifyToken(context.Background(), toks[n])
				if err != nil || at.ClientID != fmt.Sprintf("client-%d", n) {
					errs <- fmt.Errorf("token %d: %v, %+v", n, err, at)
					return
				}
				at.Scopes[0] = "x" // must not disturb other goroutines
				if i%50 == 0 {
					if at, err := v.VerifyToken(context.Background(), forged); at != nil || mcpauth.ReasonOf(err) != mcpauth.ReasonSignature {
						errs <- fmt.Errorf("forged token: %v", err)
						return
					}
				}
				if l := v.cache.Len(); l > 16 {
					errs <- fmt.Errorf("%d entries in a cache of 16", l)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCacheConfiguration(t *testing.T) {
	base := func(mod func(*Settings)) Settings {
		s := Settings{PublicKey: testHMAC[:32], Algorithms: []string{"HS256"}, Issuers: []string{testIssuer}, Audiences: []string{testAudience}}
		if mod != nil {
			mod(&s)
		}
		return s
	}
	tests := []struct {
		name       string
		s          Settings
		wantSize   int // 0: no cache
		wantMaxAge time.Duration
		wantErr    string
	}{
		{"off", base(nil), 0, 0, ""},
		{"settings", base(func(s *Settings) { s.CacheSize = 50 }), 50, DefaultCacheMaxAge, ""},
		{"settings max age", base(func(s *Settings) { s.CacheSize = 50; s.CacheMaxAge = time.Minute }), 50, time.Minute, ""},
		{"negative size", base(func(s *Settings) { s.CacheSize = -1 }), 0, 0, "CacheSize -1 is out of range"},
		{"huge size", base(func(s *Settings) { s.CacheSize = MaxCacheSize + 1 }), 0, 0, "CacheSize 1048577 is out of range"},
		{"negative max age", base(func(s *Settings) { s.CacheSize = 1; s.CacheMaxAge = -time.Second }), 0, 0, "CacheMaxAge -1s is negative"},
		{"max age without size", base(func(s *Settings) { s.CacheMaxAge = time.Minute }), 0, 0, "the cache is off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewJWTVerifier(tt.s)
			if tt.wantErr != "" {
				if !errors.Is(err, mcpauth.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v; want mcpauth.ErrInvalidConfig mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantSize == 0 {
				if v.cache != nil {
					t.Fatal("cache enabled")
				}
				return
			}
			if v.cache == nil {
				t.Fatal("cache disabled")
			}
			total := 0
			for _, n := range v.cache.Capacity() {
				total += n
			}
			if total != tt.wantSize || v.cache.MaxAge() != tt.wantMaxAge {
				t.Fatalf("size %d max age %v; want %d %v", total, v.cache.MaxAge(), tt.wantSize, tt.wantMaxAge)
			}
		})
	}
}
