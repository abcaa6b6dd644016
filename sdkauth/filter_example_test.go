package sdkauth_test

import (
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/policy"
	"github.com/mcpauth/mcpauth/sdkauth"
)

// An operation policy for a go-sdk server: the middleware refuses calls the
// token may not make (403 with a step-up challenge), and FilterTools hides
// those tools from tools/list.
func ExampleFilterTools() {
	p := policy.MustNew(policy.Config{
		Tools:   map[string][]string{"delete_notes": {"notes:write"}, policy.Any: {"notes:read"}},
		Implies: map[string][]string{"notes:write": {"notes:read"}},
	})
	server := mcp.NewServer(&mcp.Implementation{Name: "notes", Version: "1.0.0"}, nil)
	// ... add the tools ...
	server.AddReceivingMiddleware(sdkauth.FilterTools(p))

	var verifier mcpauth.TokenVerifier // verify.NewJWTVerifier(...) in production
	if verifier == nil {
		return
	}
	handler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)
	http.Handle("/mcp", sdkauth.Protect(verifier, middleware.WithPolicy(p))(handler))
}
