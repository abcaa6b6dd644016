package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/policy"
	"github.com/mcpauth/mcpauth/resource"
	"github.com/mcpauth/mcpauth/static"
)

// fixture runs the example's handler on a loopback server, recording the
// Mcp-Method and Mcp-Name headers that reach it.
type fixture struct {
	url     string // MCP endpoint
	metaURL string
	mu      sync.Mutex
	names   []string // Mcp-Name headers seen
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	f := &fixture{url: "http://" + srv.Listener.Addr().String() + mcpPath}
	res, err := resource.New(resource.Config{URL: f.url})
	if err != nil {
		t.Fatal(err)
	}
	f.metaURL = res.MetadataURL()
	v, err := static.NewTokenVerifier(demoTokens)
	if err != nil {
		t.Fatal(err)
	}
	h, err := newHandler(v, policy.MustNew(defaultPolicy), res)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n := r.Header.Get("Mcp-Name"); n != "" {
			f.mu.Lock()
			f.names = append(f.names, n)
			f.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
	srv.Start()
	t.Cleanup(srv.Close)
	return f
}

// connect returns an mcp-go client with token, initialized.
func (f *fixture) connect(t *testing.T, token string) *client.Client {
	t.Helper()
	c, err := client.NewStreamableHttpClient(f.url, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Initialize(ctx, mcp.InitializeRequest{Params: mcp.InitializeParams{
		ProtocolVersion: mcp.LATEST_PROTOCOL_VERSION,
		ClientInfo:      mcp.Implementation{Name: "test", Version: "1"},
	}}); err != nil {
		t.Fatal(err)
	}
	return c
}

// call calls a tool and returns its text, or the error.
func call(t *testing.T, c *client.Client, name string, args map[string]any) (string, bool, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: name, Arguments: args}})
	if err != nil {
		return "", false, err
	}
	return res.Content[0].(mcp.TextContent).Text, res.IsError, nil
}

func TestToolHandlersReadTheAccessToken(t *testing.T) {
	f := newFixture(t)
	reader := f.connect(t, "demo-reader")
	text, isErr, err := call(t, reader, "search_notes", map[string]any{"query": "plans"})
	if err != nil || isErr || text != `client reader searched for "plans" with scopes notes:read` {
		t.Fatalf("search_notes as reader: %q %v %v", text, isErr, err)
	}
	// The admin's token carries the implied scopes in the handler.
	admin := f.connect(t, "demo-admin")
	text, isErr, err = call(t, admin, "search_notes", nil)
	if err != nil || isErr || !strings.HasSuffix(text, "with scopes notes:admin notes:read notes:write") {
		t.Fatalf("search_notes as admin: %q %v %v", text, isErr, err)
	}
	if text, isErr, err = call(t, admin, "delete_notes", map[string]any{"all": true}); err != nil || isErr || text != "client admin deleted the notes" {
		t.Fatalf("delete_notes all as admin: %q %v %v", text, isErr, err)
	}
	// notes:write passes the policy; the tool itself refuses "all".
	writer := f.connect(t, "demo-writer")
	if text, isErr, err = call(t, writer, "delete_notes", map[string]any{"all": true}); err != nil || !isErr || !strings.Contains(text, "notes:admin") {
		t.Fatalf("delete_notes all as writer: %q %v %v", text, isErr, err)
	}
	if text, isErr, err = call(t, writer, "delete_notes", nil); err != nil || isErr {
		t.Fatalf("delete_notes as writer: %q %v %v", text, isErr, err)
	}
	// The policy refuses the reader (HTTP 403) before mcp-go runs the tool;
	// mcp-go's client surfaces the JSON-RPC error of the body.
	if _, _, err := call(t, reader, "delete_notes", nil); err == nil || !strings.Contains(err.Error(), "insufficient scope") {
		t.Fatalf("delete_notes as reader: %v, want the policy's refusal", err)
	}
	// mcp-go's client speaks 2026-07-28: it sent Mcp-Name, and the policy
	// validated it against the body.
	f.mu.Lock()
	defer f.mu.Unlock()
	if !strings.Contains(strings.Join(f.names, " "), "delete_notes") {
		t.Errorf("no Mcp-Name header seen (%q): the 2026-07-28 headers were not exercised", f.names)
	}
}

func TestPolicyRefusalOverHTTP(t *testing.T) {
	f := newFixture(t)
	post := func(token, body string, header ...string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPost, f.url, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	body := `{"jsonrpc":"2.0","id":"x7","method":"tools/call","params":{"name":"delete_notes","arguments":{}}}`
	resp, text := post("demo-reader", body)
	want := `Bearer error="insufficient_scope", error_description="the access token lacks a required scope", scope="notes:write", resource_metadata="` + f.metaURL + `"`
	if resp.StatusCode != 403 || resp.Header.Get("WWW-Authenticate") != want || !strings.Contains(text, `"id":"x7"`) {
		t.Errorf("%d %s %s\nwant %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), text, want)
	}
	resp, text = post("demo-admin", body, "Mcp-Method", "tools/call", "Mcp-Name", "search_notes")
	if resp.StatusCode != 400 || !strings.Contains(text, `"code":-32020`) {
		t.Errorf("Mcp-Name mismatch: %d %s", resp.StatusCode, text)
	}
}

// TestBase64McpName: mcp-go's client sends a non-ASCII tool name in
// Mcp-Name as =?base64?...?=; the policy decodes it, matches it with the
// body and applies the tool's rule.
func TestBase64McpName(t *testing.T) {
	s := server.NewMCPServer("t", "1")
	s.AddTool(mcp.NewTool("résumé"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		at, _ := middlewareToken(ctx)
		return mcp.NewToolResultText("ok " + at), nil
	})
	p := policy.MustNew(policy.Config{Tools: map[string][]string{"résumé": {"notes:write"}}})
	v, err := static.NewTokenVerifier(demoTokens)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var mu sync.Mutex
	authn := middleware.New(v, middleware.WithPolicy(p))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		names = append(names, r.Header.Get("Mcp-Name"))
		mu.Unlock()
		authn(server.NewStreamableHTTPServer(s, server.WithStateLess(true))).ServeHTTP(w, r)
	}))
	defer srv.Close()
	f := &fixture{url: srv.URL}
	if text, isErr, err := call(t, f.connect(t, "demo-writer"), "résumé", nil); err != nil || isErr || text != "ok writer" {
		t.Fatalf("résumé as writer: %q %v %v", text, isErr, err)
	}
	if _, _, err := call(t, f.connect(t, "demo-reader"), "résumé", nil); err == nil || !strings.Contains(err.Error(), "insufficient scope") {
		t.Fatalf("résumé as reader: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(names, "=?base64?csOpc3Vtw6k=?=") {
		t.Errorf("Mcp-Name headers %q: no base64 form", names)
	}
}

// middlewareToken returns the caller's client id.
func middlewareToken(ctx context.Context) (string, bool) {
	at, ok := middleware.AccessTokenFrom(ctx)
	if !ok {
		return "", false
	}
	return at.ClientID, true
}
