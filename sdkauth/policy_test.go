package sdkauth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/policy"
	"github.com/mcpauth/mcpauth/static"
)

// TestProtectWithPolicy runs a go-sdk server behind Protect with an
// operation policy: a token with notes:read lists and searches but gets 403
// insufficient_scope for delete_notes; a token with notes:admin deletes,
// and the tool handler sees notes:write through the hierarchy.
func TestProtectWithPolicy(t *testing.T) {
	v, err := static.NewTokenVerifier(map[string]static.Token{
		"reader-token": {ClientID: "reader", Scopes: []string{"notes:read"}},
		"admin-token":  {ClientID: "admin", Scopes: []string{"notes:admin"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.New(policy.Config{
		Tools:   map[string][]string{"delete_notes": {"notes:write"}, "*": {"notes:read"}},
		Implies: map[string][]string{"notes:admin": {"notes:write"}, "notes:write": {"notes:read"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	server := mcp.NewServer(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	type out struct {
		Deleted bool `json:"deleted"`
	}
	mcp.AddTool(server, &mcp.Tool{Name: "search_notes"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, out, error) {
		return nil, out{}, nil
	})
	mcp.AddTool(server, &mcp.Tool{Name: "delete_notes"}, func(_ context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, out, error) {
		at, ok := AccessTokenFrom(req.Extra.TokenInfo)
		if !ok || !at.HasScopes("notes:write") {
			return nil, out{}, errNoToken
		}
		return nil, out{Deleted: true}, nil
	})
	handler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, &mcp.StreamableHTTPOptions{Stateless: true})
	srv := httptest.NewServer(Protect(v, middleware.WithPolicy(p))(handler))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	connect := func(token string) *mcp.ClientSession {
		client := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "1"}, nil)
		s, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: srv.URL, HTTPClient: &http.Client{Transport: bearer{token}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	reader := connect("reader-token")
	if res, err := reader.CallTool(ctx, &mcp.CallToolParams{Name: "search_notes"}); err != nil || res.IsError {
		t.Fatalf("search_notes with notes:read: %v %+v", err, res)
	}
	if _, err := reader.CallTool(ctx, &mcp.CallToolParams{Name: "delete_notes"}); err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Fatalf("delete_notes with notes:read: %v; want Forbidden", err)
	}
	admin := connect("admin-token")
	res, err := admin.CallTool(ctx, &mcp.CallToolParams{Name: "delete_notes"})
	if err != nil || res.IsError || !strings.Contains(res.Content[0].(*mcp.TextContent).Text, `"deleted":true`) {
		t.Fatalf("delete_notes with notes:admin: %v %+v", err, res)
	}

	// The 403 over plain HTTP carries the step-up challenge.
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"delete_notes","arguments":{}}}`))
	req.Header.Set("Authorization", "Bearer reader-token")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="insufficient_scope"`) ||
		!strings.Contains(resp.Header.Get("WWW-Authenticate"), `scope="notes:write"`) {
		t.Fatalf("status %d challenge %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}
