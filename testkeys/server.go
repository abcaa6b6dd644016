package testkeys

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// JWKSPath is the path at which a [JWKSServer] serves its JWK Set.
const JWKSPath = "/.well-known/jwks.json"

// JWKSServer is an HTTP server on the loopback interface that serves a JWK
// Set at [JWKSPath] and lets a test (or a development binary) change its
// behaviour while it runs: rotate keys, serve arbitrary bytes, answer with an
// error status, go down and come back, and hold requests in flight. It counts
// the requests it receives. Other paths answer 404. Its methods are safe for
// concurrent use.
//
// It imports neither testing nor net/http/httptest, so a binary may use it;
// tests usually create it with testkeystest.NewJWKSServer, which stops it
// when the test ends and turns errors into test failures.
//
//	srv, err := testkeys.NewJWKSServer(kp)
//	...
//	defer srv.Close()
//	v, err := verify.NewJWTVerifier(verify.Settings{JWKSURI: srv.URL(), ...})
//	...
//	srv.SetDown(true) // the next refresh fails with 503
type JWKSServer struct {
	srv       *http.Server
	base      string        // http://127.0.0.1:port
	closing   chan struct{} // closed by Close: releases held requests
	serveDone chan struct{} // closed when Serve has returned
	conns     sync.WaitGroup
	handlers  sync.WaitGroup
	once      sync.Once

	mu       sync.Mutex
	closed   bool
	doc      []byte
	status   int
	down     bool
	requests int
	gate     chan struct{} // non-nil while requests are held
	waiters  []requestWaiter
}

// requestWaiter is an AwaitRequests call waiting for the count to reach n.
type requestWaiter struct {
	n  int
	ch chan struct{}
}

// NewJWKSServer starts a server on 127.0.0.1 (a free port) serving the JWK
// Set of keys (see [JWKS]). The caller must Close it.
func NewJWKSServer(keys ...*KeyPair) (*JWKSServer, error) {
	doc, err := JWKS(keys...)
	if err != nil {
		return nil, fmt.Errorf("testkeys.NewJWKSServer: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("testkeys.NewJWKSServer: %w", err)
	}
	s := &JWKSServer{
		base:      "http://" + ln.Addr().String(),
		closing:   make(chan struct{}),
		serveDone: make(chan struct{}),
		doc:       doc,
		status:    http.StatusOK,
	}
	s.srv = &http.Server{
		Handler:           http.HandlerFunc(s.serveHTTP),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
		ConnState: func(_ net.Conn, state http.ConnState) {
			switch state {
			case http.StateNew:
				s.conns.Add(1)
			case http.StateClosed, http.StateHijacked:
				s.conns.Done()
			}
		},
	}
	go func() {
		defer close(s.serveDone)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// URL returns the full URL of the JWK Set, http://127.0.0.1:port + [JWKSPath].
func (s *JWKSServer) URL() string { return s.base + JWKSPath }

// SetKeys replaces the served document with the JWK Set of keys, for key
// rotation; it undoes SetDocument. It fails, changing nothing, if the set
// cannot be built.
func (s *JWKSServer) SetKeys(keys ...*KeyPair) error {
	doc, err := JWKS(keys...)
	if err != nil {
		return fmt.Errorf("testkeys.JWKSServer.SetKeys: %w", err)
	}
	s.mu.Lock()
	s.doc = doc
	s.mu.Unlock()
	return nil
}

// SetDocument makes the server answer with raw, unchanged, instead of a JWK
// Set built from keys: use it for malformed, oversized or hand-made sets.
func (s *JWKSServer) SetDocument(raw []byte) {
	s.mu.Lock()
	s.doc = bytes.Clone(raw)
	s.mu.Unlock()
}

// SetStatus makes the server answer with status code instead of the
// document, with a short text/plain body; http.StatusOK (the initial value)
// serves the document again. SetDown(true) takes precedence. It fails,
// changing nothing, unless 200 <= code <= 599.
func (s *JWKSServer) SetStatus(code int) error {
	if code < 200 || code > 599 {
		return fmt.Errorf("testkeys.JWKSServer.SetStatus: status %d is not between 200 and 599", code)
	}
	s.mu.Lock()
	s.status = code
	s.mu.Unlock()
	return nil
}

// SetDown simulates an outage: while down, every request gets 503 Service
// Unavailable. SetDown(false) restores the previous behaviour.
func (s *JWKSServer) SetDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// Requests returns how many requests have reached [JWKSPath] so far, whatever
// their outcome, including those currently held.
func (s *JWKSServer) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// AwaitRequests returns a channel that is closed once at least n requests
// have reached [JWKSPath]. Together with Hold, it lets a test know that a fetch
// is in flight without sleeping.
func (s *JWKSServer) AwaitRequests(n int) <-chan struct{} {
	ch := make(chan struct{})
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.requests >= n {
		close(ch)
		return ch
	}
	s.waiters = append(s.waiters, requestWaiter{n: n, ch: ch})
	return ch
}

// Hold makes requests to [JWKSPath] wait, once counted, until release is
// called, the server is closed or the client gives up. The response then
// reflects the server's state at that moment, so a test can hold a fetch,
// change the keys and release it. Calling Hold while already holding returns
// a release function for the same hold. release may be called more than once.
func (s *JWKSServer) Hold() (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gate == nil {
		s.gate = make(chan struct{})
	}
	gate := s.gate
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.gate == gate {
			close(gate)
			s.gate = nil
		}
	}
}

// Close shuts the server down, releasing held requests first, and returns
// once every connection and handler has finished. It may be called early to
// simulate a server that is gone (connections are then refused). It is
// idempotent and always returns nil (io.Closer).
func (s *JWKSServer) Close() error {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.closing)
		_ = s.srv.Close()
		<-s.serveDone
		// A connection accepted while the first Close ran is closed now.
		_ = s.srv.Close()
		s.conns.Wait()
		s.handlers.Wait()
	})
	return nil
}

// serveHTTP is the server's handler.
func (s *JWKSServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
		return
	}
	s.handlers.Add(1)
	s.mu.Unlock()
	defer s.handlers.Done()
	if r.URL.Path != JWKSPath {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	s.requests++
	waiters := s.waiters[:0]
	for _, wt := range s.waiters {
		if s.requests >= wt.n {
			close(wt.ch)
		} else {
			waiters = append(waiters, wt)
		}
	}
	s.waiters = waiters
	gate := s.gate
	s.mu.Unlock()

	if gate != nil {
		select {
		case <-gate:
		case <-s.closing:
		case <-r.Context().Done():
			return
		}
	}

	s.mu.Lock()
	doc, status, down := s.doc, s.status, s.down
	s.mu.Unlock()

	if !allowedMethod(w, r) {
		return
	}
	switch {
	case down:
		http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
	case status != http.StatusOK:
		http.Error(w, http.StatusText(status), status)
	default:
		writeDocument(w, doc)
	}
}
