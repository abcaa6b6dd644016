package main

// reads.go decides how long serve and proxy read from a client: how long
// the request head and the request body may take, how long an idle
// connection is kept, and that a rejection never waits for a body.

import (
	"cmp"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/mcpauth/mcpauth/internal/unreadbody"
)

// readTimeouts bound reading from a client. A zero field takes its value
// from defaultReadTimeouts.
type readTimeouts struct {
	// header bounds reading the request line and headers.
	header time.Duration
	// request bounds reading the whole request, headers and body, from its
	// first byte. It does not bound the response: once the body has been
	// read (at once for a request without one) the deadline is lifted, so
	// an SSE stream may last as long as the upstream keeps it open.
	request time.Duration
	// idle bounds the wait for the next request on a kept-alive connection.
	idle time.Duration
}

// defaultReadTimeouts: MCP requests are small JSON-RPC messages, so a
// client that cannot send one in 30 s is either broken or holding the
// connection on purpose.
var defaultReadTimeouts = readTimeouts{
	header:  10 * time.Second,
	request: 30 * time.Second,
	idle:    2 * time.Minute,
}

// setReadTimeouts sets srv's timeouts from t, defaults filling zeros.
func setReadTimeouts(srv *http.Server, t readTimeouts) {
	srv.ReadHeaderTimeout = cmp.Or(t.header, defaultReadTimeouts.header)
	srv.ReadTimeout = cmp.Or(t.request, defaultReadTimeouts.request)
	srv.IdleTimeout = cmp.Or(t.idle, defaultReadTimeouts.idle)
}

// boundReads wraps the server's handler so that
//
//   - the server's ReadTimeout bounds reading the request only: it is
//     lifted when the body has been read to its end, or at once when there
//     is none. (net/http keeps reading the connection while a response is
//     written, to notice a client that goes away, and a read deadline
//     passing there would cancel the request's context and cut an SSE
//     stream.)
//   - a response other than a success (status 300 or above) to a request
//     whose body was not read to its end is written at once and closes the
//     connection (unreadbody.Abandon): whoever wrote it (the middleware's
//     401, 403, 400 and 503, a redirect or 404 of the router, a 405, the
//     proxy's 502) will not read that body, and a client that announced a
//     body and never sends it must not hold the connection.
//   - when a handler succeeds without reading the body (GET /healthz with
//     a body), the server waits at most unreadbody.Grace for it before
//     answering and closing, instead of the whole ReadTimeout.
func boundReads(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if r.Body == nil || r.Body == http.NoBody {
			_ = rc.SetReadDeadline(time.Time{})
			next.ServeHTTP(w, r)
			return
		}
		// One allocation for the body and the writer.
		rw := &rejectionWriter{ResponseWriter: w, r: r, rc: rc}
		rw.body = trackedBody{ReadCloser: r.Body, rc: rc}
		body := &rw.body
		r.Body = body
		next.ServeHTTP(rw, r)
		if !body.finish() {
			_ = rc.SetReadDeadline(time.Now().Add(unreadbody.Grace))
		}
	})
}

// trackedBody records whether the request body has been read to its end,
// and then lifts the read deadline.
type trackedBody struct {
	io.ReadCloser
	rc *http.ResponseController

	mu       sync.Mutex
	done     bool // read to io.EOF
	finished bool // the handler returned: the connection may serve another request
}

// Read implements io.Reader.
func (b *trackedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.mu.Lock()
		if !b.done && !b.finished {
			_ = b.rc.SetReadDeadline(time.Time{})
		}
		b.done = true
		b.mu.Unlock()
	}
	return n, err
}

// readToEnd reports whether the body has been read to io.EOF.
func (b *trackedBody) readToEnd() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.done
}

// finish marks the handler as returned, so that a late Read (a proxy
// transport still copying the body) does not touch the connection's
// deadline, which may by then belong to the next request. It reports
// whether the body was read to its end.
func (b *trackedBody) finish() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.finished = true
	return b.done
}

// rejectionWriter abandons the unread body of a request answered with a
// status of 300 or above.
type rejectionWriter struct {
	http.ResponseWriter
	r     *http.Request
	rc    *http.ResponseController // of ResponseWriter
	body  trackedBody
	wrote bool
}

// WriteHeader implements http.ResponseWriter.
func (w *rejectionWriter) WriteHeader(code int) {
	if !w.wrote && code >= 200 {
		w.wrote = true
		if code >= 300 && !w.body.readToEnd() {
			unreadbody.Abandon(w.ResponseWriter, w.r)
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (w *rejectionWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// Flush implements http.Flusher, which the go-sdk handler needs for SSE.
func (w *rejectionWriter) Flush() { _ = w.FlushError() }

// FlushError flushes buffered data to the client and reports a failure
// (http.ResponseController calls it).
func (w *rejectionWriter) FlushError() error {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.rc.Flush()
}

// Unwrap lets http.ResponseController reach the server's ResponseWriter.
func (w *rejectionWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
