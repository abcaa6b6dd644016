package jwks

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Set is a remote JWK Set: a cached, periodically refreshed set of
// verification keys fetched from one URL. It implements the KeySource
// interface of package mcpauth. Create it with [New]; it is safe for
// concurrent use.
type Set struct {
	cfg *config

	snap atomic.Pointer[snapshot] // nil until the first successful fetch

	ctx    context.Context // ends on Close or when New's ctx ends
	cancel context.CancelFunc
	ready  chan struct{} // closed after the first successful fetch

	mu          sync.Mutex
	inflight    *call     // the fetch in progress, if any
	lastTrigger time.Time // last lookup-triggered fetch (Options.Clock)
	lastErr     error     // result of the last completed fetch
	closed      bool
	readyOnce   sync.Once
	fetches     sync.WaitGroup // fetch goroutines
	loopDone    chan struct{}
	closeOnce   sync.Once

	fetchesOK     atomic.Uint64 // completed fetches that stored a key set
	fetchesFailed atomic.Uint64 // completed fetches that failed (not counting Close)

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
// [Set.VerificationKey] returns an error matching
// [mcpauth.ErrKeySourceUnavailable], and the
// set keeps retrying (backoff doubling from 1s up to RefreshRateLimit).
//
// The URL must be absolute https without a fragment; plain http is allowed
// for loopback hosts, or any host with Options.InsecureAllowHTTPJWKS. Errors wrap
// [mcpauth.ErrInvalidConfig] and name the problem.
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
		cfg.logger.Warn("jwks: fetching keys over plain http (InsecureAllowHTTPJWKS)", "url", cfg.redacted)
	}
	s.mu.Lock()
	first := s.startLocked()
	s.mu.Unlock()
	go s.loop(first)
	return s, nil
}

// Close stops the background refresh, cancels any fetch in flight and waits
// for them to end. Keys already fetched are still served by
// [Set.VerificationKey], but nothing is fetched any more. Close is
// idempotent and always returns nil; it implements io.Closer, like every
// Close in this module. Cancelling the context given to [New] has the same
// effect, without waiting.
func (s *Set) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		s.fetches.Wait()
		<-s.loopDone
	})
	return nil
}

// Ready returns a channel closed after the first successful fetch, for
// readiness probes or startup ordering. The set is usable before that.
func (s *Set) Ready() <-chan struct{} { return s.ready }

// LastRefresh returns the time (per Options.Clock) of the last successful
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
