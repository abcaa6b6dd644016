package jwks

import (
	"context"
	"crypto"
	"errors"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
)

func TestRotation(t *testing.T) {
	k := testKeys(t)
	srv := newServer(t, doc(t, rsaJWK("old", &k.rsa1.PublicKey)))
	h := newHarness(t, srv.URL, nil)
	h.ready(t)
	first := h.LastRefresh()
	mustKey(t, h.Set, "old", "RS256", &k.rsa1.PublicKey)

	// Both keys during the overlap.
	srv.serve(doc(t, rsaJWK("old", &k.rsa1.PublicKey), rsaJWK("new", &k.rsa2.PublicKey)))
	h.clock.Advance(time.Minute)
	if err := h.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.KeyIDs(); !slices.Equal(got, []string{"new", "old"}) {
		t.Fatalf("KeyIDs() = %v", got)
	}
	if !h.LastRefresh().After(first) {
		t.Error("LastRefresh did not advance")
	}
	mustKey(t, h.Set, "new", "RS256", &k.rsa2.PublicKey)
	mustKey(t, h.Set, "old", "RS256", &k.rsa1.PublicKey)

	// The old key is retired: it must stop working.
	srv.serve(doc(t, rsaJWK("new", &k.rsa2.PublicKey)))
	if err := h.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.KeyIDs(); !slices.Equal(got, []string{"new"}) {
		t.Fatalf("KeyIDs() = %v after the old key was removed", got)
	}
	mustKey(t, h.Set, "new", "RS256", &k.rsa2.PublicKey)
	mustErr(t, h.Set, "old", "RS256", wantUnknownKey)
}

func TestUnknownKidTriggersRefresh(t *testing.T) {
	k := testKeys(t)
	srv := newServer(t, doc(t, rsaJWK("a", &k.rsa1.PublicKey)))
	h := newHarness(t, srv.URL, nil)
	h.ready(t)

	srv.serve(doc(t, rsaJWK("a", &k.rsa1.PublicKey), rsaJWK("b", &k.rsa2.PublicKey)))
	mustKey(t, h.Set, "b", "RS256", &k.rsa2.PublicKey)
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2 (initial + unknown kid)", n)
	}
	// In the cool-down an unknown kid fails without fetching.
	mustErr(t, h.Set, "c", "RS256", wantUnknownKey)
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("%d fetches during the cool-down, want 2", n)
	}
	// After it, the next unknown kid fetches again.
	h.clock.Advance(DefaultRefreshRateLimit)
	mustErr(t, h.Set, "c", "RS256", wantUnknownKey)
	if n := srv.hits.Load(); n != 3 {
		t.Fatalf("%d fetches after the cool-down, want 3", n)
	}
}

func TestUnknownKidFloodSharesOneFetch(t *testing.T) {
	k := testKeys(t)
	srv := newServer(t, doc(t, rsaJWK("a", &k.rsa1.PublicKey)))
	// A clock that moves a full rate-limit period on every reading: the rate
	// limiter never holds anyone back, so only de-duplication keeps this to
	// one fetch.
	h := newHarness(t, srv.URL, func(o *Options) {
		var ticks atomic.Int64
		base := o.Clock()
		o.Clock = func() time.Time { return base.Add(time.Duration(ticks.Add(1)) * DefaultRefreshRateLimit) }
	})
	h.ready(t)

	entered, release := srv.block(doc(t, rsaJWK("a", &k.rsa1.PublicKey), rsaJWK("b", &k.rsa2.PublicKey)))
	defer release()
	const callers = 1000
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			key, err := h.VerificationKey(context.Background(), "b", "PS256")
			if err == nil && !k.rsa2.PublicKey.Equal(key) {
				err = errors.New("wrong key")
			}
			errs <- err
		})
	}
	waitChan(t, entered, "the refresh request")
	waitN(t, h.waiting, callers, "callers waiting for the refresh")
	release()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("lookup during flood: %v", err)
		}
	}
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("%d concurrent unknown-kid lookups caused %d fetches, want 1 (+1 initial)", callers, n-1)
	}
}

