package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testServer is serve or proxy running in-process on 127.0.0.1:0.
type testServer struct {
	url    string // http://127.0.0.1:port
	logs   *syncBuffer
	stdout *syncBuffer
}

func (s *testServer) mcp() string { return s.url + mcpPath }

// startServer runs command with the MCPAUTH_* variables in vars (the listen
// address is forced to 127.0.0.1:0) and stops it when the test ends,
// failing the test if it does not shut down cleanly. adjust may change the
// configuration (test seams).
func startServer(t *testing.T, command string, vars map[string]string, adjust ...func(*serverConfig)) *testServer {
	t.Helper()
	cfg, err := configFromEnv(command, vars, "127.0.0.1:0", "")
	if err != nil {
		t.Fatalf("configFromEnv: %v", err)
	}
	ts := &testServer{logs: &syncBuffer{}, stdout: &syncBuffer{}}
	cfg.logger = slog.New(slog.NewTextHandler(ts.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.stdout = ts.stdout
	cfg.shutdownTimeout = 5 * time.Second
	for _, f := range adjust {
		f(cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- serve(ctx, cfg, ready) }()
	select {
	case ts.url = <-ready:
	case err := <-errc:
		cancel()
		t.Fatalf("serve returned before it was ready: %v", err)
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("serve did not become ready")
	}
	t.Cleanup(func() {
		// A client connection dialed but never used counts as active for
		// 5s in http.Server.Shutdown; close them so shutdown is prompt.
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("serve did not shut down")
		}
	})
	return ts
}

// whoamiBody is a stateless tools/call of whoami.
const whoamiBody = demoRequestBody

// do sends a request with an optional bearer token and returns the
// response with its body read.
func do(t *testing.T, method, url, token, body string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
			continue
		}
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// callWhoami posts a whoami call and returns the status, the
// WWW-Authenticate header and, on success, the structured content.
func callWhoami(t *testing.T, endpoint, token string) (status int, challenge string, result map[string]any) {
	t.Helper()
	resp, body := do(t, http.MethodPost, endpoint, token, whoamiBody)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), nil
	}
	var rpc struct {
		Result struct {
			Content []struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"content"`
			StructuredContent map[string]any `json:"structuredContent"`
			IsError           bool           `json:"isError"`
		} `json:"result"`
		Error any `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &rpc); err != nil {
		t.Fatalf("whoami response is not JSON-RPC (%v): %s", err, body)
	}
	if rpc.Error != nil || rpc.Result.IsError || rpc.Result.StructuredContent == nil {
		t.Fatalf("whoami failed: %s", body)
	}
	// The text content is the same JSON as the structured content.
	if len(rpc.Result.Content) != 1 || rpc.Result.Content[0].Type != "text" {
		t.Fatalf("whoami content = %+v, want one text block", rpc.Result.Content)
	}
	var fromText map[string]any
	if err := json.Unmarshal([]byte(rpc.Result.Content[0].Text), &fromText); err != nil {
		t.Fatalf("whoami text is not JSON: %v", err)
	}
	a, _ := json.Marshal(fromText)
	b, _ := json.Marshal(rpc.Result.StructuredContent)
	if !bytes.Equal(a, b) {
		t.Errorf("whoami text %s differs from structured content %s", a, b)
	}
	return resp.StatusCode, "", rpc.Result.StructuredContent
}

// pemVars configures a PEM-key JWT verifier.
func pemVars(kp *testkeys.KeyPair, extra ...string) map[string]string {
	m := map[string]string{
		envPublicKey: kp.PublicKeyPEM(),
		envIssuer:    iss,
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

// mintFor mints a token for a server's resource unless o says otherwise.
func mintFor(t *testing.T, kp *testkeys.KeyPair, ts *testServer, o testkeys.TokenOptions) string {
	t.Helper()
	if o.Audience == nil {
		o.Audience = []string{ts.mcp()}
	}
	return mint(t, kp, o)
}

func TestMaxHeaderBytes(t *testing.T) {
	if got := maxHeaderBytes(0); got != minMaxHeaderBytes {
		t.Errorf("default: %d, want %d", got, minMaxHeaderBytes)
	}
	// A configured token cap above the default still fits in the headers.
	if got := maxHeaderBytes(200 << 10); got <= 200<<10 {
		t.Errorf("200 KiB tokens: header limit %d is too small", got)
	}
}

func TestServeHugeHeader(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	ts := startServer(t, "serve", pemVars(kp))
	huge := strings.Repeat("a", 200<<10)
	resp, _ := do(t, http.MethodPost, ts.mcp(), huge, whoamiBody)
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("200 KiB Authorization header: %d, want 431", resp.StatusCode)
	}
	// A token above the verifier's cap but within the header limit.
	resp, _ = do(t, http.MethodPost, ts.mcp(), strings.Repeat("a", 20<<10), whoamiBody)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("20 KiB token: %d, want 401", resp.StatusCode)
	}
	if status, _, _ := callWhoami(t, ts.mcp(), mintFor(t, kp, ts, testkeys.TokenOptions{})); status != http.StatusOK {
		t.Errorf("after the huge header: %d, want 200", status)
	}
}
