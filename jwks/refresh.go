package jwks

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"time"

	"github.com/mcpauth/mcpauth"
)

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
				return nil, fmt.Errorf("%w: jwks: gave up waiting for the first fetch: %w", mcpauth.ErrKeySourceUnavailable, err)
			}
			return nil, &mcpauth.InvalidTokenError{Reason: mcpauth.ReasonUnknownKey, Detail: "jwks: no key with this kid; gave up waiting for a refresh", Err: err}
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
		return fmt.Errorf("%w: jwks: last fetch: %w", mcpauth.ErrKeySourceUnavailable, s.lastErr)
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
	switch {
	case err == nil:
		s.snap.Store(snap)
		s.readyOnce.Do(func() { close(s.ready) })
		s.fetchesOK.Add(1)
	case !errors.Is(err, ErrClosed):
		s.fetchesFailed.Add(1)
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
