package main

// proxy_transport.go: how "mcpauth proxy" talks to its upstream: the
// connection pool, the copy buffers and when bytes are flushed to the
// client. These decide the proxy's throughput more than authentication
// does once tokens are cached (bench/load.sh measures both).

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"sync"
	"time"
)

// Upstream connection pool. net/http's default keeps 2 idle connections
// per host: a proxy with more concurrent requests than that to its single
// upstream closes a connection after nearly every response and dials a new
// one for the next (a TCP handshake per request, and sockets piling up in
// TIME_WAIT). The proxy has one upstream, so the per-host limit is the
// whole pool; idle connections beyond what the load needs are closed
// after upstreamIdleTimeout.
const (
	upstreamMaxIdleConns = 1024
	upstreamIdleTimeout  = 90 * time.Second
)

// newUpstreamTransport returns the transport to the upstream.
func newUpstreamTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// Pass the upstream's bytes through as they come: transparent
	// decompression would buffer SSE events.
	t.DisableCompression = true
	t.MaxIdleConns = upstreamMaxIdleConns
	t.MaxIdleConnsPerHost = upstreamMaxIdleConns
	t.IdleConnTimeout = upstreamIdleTimeout
	return t
}

// copyBufferSize is the size of the buffers that copy response bodies:
// httputil.ReverseProxy's own size, which it would otherwise allocate (and
// the garbage collector clear) for every response.
const copyBufferSize = 32 << 10

// copyBuffers is the proxy's httputil.BufferPool. It pools the arrays
// themselves, so that neither Get nor Put allocates.
type copyBuffers struct{ pool sync.Pool }

func newCopyBuffers() *copyBuffers {
	return &copyBuffers{pool: sync.Pool{New: func() any { return new([copyBufferSize]byte) }}}
}

// Get implements httputil.BufferPool.
func (c *copyBuffers) Get() []byte { return c.pool.Get().(*[copyBufferSize]byte)[:] }

// Put implements httputil.BufferPool. Buffers of another size are dropped.
func (c *copyBuffers) Put(b []byte) {
	if cap(b) != copyBufferSize {
		return
	}
	c.pool.Put((*[copyBufferSize]byte)(b[:copyBufferSize]))
}

// noHijackWriter is the ResponseWriter the reverse proxy writes to: it
// can flush but not be hijacked, so that no code path can hand the
// client's connection to the upstream as a raw tunnel; and it flushes
// every write at once, so that a body reaches the client as the upstream
// sends it, whatever its length. (httputil.ReverseProxy flushes SSE and
// bodies of unknown length itself, headers first; with FlushInterval -1 it
// would do that for every response, writing the headers of a one-part JSON
// answer in a write of their own, from a timer goroutine.)
type noHijackWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func newNoHijackWriter(w http.ResponseWriter) noHijackWriter {
	return noHijackWriter{w: w, rc: http.NewResponseController(w)}
}

func (n noHijackWriter) Header() http.Header    { return n.w.Header() }
func (n noHijackWriter) WriteHeader(status int) { n.w.WriteHeader(status) }

// Write writes b to the client and flushes it.
func (n noHijackWriter) Write(b []byte) (int, error) {
	c, err := n.w.Write(b)
	if err != nil {
		return c, err
	}
	return c, n.rc.Flush()
}

// FlushError flushes buffered data to the client (http.ResponseController
// uses it).
func (n noHijackWriter) FlushError() error { return n.rc.Flush() }

// maxBufferedBody is the largest request body the proxy reads whole before
// forwarding (MCP's JSON-RPC messages are far smaller).
const maxBufferedBody = 64 << 10

// bufferBody reads a request body of known length up to maxBufferedBody
// to its end and puts it back in memory, so that the upstream request is
// sent in one write (see forwardBuffered). (nginx buffers request bodies
// too, by default.) Larger bodies and bodies of unknown length are
// streamed as they come. The error is for a body that ended early or could
// not be read.
func bufferBody(r *http.Request) error {
	if r.ContentLength <= 0 || r.ContentLength > maxBufferedBody || r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	// One byte more than announced, so that the read goes on to io.EOF
	// (which lifts the read deadline, see boundReads).
	data := make([]byte, r.ContentLength+1)
	n, err := io.ReadFull(r.Body, data)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) && int64(n) == r.ContentLength:
	case err == nil:
		return fmt.Errorf("the request body is longer than its Content-Length")
	default:
		return fmt.Errorf("reading the request body: %w", err)
	}
	b := new(bufferedBody)
	b.Reset(data[:n])
	r.Body = b
	return nil
}

// bufferedBody is a request body that bufferBody read whole.
type bufferedBody struct{ bytes.Reader }

// Close does nothing: the body is in memory.
func (*bufferedBody) Close() error { return nil }

// forwardBuffered gives the transport a body that bufferBody read as the
// in-memory reader it is. httputil.ReverseProxy wraps every outgoing body
// in a reader of its own (so that the transport cannot close the client's
// connection body early); net/http's transport cannot tell that the
// wrapper is in memory, so it writes the request head in a write (and a
// TCP segment) of its own and the body in another. A buffered body needs
// no such guard: closing it does nothing and it can be read at any time.
// With it, the head and the body leave in one write. Nothing else reads
// the incoming body after this, so the outgoing one shares its reader.
func forwardBuffered(pr *httputil.ProxyRequest) {
	b, ok := pr.In.Body.(*bufferedBody)
	if !ok || pr.Out.Body == nil {
		return
	}
	pr.Out.Body = io.NopCloser(&b.Reader)
}
