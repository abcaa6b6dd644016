package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/static"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// TestProxyKeepsUpstreamConnections: waves of concurrent requests reuse
// the upstream connections of the first wave. With net/http's default of
// 2 idle connections per host, every wave after the first would dial
// concurrent-2 new ones (a handshake per request under load).
func TestProxyKeepsUpstreamConnections(t *testing.T) {
	const concurrent, waves = 8, 6
	var dialed atomic.Int64
	var mu sync.Mutex
	arrived, gate := 0, make(chan struct{})
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Answer only when the whole wave is in: the requests of a wave
		// are in flight at the same time.
		mu.Lock()
		g := gate
		if arrived++; arrived%concurrent == 0 {
			close(gate)
			gate = make(chan struct{})
		}
		mu.Unlock()
		select {
		case <-g:
		case <-time.After(10 * time.Second):
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	up.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dialed.Add(1)
		}
	}
	up.Start()
	t.Cleanup(up.Close)

	kp := testkeystest.SharedRSAKeyPair(t)
	ts := startProxy(t, up.URL+"/mcp", pemVars(kp))
	tok := mintFor(t, kp, ts, testkeys.TokenOptions{})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrent}, Timeout: 20 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	for wave := range waves {
		var wg sync.WaitGroup
		errs := make(chan string, concurrent)
		for range concurrent {
			wg.Go(func() {
				req, _ := http.NewRequest(http.MethodPost, ts.mcp(), strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := client.Do(req)
				if err != nil {
					errs <- err.Error()
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || string(body) != `{"ok":true}` {
					errs <- resp.Status + " " + string(body)
				}
			})
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Fatalf("wave %d: %s", wave, e)
		}
	}
	// The first wave dials concurrent connections; later waves find them
	// idle (allowing for a connection that was not back in the pool yet).
	// The default pool would have dialed concurrent + (waves-1)*(concurrent-2).
	if n := dialed.Load(); n > 2*concurrent {
		t.Errorf("the proxy dialed %d upstream connections for %d waves of %d concurrent requests; want at most %d (idle connections kept)",
			n, waves, concurrent, 2*concurrent)
	}
}

func TestCopyBuffers(t *testing.T) {
	c := newCopyBuffers()
	b := c.Get()
	if len(b) != copyBufferSize {
		t.Fatalf("Get: %d bytes, want %d", len(b), copyBufferSize)
	}
	b[0] = 42
	c.Put(b[:10]) // a shortened buffer comes back whole
	c.Put(make([]byte, 100))
	for range 3 {
		if g := c.Get(); len(g) != copyBufferSize {
			t.Fatalf("Get after Put: %d bytes, want %d (a foreign buffer was pooled?)", len(g), copyBufferSize)
		}
	}
}

// eofReader records whether a read returned io.EOF.
type eofReader struct {
	r   io.Reader
	eof bool
}

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		e.eof = true
	}
	return n, err
}

func (e *eofReader) Close() error { return nil }

func TestBufferBody(t *testing.T) {
	body := strings.Repeat("x", 1000)
	tests := []struct {
		name     string
		body     string
		length   int64
		buffered bool   // the body is replaced by one in memory
		wantErr  string // "" for none
	}{
		{"known length", body, 1000, true, ""},
		{"largest buffered", strings.Repeat("y", maxBufferedBody), maxBufferedBody, true, ""},
		{"too large: streamed", strings.Repeat("y", maxBufferedBody+1), maxBufferedBody + 1, false, ""},
		{"unknown length: streamed", body, -1, false, ""},
		{"ends early", body[:10], 1000, false, "reading the request body: unexpected EOF"},
		{"longer than announced", body, 10, false, "longer than its Content-Length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &eofReader{r: strings.NewReader(tt.body)}
			r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
			r.Body, r.ContentLength = src, tt.length
			err := bufferBody(r)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if replaced := r.Body != io.ReadCloser(src); replaced != tt.buffered {
				t.Fatalf("body replaced: %v, want %v", replaced, tt.buffered)
			}
			// A buffered body was read to io.EOF (boundReads lifts the
			// read deadline there, so a long response is not cut).
			if tt.buffered && !src.eof {
				t.Error("the body was not read to io.EOF")
			}
			got, _ := io.ReadAll(r.Body)
			if string(got) != tt.body {
				t.Errorf("forwarded body: %d bytes, want %d", len(got), len(tt.body))
			}
		})
	}
}

// TestProxyRefusesTruncatedBody: a request whose body ends before its
// Content-Length is answered 400 by the proxy and never reaches the
// upstream.
func TestProxyRefusesTruncatedBody(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	up := newFakeUpstream(t)
	ts := startProxy(t, up.srv.URL+"/up/mcp", pemVars(kp))
	tok := mintFor(t, kp, ts, testkeys.TokenOptions{})
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, "POST /mcp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+tok+"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"jsonrpc\":")
	conn.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "could not be read") {
		t.Errorf("truncated body: %d %s, want 400", resp.StatusCode, body)
	}
	if n := up.hits.Load(); n != 0 {
		t.Errorf("the upstream got %d requests", n)
	}
}

// writeCounter counts the writes made to a connection.
type writeCounter struct {
	net.Conn
	writes *atomic.Int64
}

func (c writeCounter) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// TestProxyWritesBufferedRequestOnce: an upstream request whose body was
// buffered leaves in one write, head and body together, however
// httputil.ReverseProxy wraps the body; a streamed body still arrives
// whole.
func TestProxyWritesBufferedRequestOnce(t *testing.T) {
	var bodies sync.Map
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies.Store(r.Header.Get("X-Test"), len(b))
	}))
	t.Cleanup(up.Close)
	u, err := url.Parse(up.URL + "/mcp")
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(u, mcpPath, nil, slog.New(slog.DiscardHandler))
	var writes atomic.Int64
	tr := p.rp.Transport.(*http.Transport)
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return writeCounter{c, &writes}, nil
	}
	t.Cleanup(tr.CloseIdleConnections)
	v, err := static.NewTokenVerifier(map[string]static.Token{"tok": {ClientID: "app"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(middleware.New(v)(p))
	t.Cleanup(srv.Close)

	for _, tc := range []struct {
		name       string
		size       int
		wantWrites int64 // 0: more than one
	}{
		{"buffered", 300, 1},
		{"buffered, 3000 bytes", 3000, 1},
		{"streamed", maxBufferedBody + 1, 0},
	} {
		writes.Store(0)
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/mcp", strings.NewReader(strings.Repeat("x", tc.size)))
		req.Header.Set("Authorization", "Bearer tok")
		req.Header.Set("X-Test", tc.name)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got, _ := bodies.Load(tc.name); resp.StatusCode != http.StatusOK || got != tc.size {
			t.Errorf("%s: %d, the upstream got %v bytes, want %d", tc.name, resp.StatusCode, got, tc.size)
		}
		switch n := writes.Load(); {
		case tc.wantWrites != 0 && n != tc.wantWrites:
			t.Errorf("%s: the upstream request took %d writes, want %d", tc.name, n, tc.wantWrites)
		case tc.wantWrites == 0 && n < 2:
			t.Errorf("%s: the upstream request took %d writes; a streamed body should not wait for its end", tc.name, n)
		}
	}
}