func TestUnknownKidFloodRateLimited(t *testing.T) {
	k := testKeys(t)
	srv := newServer(t, doc(t, rsaJWK("a", &k.rsa1.PublicKey)))
	h := newHarness(t, srv.URL, nil)
	h.ready(t)
	const callers = 1000
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			_, err := h.VerificationKey(context.Background(), "unknown-"+string(rune('a'+i%26)), "RS256")
			if !matches(err, wantUnknownKey) {
				t.Errorf("lookup = %v, want wantUnknownKey", err)
			}
		})
	}
	wg.Wait()
	if n := srv.hits.Load(); n > 2 {
		t.Fatalf("%d unknown-kid lookups caused %d fetches, want at most 1 (+1 initial)", callers, n-1)
	}
}

func TestRefreshIsDeduplicated(t *testing.T) {
	k := testKeys(t)
	body := doc(t, rsaJWK("a", &k.rsa1.PublicKey))
	srv := newServer(t, body)
	h := newHarness(t, srv.URL, nil)
	h.ready(t)
	entered, release := srv.block(body)
	defer release()
	const callers = 50
	errs := make(chan error, callers)
	for range callers {
		go func() { errs <- h.Refresh(context.Background()) }()
	}
	waitChan(t, entered, "the refresh request")
	waitN(t, h.waiting, callers, "Refresh callers waiting")
	release()
	for range callers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("%d concurrent Refresh calls caused %d fetches, want 1", callers, n-1)
	}
}

// lookupAsync runs a lookup and fails the test if it does not return in
// time: the rate limiter must never make a caller wait.
func lookupAsync(t *testing.T, s *Set, ctx context.Context, kid string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := s.VerificationKey(ctx, kid, "RS256")
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("lookup blocked")
		return nil
	}
}

func TestRateLimitCoolDownReturnsImmediately(t *testing.T) {
	k := testKeys(t)
	body := doc(t, rsaJWK("a", &k.rsa1.PublicKey))
	srv := newServer(t, body)
	h := newHarness(t, srv.URL, func(o *Options) {
		o.Timeout = time.Hour // a fetch would hang until the test ends
		o.RefreshRateLimit = 10 * time.Minute
	})
	h.ready(t)
	mustErr(t, h.Set, "x", "RS256", wantUnknownKey) // uses the one allowed refresh
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}

	// From now on any fetch hangs. Callers in the cool-down must not notice.
	_, release := srv.block(body)
	defer release()
	// Clock steps add up to just under the 10-minute limit.
	for _, d := range []time.Duration{0, time.Minute, 9*time.Minute - time.Nanosecond} {
		h.clock.Advance(d)
		if err := lookupAsync(t, h.Set, context.Background(), "y"); !matches(err, wantUnknownKey) {
			t.Fatalf("lookup in the cool-down = %v, want wantUnknownKey", err)
		}
	}
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("%d fetches during the cool-down, want 2", n)
	}

	// After the cool-down the lookup triggers a fetch and waits for it,
	// bounded by its own context.
	h.clock.Advance(time.Nanosecond)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := lookupAsync(t, h.Set, ctx, "z")
	if !matches(err, wantUnknownKey) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("lookup waiting on a hung fetch = %v, want wantUnknownKey and DeadlineExceeded", err)
	}
	if n := srv.hits.Load(); n != 3 {
		t.Fatalf("%d fetches after the cool-down, want 3", n)
	}
	// The cached key is still served while that fetch hangs.
	mustKey(t, h.Set, "a", "RS256", &k.rsa1.PublicKey)
}

func TestCallerCancellationDoesNotAbortSharedFetch(t *testing.T) {
	k := testKeys(t)
	srv := newServer(t, doc(t, rsaJWK("a", &k.rsa1.PublicKey)))
	h := newHarness(t, srv.URL, nil)
	h.ready(t)
	entered, release := srv.block(doc(t, rsaJWK("a", &k.rsa1.PublicKey), rsaJWK("b", &k.rsa2.PublicKey)))
	defer release()

	ctx, cancel := context.WithCancel(context.Background())
	impatient := make(chan error, 1)
	go func() {
		_, err := h.VerificationKey(ctx, "b", "RS256")
		impatient <- err
	}()
	waitChan(t, entered, "the refresh request")
	patient := make(chan crypto.PublicKey, 1)
	go func() {
		key, _ := h.VerificationKey(context.Background(), "b", "RS256")
		patient <- key
	}()
	waitN(t, h.waiting, 2, "both callers waiting")
	cancel()
	if err := <-impatient; !matches(err, wantUnknownKey) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller got %v", err)
	}
	release()
	if key := <-patient; !k.rsa2.PublicKey.Equal(key) {
		t.Fatal("the other caller did not get the key from the shared fetch")
	}
}

