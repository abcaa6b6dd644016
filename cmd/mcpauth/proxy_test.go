package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// fakeUpstream records what reaches it. GET on its MCP path streams two
// SSE events, the second only after release is closed; other requests get
// a small JSON body.
type fakeUpstream struct {
	srv     *httptest.Server
	hits    atomic.Int64
	release chan struct{}

	mu   sync.Mutex
	last *http.Request
}

func newFakeUpstream(t *testing.T) *fakeUpstream {
	t.Helper()
	u := &fakeUpstream{release: make(chan struct{})}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.hits.Add(1)
		u.mu.Lock()
		u.last = r.Clone(context.Background())
		u.mu.Unlock()
		if r.Method == http.MethodGet && r.URL.Path == "/up/mcp" {
			w.Header().Set("Content-Type", "text/event-stream")
			w.Header().Set("Access-Control-Allow-Origin", "https://upstream-policy.example.com")
			fmt.Fprint(w, "event: message\ndata: first\n\n")
			w.(http.Flusher).Flush()
			select {
			case <-u.release:
			case <-r.Context().Done():
				return
			}
			fmt.Fprint(w, "event: message\ndata: second\n\n")
			return
		}
		if r.Method == http.MethodGet && r.URL.Path == "/up/mcp/fixed" {
			// A body of known length written in two parts: net/http's
			// ReverseProxy buffers these unless the writer flushes.
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Length", "12")
			fmt.Fprint(w, "first\n")
			w.(http.Flusher).Flush()
			select {
			case <-u.release:
			case <-r.Context().Done():
				return
			}
			fmt.Fprint(w, "later\n")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"path":%q}`, r.URL.Path)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *fakeUpstream) lastRequest() *http.Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.last
}

func startProxy(t *testing.T, upstream string, vars map[string]string) *testServer {
	t.Helper()
	vars[envUpstream] = upstream
	return startServer(t, "proxy", vars)
}

func TestProxyForwardsIdentityNotToken(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	up := newFakeUpstream(t)
	ts := startProxy(t, up.srv.URL+"/up/mcp", pemVars(kp, envScopes, "mcp:tools"))
	tok := mintFor(t, kp, ts, testkeys.TokenOptions{
		Subject:          "alice",
		Scopes:           []string{"mcp:tools", "read"},
		AdditionalClaims: map[string]any{"client_id": "app-1"},
	})

	resp, body := do(t, http.MethodPost, ts.url+"/mcp/sub/path?x=1&y=2", tok, `{}`,
		"X-MCPAuth-Subject", "admin",
		"x-mcpauth-client-id", "evil",
		"X-Mcpauth-Role", "root",
		"X_MCPAuth_Scopes", "admin", // CGI/WSGI servers read '_' as '-'
		"Proxy-Authorization", "Basic c2VjcmV0",
		"Connection", "X-Hop",
		"X-Hop", "hop-by-hop",
		"X-Forwarded-For", "203.0.113.9",
		"Mcp-Session-Id", "session-1",
		"DPoP", "a.dpop.proof",
		"X-MCPAuth-DPoP-JKT", "spoofed",
	)
	if resp.StatusCode != http.StatusOK || body != `{"path":"/up/mcp/sub/path"}` {
		t.Fatalf("proxied request: %d %s", resp.StatusCode, body)
	}
	r := up.lastRequest()
	if r.URL.RawQuery != "x=1&y=2" {
		t.Errorf("query = %q", r.URL.RawQuery)
	}
	want := map[string]string{
		headerClientID:   "app-1",
		headerSubject:    "alice",
		headerScopes:     "mcp:tools read",
		headerIssuer:     iss,
		headerExpiresAt:  "",
		"Mcp-Session-Id": "session-1",
	}
	for name, v := range want {
		got := r.Header.Values(name)
		if len(got) != 1 || (v != "" && got[0] != v) {
			t.Errorf("upstream %s = %q, want [%q]", name, got, v)
		}
	}
	if exp := r.Header.Get(headerExpiresAt); exp < fmt.Sprint(time.Now().Unix()) {
		t.Errorf("%s = %q, want a future Unix time", headerExpiresAt, exp)
	}
	for name := range r.Header {
		lower := strings.ToLower(name)
		if strings.HasPrefix(strings.ReplaceAll(lower, "_", "-"), "x-mcpauth-") && !slices.ContainsFunc(
			[]string{headerClientID, headerSubject, headerScopes, headerIssuer, headerExpiresAt},
			func(h string) bool { return strings.EqualFold(h, name) }) {
			t.Errorf("spoofed header %s reached the upstream", name)
		}
	}
	for _, name := range []string{"Authorization", "Proxy-Authorization", "X-Hop", "DPoP"} {
		if v := r.Header.Values(name); len(v) != 0 {
			t.Errorf("upstream got %s: %q", name, v)
		}
	}
	for _, v := range r.Header {
		for _, s := range v {
			if strings.Contains(s, tok) {
				t.Errorf("the token reached the upstream in %q", s)
			}
		}
	}
	if got := r.Header.Get("X-Forwarded-For"); got != "127.0.0.1" {
		t.Errorf("X-Forwarded-For = %q, want the client address only", got)
	}
	if got := r.Header.Get("X-Forwarded-Host"); got != strings.TrimPrefix(ts.url, "http://") {
		t.Errorf("X-Forwarded-Host = %q", got)
	}

	// Compression is negotiated by the client, never added by the proxy:
	// the upstream's bytes are passed through as they come.
	noGzip := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	req, _ := http.NewRequest(http.MethodPost, ts.mcp(), strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := noGzip.Do(req); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	if ae := up.lastRequest().Header.Values("Accept-Encoding"); len(ae) != 0 {
		t.Errorf("the proxy asked the upstream for %q", ae)
	}
	noGzip.CloseIdleConnections()

	// /mcp itself maps to the upstream URL.
	if _, body := do(t, http.MethodPost, ts.mcp(), tok, `{}`); body != `{"path":"/up/mcp"}` {
		t.Errorf("POST /mcp reached %s", body)
	}
}

func TestProxyRejectsWithoutReachingUpstream(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	up := newFakeUpstream(t)
	ts := startProxy(t, up.srv.URL+"/up/mcp", pemVars(kp, envScopes, "mcp:tools"))
	meta := ts.url + "/.well-known/oauth-protected-resource/mcp"
	tests := []struct {
		name       string
		token      string
		wantStatus int
		wantError  string
	}{
		{"no token", "", http.StatusUnauthorized, ""},
		{"expired", mintFor(t, kp, ts, testkeys.TokenOptions{Scopes: []string{"mcp:tools"}, ExpiresIn: -time.Hour}), http.StatusUnauthorized, "invalid_token"},
		{"wrong audience", mintFor(t, kp, ts, testkeys.TokenOptions{Scopes: []string{"mcp:tools"}, Audience: []string{"https://upstream.example.com"}}), http.StatusUnauthorized, "invalid_token"},
		{"missing scope", mintFor(t, kp, ts, testkeys.TokenOptions{}), http.StatusForbidden, "insufficient_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"/mcp", "/mcp/x"} {
				resp, _ := do(t, http.MethodPost, ts.url+path, tt.token, `{}`)
				ch := resp.Header.Get("WWW-Authenticate")
				if resp.StatusCode != tt.wantStatus || !strings.Contains(ch, `resource_metadata="`+meta+`"`) ||
					(tt.wantError == "") == strings.Contains(ch, "error=") ||
					(tt.wantError != "" && !strings.Contains(ch, `error="`+tt.wantError+`"`)) {
					t.Errorf("POST %s: %d %q", path, resp.StatusCode, ch)
				}
			}
		})
	}
	if n := up.hits.Load(); n != 0 {
		t.Errorf("the upstream received %d rejected requests", n)
	}
	// Own endpoints; other paths are not forwarded (encoded dot segments:
	// TestProxyPathStaysBelowTheMount).
	if resp, body := do(t, http.MethodGet, ts.url+"/healthz", "", ""); resp.StatusCode != http.StatusOK || body != "ok\n" {
		t.Errorf("healthz: %d %q", resp.StatusCode, body)
	}
	if _, body := do(t, http.MethodGet, meta, "", ""); !strings.Contains(body, `"resource":"`+ts.mcp()+`"`) ||
		!strings.Contains(body, `"authorization_servers":["`+iss+`"]`) {
		t.Errorf("metadata = %s", body)
	}
	tok := mintFor(t, kp, ts, testkeys.TokenOptions{Scopes: []string{"mcp:tools"}})
	for _, path := range []string{"/admin", "/", "/mcpx", "/MCP"} {
		if resp, _ := do(t, http.MethodGet, ts.url+path, tok, ""); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
	if n := up.hits.Load(); n != 0 {
		t.Errorf("the upstream received %d requests for the proxy's own paths", n)
	}
}

func TestProxyFlushesKnownLengthBodies(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	up := newFakeUpstream(t)
	ts := startProxy(t, up.srv.URL+"/up/mcp", pemVars(kp))
	tok := mintFor(t, kp, ts, testkeys.TokenOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.mcp()+"/fixed", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if line, err := br.ReadString('\n'); err != nil || line != "first\n" {
		t.Fatalf("first part: %q %v (buffered by the proxy?)", line, err)
	}
	close(up.release)
	if line, err := br.ReadString('\n'); err != nil || line != "later\n" {
		t.Fatalf("second part: %q %v", line, err)
	}
}

func TestProxyStreamsSSEWithoutBuffering(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	up := newFakeUpstream(t)
	ts := startProxy(t, up.srv.URL+"/up/mcp", pemVars(kp))
	tok := mintFor(t, kp, ts, testkeys.TokenOptions{})

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.mcp(), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Origin", "https://app.example.com")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET /mcp: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// One CORS policy: the proxy's.
	if got := resp.Header.Values("Access-Control-Allow-Origin"); !slices.Equal(got, []string{"*"}) {
		t.Errorf("Access-Control-Allow-Origin = %q", got)
	}
	br := bufio.NewReader(resp.Body)
	readEvent := func() string {
		var data string
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("reading the stream: %v (buffered by the proxy?)", err)
			}
			if line == "\n" {
				return data
			}
			if v, ok := strings.CutPrefix(line, "data: "); ok {
				data = strings.TrimSpace(v)
			}
		}
	}
	// The upstream holds the stream open until the first event has been
	// read here: a buffering proxy would block until the deadline.
	if got := readEvent(); got != "first" {
		t.Fatalf("first event = %q", got)
	}
	close(up.release)
	if got := readEvent(); got != "second" {
		t.Fatalf("second event = %q", got)
	}
}

func TestProxyUpstreamDown(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	upstream := "http://" + closedPort(t) + "/mcp"
	ts := startProxy(t, upstream, pemVars(kp))
	tok := mintFor(t, kp, ts, testkeys.TokenOptions{})
	resp, body := do(t, http.MethodPost, ts.mcp(), tok, `{}`)
	if resp.StatusCode != http.StatusBadGateway || body != `{"error":"bad_gateway","error_description":"the upstream MCP server did not answer"}` {
		t.Errorf("upstream down: %d %s", resp.StatusCode, body)
	}
	logs := ts.logs.String()
	if !strings.Contains(logs, "upstream request failed") {
		t.Errorf("the failure is not logged:\n%s", logs)
	}
	for _, s := range secretsOf(tok) {
		if strings.Contains(logs, s) {
			t.Errorf("the token is in the logs:\n%s", logs)
		}
	}
}

// TestProxyWithSDKServer runs a real go-sdk streamable server (stateful,
// with sessions and the standalone SSE stream) behind the proxy.
func TestProxyWithSDKServer(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	server := mcp.NewServer(&mcp.Implementation{Name: "upstream", Version: "1"}, nil)
	type identity struct {
		ClientID      string `json:"client_id"`
		Scopes        string `json:"scopes"`
		Authorization string `json:"authorization"`
	}
	mcp.AddTool(server, &mcp.Tool{Name: "identity"}, func(_ context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, identity, error) {
		h := req.Extra.Header
		return nil, identity{ClientID: h.Get(headerClientID), Scopes: h.Get(headerScopes), Authorization: h.Get("Authorization")}, nil
	})
	up := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil))
	// Cleanups run last-in first-out: the client's session (with its
	// standalone SSE stream) closes first, then the proxy, then this.
	t.Cleanup(up.Close)
	ts := startProxy(t, up.URL, pemVars(kp))
	tok := mintFor(t, kp, ts, testkeys.TokenOptions{Scopes: []string{"a", "b"}})

	cs := connectClient(t, ts.mcp(), tok)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "identity"})
	if err != nil {
		t.Fatal(err)
	}
	var got identity
	if err := json.Unmarshal([]byte(res.Content[0].(*mcp.TextContent).Text), &got); err != nil {
		t.Fatal(err)
	}
	if got != (identity{ClientID: testkeys.DefaultSubject, Scopes: "a b"}) {
		t.Errorf("upstream saw %+v", got)
	}
}

// TestIdentityHeaders: a value that cannot be sent exactly is an error
// naming its header, never left out.
func TestIdentityHeaders(t *testing.T) {
	exp := time.Unix(1893456000, 0)
	tests := []struct {
		name    string
		at      *mcpauth.AccessToken
		want    map[string]string
		wantErr string // the header the error names
	}{
		{"full", &mcpauth.AccessToken{ClientID: "app", Subject: "alice", Scopes: []string{"a", "b:c"}, Issuer: "https://iss", ExpiresAt: exp},
			map[string]string{headerClientID: "app", headerSubject: "alice", headerScopes: "a b:c", headerIssuer: "https://iss", headerExpiresAt: "1893456000"}, ""},
		{"minimal", &mcpauth.AccessToken{ClientID: "app"}, map[string]string{headerClientID: "app"}, ""},
		{"DPoP-bound", &mcpauth.AccessToken{ClientID: "app", DPoPThumbprint: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"},
			map[string]string{headerClientID: "app", headerDPoPJKT: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}, ""},
		{"longest value", &mcpauth.AccessToken{ClientID: strings.Repeat("a", maxIdentityValue)}, map[string]string{headerClientID: strings.Repeat("a", maxIdentityValue)}, ""},
		{"nil", nil, nil, "no verified token"},
		{"CRLF in subject", &mcpauth.AccessToken{ClientID: "app", Subject: "alice\r\nX-MCPAuth-Client-ID: admin"}, nil, headerSubject},
		{"non-ASCII client", &mcpauth.AccessToken{ClientID: "appé", Subject: "bob"}, nil, headerClientID},
		{"NUL", &mcpauth.AccessToken{ClientID: "a\x00b"}, nil, headerClientID},
		{"tab in issuer", &mcpauth.AccessToken{ClientID: "app", Issuer: "x\ty"}, nil, headerIssuer},
		{"DEL", &mcpauth.AccessToken{ClientID: "app\x7f"}, nil, headerClientID},
		{"leading space", &mcpauth.AccessToken{ClientID: " app"}, nil, headerClientID},
		{"trailing space", &mcpauth.AccessToken{ClientID: "app", Subject: "bob "}, nil, headerSubject},
		{"huge", &mcpauth.AccessToken{ClientID: strings.Repeat("a", maxIdentityValue+1)}, nil, headerClientID},
		{"scope with a space reads as two", &mcpauth.AccessToken{ClientID: "app", Scopes: []string{"read", "write admin"}}, nil, headerScopes},
		{"scope with a quote", &mcpauth.AccessToken{ClientID: "app", Scopes: []string{`q"`}}, nil, headerScopes},
		{"non-ASCII scope", &mcpauth.AccessToken{ClientID: "app", Scopes: []string{"é"}}, nil, headerScopes},
		{"empty scope", &mcpauth.AccessToken{ClientID: "app", Scopes: []string{"a", ""}}, nil, headerScopes},
		{"too many scopes", &mcpauth.AccessToken{ClientID: "app", Scopes: slices.Repeat([]string{"scope"}, maxIdentityValue/5)}, nil, headerScopes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := identityHeaders(tt.at)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || got != nil {
					t.Errorf("got %v, %v; want an error naming %s", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestIsIdentityHeader(t *testing.T) {
	for name, want := range map[string]bool{
		"X-MCPAuth-Subject": true, "x-mcpauth-anything": true, "X_MCPAUTH_CLIENT_ID": true, "X-Mcpauth_Scopes": true,
		"X-MCPAuth": false, "X-MCPAuthX": false, "Authorization": false, "X-Forwarded-For": false,
	} {
		if got := isIdentityHeader(name); got != want {
			t.Errorf("isIdentityHeader(%q) = %v, want %v", name, got, want)
		}
	}
}
