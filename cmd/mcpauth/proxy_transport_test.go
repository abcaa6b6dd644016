package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
