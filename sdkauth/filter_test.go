package sdkauth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/policy"
	"github.com/mcpauth/mcpauth/static"
)

// TestFilterTools lists tools through a go-sdk server with FilterTools: each
// caller sees only the tools its token may call, the hierarchy applying.
func TestFilterTools(t *testing.T) {
	v, err := static.NewTokenVerifier(map[string]static.Token{
		"basic-token":  {ClientID: "basic"},
		"reader-token": {ClientID: "reader", Scopes: []string{"notes:read"}},
		"admin-token":  {ClientID: "admin", Scopes: []string{"notes:admin"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := policy.MustNew(policy.Config{
		Tools:   map[string][]string{"delete_notes": {"notes:write"}, "search_notes": {"notes:read"}},
		Implies: map[string][]string{"notes:admin": {"notes:write"}, "notes:write": {"notes:read"}},
	})
	server := mcp.NewServer(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	for _, name := range []string{"delete_notes", "search_notes", "whoami"} {
		mcp.AddTool(server, &mcp.Tool{Name: name}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, struct{}, error) {
			return nil, struct{}{}, nil
		})
	}
	server.AddReceivingMiddleware(FilterTools(p))
	handler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, &mcp.StreamableHTTPOptions{Stateless: true})
	srv := httptest.NewServer(Protect(v, middleware.WithPolicy(p))(handler))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	list := func(token string) []string {
		client := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "1"}, nil)
		s, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: srv.URL, HTTPClient: &http.Client{Transport: bearer{token}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		res, err := s.ListTools(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, tool := range res.Tools {
			names = append(names, tool.Name)
		}
		slices.Sort(names)
		return names
	}
	for token, want := range map[string][]string{
		"basic-token":  {"whoami"},
		"reader-token": {"search_notes", "whoami"},
		"admin-token":  {"delete_notes", "search_notes", "whoami"},
	} {
		if got := list(token); !slices.Equal(got, want) {
			t.Errorf("%s lists %q, want %q", token, got, want)
		}
	}

	// Without an access token in the request, no tool is listed.
	next := func(context.Context, string, mcp.Request) (mcp.Result, error) {
		return &mcp.ListToolsResult{Tools: []*mcp.Tool{{Name: "whoami"}}}, nil
	}
	res, err := FilterTools(p)(next)(ctx, "tools/list", &mcp.ListToolsRequest{})
	if err != nil || len(res.(*mcp.ListToolsResult).Tools) != 0 {
		t.Errorf("without a token: %+v %v", res, err)
	}
}
