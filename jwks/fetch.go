package jwks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// acceptHeader asks for a JWK Set (RFC 7517 §8.5) or plain JSON.
const acceptHeader = "application/jwk-set+json, application/json"

// fetch downloads and parses the JWK Set once, bounded by Options.Timeout.
// Failures are logged here; the caller keeps the last good snapshot.
func (s *Set) fetch() (*snapshot, error) {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.timeout)
	defer cancel()
	var body []byte
	err := s.discover(ctx)
	if err == nil {
		body, err = s.download(ctx, s.cfg.uri, acceptHeader)
	}
	var (
		entries []*entry
		skips   []skip
	)
	if err == nil {
		entries, skips, err = parseDocument(body, s.cfg.allowed)
		s.logSkips(skips)
	}
	if err != nil {
		if s.ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %w", ErrFetch, ErrClosed)
		}
		msg := "jwks: refresh failed; keeping the last good key set"
		if s.snap.Load() == nil {
			msg = "jwks: fetch failed; no key set available yet"
		}
		s.cfg.logger.WarnContext(ctx, msg, "url", s.cfg.redacted, "error", err)
		return nil, err
	}
	snap := newSnapshot(entries, len(skips), s.cfg.now())
	s.cfg.logger.DebugContext(ctx, "jwks: key set refreshed",
		"url", s.cfg.redacted, "keys", len(entries), "skipped", len(skips))
	return snap, nil
}

// download performs a GET of uri and returns the body, at most
// MaxBodyBytes.
func (s *Set) download(ctx context.Context, uri, accept string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: building request: %v", ErrFetch, err)
	}
	req.Header.Set("Accept", accept)
	resp, err := s.cfg.client.Do(req)
	if err != nil {
		return nil, s.transportErr(ctx, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return nil, fmt.Errorf("%w: server answered status %d (redirects are not followed)", ErrFetch, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%w: %w", ErrFetch, statusError(resp.StatusCode))
	case resp.ContentLength > s.cfg.maxBody:
		return nil, fmt.Errorf("%w: body of %d bytes exceeds the %d-byte limit", ErrFetch, resp.ContentLength, s.cfg.maxBody)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.cfg.maxBody+1))
	if err != nil {
		return nil, s.transportErr(ctx, err)
	}
	if int64(len(body)) > s.cfg.maxBody {
		return nil, fmt.Errorf("%w: body exceeds the %d-byte limit", ErrFetch, s.cfg.maxBody)
	}
	return body, nil
}

// transportErr wraps a network error, naming a timeout as such. net/http
// errors carry the URL with its password removed.
func (s *Set) transportErr(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: no complete response within %s: %w", ErrFetch, s.cfg.timeout, err)
	}
	return fmt.Errorf("%w: %w", ErrFetch, err)
}

// statusError is an unexpected HTTP status.
type statusError int

// Error implements error.
func (e statusError) Error() string {
	return fmt.Sprintf("server answered status %d, want 200", int(e))
}
