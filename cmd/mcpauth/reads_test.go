package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// readGuard bounds every read from the servers in these tests. It only
// turns a hang into a failure; it is not a speed target.
const readGuard = 15 * time.Second

// rawRequest dials the server at base (http://host:port), sends a request
// head announcing a body of 1000 bytes plus the first bytes of that body
// (sent, possibly empty), and returns the connection and a reader over it.
// The rest of the body is never sent unless the caller writes it.
func rawRequest(t *testing.T, base, method, path, token, sent string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(readGuard))
	head := method + " " + path + " HTTP/1.1\r\nHost: " + strings.TrimPrefix(base, "http://") +
		"\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 1000\r\n"
	if token != "" {
		head += "Authorization: Bearer " + token + "\r\n"
	}
	if _, err := io.WriteString(c, head+"\r\n"+sent); err != nil {
		t.Fatal(err)
	}
	return c, bufio.NewReader(c)
}

// readAndExpectClose reads one response, then requires the server to close
// the connection; it returns the status.
func readAndExpectClose(t *testing.T, br *bufio.Reader) int {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no response while the announced body is missing: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	if !resp.Close {
		t.Errorf("status %d: the response does not close the connection", resp.StatusCode)
	}
	expectServerClosed(t, br)
	return resp.StatusCode
}

// expectServerClosed requires EOF (or a reset) from the server, not the
// guard's timeout.
func expectServerClosed(t *testing.T, br *bufio.Reader) {
	t.Helper()
	n, err := br.Read(make([]byte, 1))
	if n != 0 || !errors.Is(err, io.EOF) && !(err != nil && strings.Contains(err.Error(), "connection reset")) {
		t.Errorf("read %d bytes, %v; want the connection closed by the server", n, err)
	}
}

// startPEMServer starts serve, or proxy in front of up, verifying with
// kp's PEM public key.
func startPEMServer(t *testing.T, command string, kp *testkeys.KeyPair, up *fakeUpstream, adjust ...func(*serverConfig)) *testServer {
	t.Helper()
	vars := pemVars(kp)
	if command == "proxy" {
		vars[envUpstream] = up.srv.URL + "/up/mcp"
	}
	return startServer(t, command, vars, adjust...)
}

// TestSlowBodyAnsweredAtOnce: a request that announces a body and never
// sends it gets its answer at once (a rejection, a redirect, a 404 or 405,
// or the health check) and the server closes the connection, for serve and
// proxy alike, authenticated or not.
func TestSlowBodyAnsweredAtOnce(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	up := newFakeUpstream(t)
	for _, command := range []string{"serve", "proxy"} {
		t.Run(command, func(t *testing.T) {
			ts := startPEMServer(t, command, kp, up)
			good := mintFor(t, kp, ts, testkeys.TokenOptions{})
			expired := mintFor(t, kp, ts, testkeys.TokenOptions{ExpiresIn: -time.Hour})
			hits := up.hits.Load()
			cases := []struct {
				name, method, path, token string
				want                      int // 0: any status of 300 or above
			}{
				{"no_token", "POST", "/mcp", "", http.StatusUnauthorized},
				{"expired_token", "POST", "/mcp", expired, http.StatusUnauthorized},
				{"garbage_token", "POST", "/mcp", "not.a.jwt", http.StatusUnauthorized},
				{"unknown_path", "POST", "/admin", "", http.StatusNotFound},
				{"unknown_path_with_token", "POST", "/admin", good, http.StatusNotFound},
				{"unclean_path", "POST", "/mcp/../admin", "", 0},
				{"health_post", "POST", healthPath, "", http.StatusMethodNotAllowed},
				{"metadata_post", "POST", "/.well-known/oauth-protected-resource/mcp", "", http.StatusMethodNotAllowed},
				{"health_get_with_body", "GET", healthPath, "", http.StatusOK},
			}
			if command == "proxy" {
				cases = append(cases, struct {
					name, method, path, token string
					want                      int
				}{"encoded_dot_segment_with_token", "POST", "/mcp/..%2fadmin", good, 0})
			}
			for _, tt := range cases {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					_, br := rawRequest(t, ts.url, tt.method, tt.path, tt.token, "")
					got := readAndExpectClose(t, br)
					if tt.want != 0 && got != tt.want || tt.want == 0 && got < 300 {
						t.Errorf("status %d, want %d", got, tt.want)
					}
				})
			}
			t.Cleanup(func() {
				if n := up.hits.Load() - hits; n != 0 {
					t.Errorf("%d of these requests reached the upstream", n)
				}
			})
		})
	}
}

