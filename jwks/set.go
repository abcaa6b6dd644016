package jwks

import (
	"context"
	"crypto"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Set is a remote JWK Set: a cached, periodically refreshed set of
// verification keys fetched from one URL. It implements the KeySource
// interface of package verify. Create it with [New]; it is safe for
// concurrent use.
type Set struct {
	cfg *config

	snap atomic.Pointer[snapshot] // nil until the first successful fetch

	ctx    context.Context // ends on Close or when New's ctx ends
	cancel context.CancelFunc
	ready  chan struct{} // closed after the first successful fetch

	mu          sync.Mutex
	inflight    *call     // the fetch in progress, if any
	lastTrigger time.Time // last lookup-triggered fetch (Options.Now)
	lastErr     error     // result of the last completed fetch
	closed      bool
	readyOnce   sync.Once
	fetches     sync.WaitGroup // fetch goroutines
	loopDone    chan struct{}
	closeOnce   sync.Once

	hooks hooks
}

// hooks let tests observe the set without sleeping. All nil in production.
type hooks struct {
	waiting func()          // a caller starts waiting for a fetch
	fetched func(err error) // a fetch completed (after the snapshot swap)
}

// call is one fetch, shared by everyone who waits for it.
type call struct {
	done chan struct{}
	err  error // valid after done is closed
}

// New validates uri and opts and returns a Set whose first fetch has
// already started in the background. It does not wait for that fetch and
// does not fail when the server is unreachable: until a fetch succeeds,
// [Set.VerificationKey] returns an error wrapping [ErrUnavailable], and the
// set keeps retrying (backoff doubling from 1s up to RefreshRateLimit).
//
// The URL must be absolute https without a fragment; plain http is allowed
// for loopback hosts, or any host with Options.InsecureAllowHTTP. Errors wrap
// [ErrInvalidOptions] and name the problem.
//
// The background goroutine stops when ctx ends or [Set.Close] is called.
func New(ctx context.Context, uri string, opts Options) (*Set, error) {
	return newSet(ctx, uri, opts, hooks{})
}

func newSet(ctx context.Context, uri string, opts Options, h hooks) (*Set, error) {
	return newSetFor(ctx, uri, opts, h, false)
}

// newSetFor builds a Set for a JWK Set URL, or, when issuer is true, for an
// issuer whose metadata names the JWK Set URL.
func newSetFor(ctx context.Context, uri string, opts Options, h hooks, issuer bool) (*Set, error) {
	if ctx == nil {
		return nil, invalidf("nil context")
	}
	cfg, err := newConfig(uri, opts)
	if err != nil {
		return nil, err
	}
	if issuer {
		cfg.issuer, cfg.uri = uri, ""
	}
	s := &Set{
		cfg:      cfg,
		ready:    make(chan struct{}),
		loopDone: make(chan struct{}),
		hooks:    h,
	}
	s.ctx, s.cancel = context.WithCancel(ctx)
	if cfg.insecureURL {
		cfg.logger.Warn("jwks: fetching keys over plain http (InsecureAllowHTTP)", "url", cfg.redacted)
	}
	s.mu.Lock()
	first := s.startLocked()
	s.mu.Unlock()
	go s.loop(first)
	return s, nil
}

// VerificationKey returns the public key for a token with header kid
// (possibly empty) and alg. It never fetches a URL taken from the token.
//
//   - alg not in the allow-list (including "none", HS* and unknown names):
//     [ErrAlgorithm]. This is checked first, before any key or fetch.
//   - kid non-empty: the keys with that kid that allow alg; exactly one is
//     returned, several are [ErrKeyNotFound] (ambiguous), none while the kid
//     exists is [ErrAlgorithm] (the key is pinned to other algorithms). An
//     unknown kid triggers one refresh (shared by concurrent callers, at
//     most one per RefreshRateLimit) and, if still unknown, is
//     [ErrKeyNotFound]. During the rate-limit cool-down it returns
//     immediately; callers only ever wait for a fetch already in flight,
//     bounded by ctx and Options.Timeout.
//   - kid empty: the only key in the set that allows alg; none or several
//     is [ErrKeyNotFound]. This never triggers a refresh.
//   - no successful fetch yet: waits for the fetch in flight (or starts one
//     if the rate limit allows) and otherwise returns an error wrapping
//     [ErrUnavailable] and the last fetch error — never [ErrKeyNotFound].
//
// Error messages never contain the kid or alg.
func (s *Set) VerificationKey(ctx context.Context, kid, alg string) (crypto.PublicKey, error) {
	id, ok := parseAlg(alg)
	if !ok || !s.cfg.allowed.has(id) {
		return nil, errAlgNotAllowed
	}
	snap := s.snap.Load()
	if snap != nil {
		key, err := snap.lookup(kid, id)
		if err != errUnknownKID {
			return key, err
		}
	}
	return s.slowLookup(ctx, kid, id, snap)
}

// slowLookup handles an unknown kid or a missing key set: it re-reads a
// newer snapshot, joins a fetch in flight, or triggers one when the rate
// limit allows. It waits for at most one fetch.
func (s *Set) slowLookup(ctx context.Context, kid string, id algID, seen *snapshot) (crypto.PublicKey, error) {
	waited := false
	for {
		s.mu.Lock()
		if cur := s.snap.Load(); cur != seen {
			// A fetch finished since we looked: use its result first.
			s.mu.Unlock()
			seen = cur
			key, err := cur.lookup(kid, id)
			if err != errUnknownKID {
				return key, err
			}
			continue
		}
		if waited {
			err := s.missLocked(seen)
			s.mu.Unlock()
			return nil, err
		}
		c := s.inflight
		if c == nil {
			if !s.mayTriggerLocked() {
				err := s.missLocked(seen)
				s.mu.Unlock()
				return nil, err
			}
			c = s.startLocked()
			if c == nil { // closed
				err := s.missLocked(seen)
				s.mu.Unlock()
				return nil, err
			}
		}
		s.mu.Unlock()
		if err := s.wait(ctx, c); err != nil {
			if seen == nil {
				return nil, fmt.Errorf("%w: gave up waiting for the first fetch: %w", ErrUnavailable, err)
			}
			return nil, fmt.Errorf("%w: gave up waiting for a refresh: %w", ErrKeyNotFound, err)
		}
		waited = true
	}
}

// missLocked is the error for a lookup that found nothing in seen.
func (s *Set) missLocked(seen *snapshot) error {
	if seen != nil {
		return errUnknownKID
	}
	switch {
	case s.closed || s.ctx.Err() != nil:
		return errClosedNoKeys
	case s.lastErr != nil:
		return fmt.Errorf("%w: last fetch: %w", ErrUnavailable, s.lastErr)
	default:
		return errNeverFetched
	}
}

// mayTriggerLocked applies the rate limit for lookup-triggered fetches and,
// when it allows one, records it.
func (s *Set) mayTriggerLocked() bool {
	now := s.cfg.now()
	if !s.lastTrigger.IsZero() {
		if d := now.Sub(s.lastTrigger); d >= 0 && d < s.cfg.rateLimit {
			return false
		}
	}
	s.lastTrigger = now
	return true
}

// wait blocks until c completes, ctx ends or the set is closed (which also
// ends the fetch, so c completes promptly).
func (s *Set) wait(ctx context.Context, c *call) error {
	if h := s.hooks.waiting; h != nil {
		h()
	}
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// startLocked returns the fetch in flight or starts one. It returns nil
// once the set is closed.
func (s *Set) startLocked() *call {
	if s.inflight != nil {
		return s.inflight
	}
	if s.closed || s.ctx.Err() != nil {
		return nil
	}
	c := &call{done: make(chan struct{})}
	s.inflight = c
	s.fetches.Add(1)
	go s.run(c)
	return c
}

// run performs one fetch and publishes its result.
func (s *Set) run(c *call) {
	defer s.fetches.Done()
	snap, err := s.fetch()
	s.mu.Lock()
	if err == nil {
		s.snap.Store(snap)
		s.readyOnce.Do(func() { close(s.ready) })
	}
	s.lastErr = err
	c.err = err
	s.inflight = nil
	close(c.done)
	s.mu.Unlock()
	if h := s.hooks.fetched; h != nil {
		h(err)
	}
}

// loop refreshes every RefreshInterval after a success and retries with a
// doubling backoff after a failure.
func (s *Set) loop(c *call) {
	defer close(s.loopDone)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	backoff := s.cfg.minBackoff
	for c != nil {
		select {
		case <-c.done:
		case <-s.ctx.Done():
			return
		}
		next := s.cfg.interval
		if c.err != nil {
			next = backoff
			backoff = min(2*backoff, s.cfg.maxBackoff)
		} else {
			backoff = s.cfg.minBackoff
		}
		timer.Reset(next)
		select {
		case <-timer.C:
		case <-s.ctx.Done():
			return
		}
		s.mu.Lock()
		c = s.startLocked()
		s.mu.Unlock()
	}
}

// Refresh fetches the JWK Set now, ignoring the rate limit, and returns the
// fetch error (wrapping [ErrFetch]) if any. A fetch already in flight is
// joined rather than duplicated. On failure the last good key set is kept.
func (s *Set) Refresh(ctx context.Context) error {
	s.mu.Lock()
	c := s.startLocked()
	s.mu.Unlock()
	if c == nil {
		return ErrClosed
	}
	if err := s.wait(ctx, c); err != nil {
		return fmt.Errorf("jwks: gave up waiting for refresh: %w", err)
	}
	return c.err
}

// Close stops the background refresh, cancels any fetch in flight and waits
// for them to end. Keys already fetched are still served by
// [Set.VerificationKey], but nothing is fetched any more. Close is
// idempotent. Cancelling the context given to [New] has the same effect,
// without waiting.
func (s *Set) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		s.fetches.Wait()
		<-s.loopDone
	})
}

