package bench

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/jwks"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// stormSize is the number of concurrent requests with an unknown kid.
const stormSize = 1000

// stormRateLimit is the refresh rate limit during the storm: a caller that
// waited for the limiter would wait this long.
const stormRateLimit = time.Minute

// BenchmarkJWKS measures the remote JWK Set: a steady-state key lookup,
// and a storm of concurrent requests carrying an unknown kid.
func BenchmarkJWKS(b *testing.B) {
	kp, err := testkeys.GenerateECKeyPair()
	if err != nil {
		b.Fatal(err)
	}
	srv := testkeystest.NewJWKSServer(b, kp)
	ctx := context.Background()

	b.Run("lookup", func(b *testing.B) {
		set := newReadySet(b, srv.URL())
		kid := kp.KeyID()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := set.VerificationKey(ctx, kid, "ES256"); err != nil {
				b.Fatal(err)
			}
		}
	})

	// Each iteration: a fresh set, then stormSize concurrent lookups of an
	// unknown kid (at most one fetch, which they share), then stormSize more
	// during the rate-limit cool-down (no fetch, no waiting).
	b.Run("unknown-kid-storm", func(b *testing.B) {
		var maxFetches int
		var maxWait time.Duration
		for b.Loop() {
			b.StopTimer()
			set := newReadySet(b, srv.URL())
			before := srv.Requests()
			b.StartTimer()
			for range 2 {
				maxWait = max(maxWait, storm(b, set))
			}
			b.StopTimer()
			maxFetches = max(maxFetches, srv.Requests()-before)
			set.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(maxFetches), "fetches/storm")
		b.ReportMetric(float64(maxWait)/float64(time.Millisecond), "max-wait-ms")
	})
}

// storm runs stormSize concurrent lookups of an unknown kid and returns
// the longest time one of them took.
func storm(tb testing.TB, set *jwks.Set) time.Duration {
	start := make(chan struct{})
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		longest time.Duration
		failure error
	)
	for range stormSize {
		wg.Go(func() {
			<-start
			t0 := time.Now()
			_, err := set.VerificationKey(context.Background(), "unknown-kid", "ES256")
			d := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			longest = max(longest, d)
			if mcpauth.ReasonOf(err) != mcpauth.ReasonUnknownKey && failure == nil {
				failure = err
			}
		})
	}
	close(start)
	wg.Wait()
	if failure != nil {
		tb.Fatalf("unknown kid: %v", failure)
	}
	return longest
}

// newReadySet returns a JWK Set on url after its first fetch.
func newReadySet(tb testing.TB, url string) *jwks.Set {
	set, err := jwks.New(context.Background(), url, jwks.Options{
		RefreshRateLimit: stormRateLimit,
		Algorithms:       []string{"ES256"},
		Logger:           slog.New(slog.DiscardHandler),
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { set.Close() })
	select {
	case <-set.Ready():
	case <-time.After(10 * time.Second):
		tb.Fatal("the JWK Set was not fetched within 10s")
	}
	return set
}

// TestUnknownKIDStorm is the storm as a test: at most one fetch for
// stormSize concurrent requests, none for the next stormSize.
func TestUnknownKIDStorm(t *testing.T) {
	kp, err := testkeys.GenerateECKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	srv := testkeystest.NewJWKSServer(t, kp)
	set := newReadySet(t, srv.URL())
	before := srv.Requests()
	storm(t, set)
	if n := srv.Requests() - before; n > 1 {
		t.Fatalf("%d fetches for one storm; want at most 1", n)
	}
	mid := srv.Requests()
	if d := storm(t, set); d >= stormRateLimit {
		t.Fatalf("a request waited %v, as long as the rate limit", d)
	}
	if n := srv.Requests() - mid; n != 0 {
		t.Fatalf("%d fetches during the cool-down", n)
	}
}