// TestSlowBodiesDoNotStarveClients holds 500 connections that each
// announce a body and never send it, all at once, while a valid client
// keeps getting answers; then every one of the 500 must have its 401 and
// be closed by the server.
func TestSlowBodiesDoNotStarveClients(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	up := newFakeUpstream(t)
	for _, command := range []string{"serve", "proxy"} {
		t.Run(command, func(t *testing.T) {
			ts := startPEMServer(t, command, kp, up)
			tok := mintFor(t, kp, ts, testkeys.TokenOptions{Scopes: []string{"mcp:tools"}})
			valid := func() {
				t.Helper()
				resp, _ := do(t, http.MethodPost, ts.mcp(), tok, whoamiBody)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("valid client: %d", resp.StatusCode)
				}
			}
			const n = 500
			readers := make([]*bufio.Reader, 0, n)
			for i := range n {
				_, br := rawRequest(t, ts.url, "POST", mcpPath, "", `{"jsonrpc":"2.0"`)
				readers = append(readers, br)
				if i%100 == 0 {
					valid()
				}
			}
			valid()
			for i, br := range readers {
				if got := readAndExpectClose(t, br); got != http.StatusUnauthorized {
					t.Fatalf("connection %d: status %d, want 401", i, got)
				}
			}
			valid()
		})
	}
}

// TestReadTimeoutBoundsAcceptedBodies: an authenticated request whose body
// never arrives is given up after the request read timeout (here 300ms),
// for serve (the MCP handler reads the body) and proxy (the upstream
// request reads it): the connection is closed and the upstream, if
// reached, gets no complete request.
func TestReadTimeoutBoundsAcceptedBodies(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	up := newFakeUpstream(t)
	for _, command := range []string{"serve", "proxy"} {
		t.Run(command, func(t *testing.T) {
			ts := startPEMServer(t, command, kp, up, func(c *serverConfig) { c.readTimeouts.request = 300 * time.Millisecond })
			tok := mintFor(t, kp, ts, testkeys.TokenOptions{Scopes: []string{"mcp:tools"}})
			_, br := rawRequest(t, ts.url, "POST", mcpPath, tok, `{"jsonrpc":"2.0",`)
			resp, err := http.ReadResponse(br, nil)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				if resp.StatusCode < 400 {
					t.Errorf("status %d for a request whose body never came", resp.StatusCode)
				}
				expectServerClosed(t, br)
			} else if !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
				t.Errorf("reading: %v; want a response or the connection closed", err)
			}
		})
	}
}

// sseUpstream streams one event, waits for release, then a second one,
// for GET and for POST (after reading the whole request body).
func sseUpstream(t *testing.T, release <-chan struct{}) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: first\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		fmt.Fprint(w, "data: second\n\n")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestReadTimeoutKeepsStreams: the request read timeout bounds reading the
// request, not the response: SSE streams through the proxy, for GET and
// for POST with a body, outlive it many times over. (With net/http's plain
// ReadTimeout the stream's context would be cancelled when it passes.)
func TestReadTimeoutKeepsStreams(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	const timeout = 750 * time.Millisecond // generous: a loaded machine must still read the request in time
	for _, method := range []string{"GET", "POST"} {
		t.Run(method, func(t *testing.T) {
			release := make(chan struct{})
			up := sseUpstream(t, release)
			ts := startServer(t, "proxy", pemVars(kp, envUpstream, up.URL+"/mcp"),
				func(c *serverConfig) { c.readTimeouts = readTimeouts{header: timeout, request: timeout} })
			tok := mintFor(t, kp, ts, testkeys.TokenOptions{})
			req, _ := http.NewRequest(method, ts.mcp(), strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
			if method == "GET" {
				req.Body, req.ContentLength = nil, 0
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Accept", "text/event-stream")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			br := bufio.NewReader(resp.Body)
			if line, err := br.ReadString('\n'); err != nil || line != "data: first\n" {
				t.Fatalf("first event: %q %v", line, err)
			}
			time.Sleep(4 * timeout) // let the request read timeout pass, several times over
			close(release)
			br.ReadString('\n')
			if line, err := br.ReadString('\n'); err != nil || line != "data: second\n" {
				t.Fatalf("second event after the read timeout: %q %v (stream cut?)", line, err)
			}
		})
	}
}

// TestReadTimeoutDefaults: the server gets the documented defaults, and a
// zero field in the seam keeps its default.
func TestReadTimeoutDefaults(t *testing.T) {
	var srv http.Server
	setReadTimeouts(&srv, readTimeouts{request: time.Second})
	if srv.ReadHeaderTimeout != 10*time.Second || srv.ReadTimeout != time.Second || srv.IdleTimeout != 2*time.Minute {
		t.Errorf("timeouts: header %v, request %v, idle %v", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.IdleTimeout)
	}
}

// TestSlowBodyAnsweredAtOnceByAuthz: the gateway auth service shares the
// server lifecycle: a check that announces a body and never sends it gets
// its 401 (or 200 for a valid token) at once, and the connection is
// closed.
func TestSlowBodyAnsweredAtOnceByAuthz(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	ts := startAuthz(t, pemVars(kp))
	good := mintAuthz(t, kp, testkeys.TokenOptions{})
	for _, tt := range []struct {
		name, token string
		want        int
	}{
		{"no_token", "", http.StatusUnauthorized},
		{"garbage_token", "not.a.jwt", http.StatusUnauthorized},
		{"valid_token", good, http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, br := rawRequest(t, ts.url, "POST", "/check", tt.token, "")
			if got := readAndExpectClose(t, br); got != tt.want {
				t.Errorf("status %d, want %d", got, tt.want)
			}
		})
	}
}