// Ready returns a channel closed after the first successful fetch, for
// readiness probes or startup ordering. The set is usable before that.
func (s *Set) Ready() <-chan struct{} { return s.ready }

// LastRefresh returns the time (per Options.Now) of the last successful
// fetch, or the zero time if there was none.
func (s *Set) LastRefresh() time.Time {
	if snap := s.snap.Load(); snap != nil {
		return snap.fetched
	}
	return time.Time{}
}

// LastError returns the error of the last completed fetch, nil after a
// success.
func (s *Set) LastError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}

// KeyIDs returns the distinct kids of the usable keys in the current key
// set, sorted. Keys without kid are not listed.
func (s *Set) KeyIDs() []string {
	if snap := s.snap.Load(); snap != nil {
		return snap.kids()
	}
	return nil
}

// KeyAlgorithms returns the algorithms the key with the given kid is pinned
// to (after intersecting with Options.Algorithms), or nil if no single key
// has that kid.
func (s *Set) KeyAlgorithms(kid string) []string {
	snap := s.snap.Load()
	if snap == nil {
		return nil
	}
	es := snap.byKID[kid]
	if len(es) != 1 {
		return nil
	}
	return es[0].algs.names()
}

// maxLoggedSkips bounds the skipped members logged one by one per fetch: a
// broken or hostile document of many tiny members (a 1 MiB body holds
// hundreds of thousands) must not flood the log.
const maxLoggedSkips = 16

// logSkips reports the members skipped in one fetch: the first
// maxLoggedSkips one by one, the rest as a count at their highest level.
func (s *Set) logSkips(skips []skip) {
	for i, sk := range skips {
		if i == maxLoggedSkips {
			level := sk.level
			for _, rest := range skips[i+1:] {
				level = max(level, rest.level)
			}
			s.cfg.logger.Log(s.ctx, level, "jwks: skipping more JWKs, not logged one by one",
				"url", s.cfg.redacted, "count", len(skips)-i)
			return
		}
		s.cfg.logger.Log(s.ctx, sk.level, "jwks: skipping JWK",
			"url", s.cfg.redacted, "index", sk.index, "kid", truncate(sk.kid, 128), "reason", sk.reason)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