func TestOutageAfterGoodFetch(t *testing.T) {
	k := testKeys(t)
	srv := newServer(t, doc(t, rsaJWK("a", &k.rsa1.PublicKey), ecJWK(t, "b", &k.p256.PublicKey)))
	h := newHarness(t, srv.URL, nil)
	h.ready(t)
	srv.Close() // the identity provider disappears
	if err := h.Refresh(context.Background()); !errors.Is(err, ErrFetch) {
		t.Fatalf("Refresh() = %v, want ErrFetch", err)
	}
	mustKey(t, h.Set, "a", "RS256", &k.rsa1.PublicKey)
	mustKey(t, h.Set, "b", "ES256", &k.p256.PublicKey)
	mustKey(t, h.Set, "", "ES256", &k.p256.PublicKey)
	// Unknown kids are still "not found", not "unavailable".
	err := mustErr(t, h.Set, "c", "RS256", wantUnknownKey)
	if errors.Is(err, mcpauth.ErrKeySourceUnavailable) {
		t.Fatalf("unknown kid during an outage = %v; keys are available", err)
	}
}

func TestFirstFetchFailureRecoversInBackground(t *testing.T) {
	k := testKeys(t)
	srv := newServer(t, nil)
	srv.set(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	h := newHarness(t, srv.URL, func(o *Options) { o.RefreshRateLimit = 20 * time.Millisecond })
	if err := h.nextFetch(t); err == nil {
		t.Fatal("first fetch succeeded")
	}
	_, err := h.VerificationKey(context.Background(), "a", "RS256")
	if !errors.Is(err, mcpauth.ErrKeySourceUnavailable) || matches(err, wantUnknownKey) {
		t.Fatalf("lookup while the server is down = %v, want mcpauth.ErrKeySourceUnavailable", err)
	}

	// The identity provider comes up; nobody calls the set.
	srv.serve(doc(t, rsaJWK("a", &k.rsa1.PublicKey)))
	h.ready(t)
	mustKey(t, h.Set, "a", "RS256", &k.rsa1.PublicKey)
	if h.LastError() != nil {
		t.Errorf("LastError() = %v after recovery", h.LastError())
	}
}

func TestNeverFetchedLookupTriggersFetch(t *testing.T) {
	k := testKeys(t)
	srv := newServer(t, nil)
	srv.set(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	// Backoff of 1s: the lookup below, not the retry loop, fetches.
	h := newHarness(t, srv.URL, nil)
	if err := h.nextFetch(t); err == nil {
		t.Fatal("first fetch succeeded")
	}
	srv.serve(doc(t, rsaJWK("a", &k.rsa1.PublicKey)))
	mustKey(t, h.Set, "a", "RS256", &k.rsa1.PublicKey)
}

func TestNeverFetchedInCoolDownIsUnavailableImmediately(t *testing.T) {
	srv := newServer(t, nil)
	srv.set(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	h := newHarness(t, srv.URL, func(o *Options) { o.RefreshRateLimit = time.Hour })
	if err := h.nextFetch(t); err == nil {
		t.Fatal("first fetch succeeded")
	}
	// First lookup may fetch once more (rate limit allows it) ...
	if err := lookupAsync(t, h.Set, context.Background(), "a"); !errors.Is(err, mcpauth.ErrKeySourceUnavailable) {
		t.Fatalf("lookup = %v, want mcpauth.ErrKeySourceUnavailable", err)
	}
	hits := srv.hits.Load()
	// ... then the server hangs, and lookups in the cool-down return at once.
	_, release := srv.block(nil)
	defer release()
	for _, kid := range []string{"a", "b", ""} {
		err := lookupAsync(t, h.Set, context.Background(), kid)
		if !errors.Is(err, mcpauth.ErrKeySourceUnavailable) || matches(err, wantUnknownKey) || !errors.Is(err, ErrFetch) {
			t.Fatalf("lookup(%q) in the cool-down = %v, want mcpauth.ErrKeySourceUnavailable wrapping the fetch error", kid, err)
		}
	}
	if n := srv.hits.Load(); n != hits {
		t.Fatalf("lookups in the cool-down fetched %d times", n-hits)
	}
}

func TestPeriodicRefresh(t *testing.T) {
	k := testKeys(t)
	srv := newServer(t, doc(t, rsaJWK("a", &k.rsa1.PublicKey)))
	h := newHarness(t, srv.URL, func(o *Options) { o.RefreshInterval = 20 * time.Millisecond })
	if err := h.nextFetch(t); err != nil {
		t.Fatal(err)
	}
	srv.serve(doc(t, rsaJWK("b", &k.rsa2.PublicKey)))
	// Nobody looks a key up; the timer alone must pick up the new set.
	for {
		if err := h.nextFetch(t); err != nil {
			t.Fatal(err)
		}
		if slices.Equal(h.KeyIDs(), []string{"b"}) {
			break
		}
	}
	mustKey(t, h.Set, "b", "RS256", &k.rsa2.PublicKey)
}

func TestFailedRefreshRetriesWithBackoff(t *testing.T) {
	k := testKeys(t)
	body := doc(t, rsaJWK("a", &k.rsa1.PublicKey))
	srv := newServer(t, body)
	h := newHarness(t, srv.URL, func(o *Options) {
		o.RefreshInterval = 20 * time.Millisecond
		o.RefreshRateLimit = 20 * time.Millisecond
	})
	if err := h.nextFetch(t); err != nil {
		t.Fatal(err)
	}
	srv.set(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) })
	for range 3 { // the loop keeps trying while the server fails
		if err := h.nextFetch(t); err == nil {
			t.Fatal("fetch against a failing server succeeded")
		}
		mustKey(t, h.Set, "a", "RS256", &k.rsa1.PublicKey)
	}
	srv.serve(doc(t, rsaJWK("b", &k.rsa2.PublicKey)))
	for {
		if err := h.nextFetch(t); err == nil {
			break
		}
	}
	mustKey(t, h.Set, "b", "RS256", &k.rsa2.PublicKey)
}

func TestContextCancelStopsBackgroundRefresh(t *testing.T) {
	k := testKeys(t)
	srv := newServer(t, doc(t, rsaJWK("a", &k.rsa1.PublicKey)))
	ctx, cancel := context.WithCancel(context.Background())
	opts, _, _ := testOptions()
	opts.RefreshInterval = time.Millisecond
	s, err := New(ctx, srv.URL, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	waitChan(t, s.Ready(), "first fetch")
	cancel()
	waitChan(t, s.loopDone, "the refresh goroutine to stop")
	if err := s.Refresh(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Refresh after cancel = %v, want ErrClosed", err)
	}
	mustKey(t, s, "a", "RS256", &k.rsa1.PublicKey)
	hits := srv.hits.Load()
	if err := lookupAsync(t, s, context.Background(), "unknown"); !matches(err, wantUnknownKey) {
		t.Fatalf("unknown kid after cancel = %v", err)
	}
	if srv.hits.Load() != hits {
		t.Fatal("a stopped set fetched")
	}
}

func TestClose(t *testing.T) {
	k := testKeys(t)
	body := doc(t, rsaJWK("a", &k.rsa1.PublicKey))
	srv := newServer(t, body)
	h := newHarness(t, srv.URL, func(o *Options) { o.Timeout = time.Hour })
	h.ready(t)

	// Close cancels a hung fetch and releases its waiters.
	entered, release := srv.block(body)
	defer release()
	refreshed := make(chan error, 1)
	go func() { refreshed <- h.Refresh(context.Background()) }()
	waitChan(t, entered, "the refresh request")
	closed := make(chan struct{})
	go func() { h.Close(); close(closed) }()
	waitChan(t, closed, "Close")
	select {
	case err := <-refreshed:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Refresh interrupted by Close = %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Refresh still waiting after Close")
	}
	select {
	case <-h.loopDone:
	default:
		t.Fatal("Close returned before the refresh goroutine ended")
	}
	h.Close() // idempotent
	if err := h.Refresh(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Refresh after Close = %v", err)
	}
	mustKey(t, h.Set, "a", "RS256", &k.rsa1.PublicKey)
}

func TestCloseBeforeFirstFetch(t *testing.T) {
	srv := newServer(t, nil)
	_, release := srv.block(nil)
	defer release()
	h := newHarness(t, srv.URL, func(o *Options) { o.Timeout = time.Hour })
	h.Close()
	_, err := h.VerificationKey(context.Background(), "a", "RS256")
	if !errors.Is(err, mcpauth.ErrKeySourceUnavailable) || !errors.Is(err, ErrClosed) {
		t.Fatalf("lookup on a closed, never-fetched set = %v", err)
	}
}
