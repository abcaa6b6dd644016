package sdkauth_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/resource"
	"github.com/mcpauth/mcpauth/sdkauth"
	"github.com/mcpauth/mcpauth/verify"
)

// whoami is a go-sdk tool handler that reads the caller's verified access
// token.
func whoami(_ context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
	at, ok := sdkauth.AccessTokenFrom(req.Extra.TokenInfo)
	if !ok {
		return nil, nil, errors.New("unauthenticated")
	}
	text := fmt.Sprintf("%s via %s, scopes %s", at.Subject, at.ClientID, strings.Join(at.Scopes, " "))
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}, nil, nil
}

// A go-sdk MCP server whose streamable HTTP endpoint only answers requests
// with a valid JWT access token. Requests without one get mcpauth's RFC 6750
// responses, with resource_metadata pointing at the RFC 9728 document; tool
// handlers read the token with AccessTokenFrom (see whoami above).
func ExampleProtect() {
	res, err := resource.New(resource.Config{
		URL:                  "https://mcp.example.com/mcp",
		AuthorizationServers: []string{"https://auth.example.com"},
	})
	if err != nil {
		log.Fatal(err)
	}
	v, err := verify.NewJWTVerifier(verify.Settings{
		JWKSURI:   "https://auth.example.com/.well-known/jwks.json",
		Issuers:   res.AuthorizationServers(),
		Audiences: []string{res.Audience()},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	server := mcp.NewServer(&mcp.Implementation{Name: "example", Version: "1.0.0"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "whoami", Description: "Who is calling?"}, whoami)
	handler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)

	mux := http.NewServeMux()
	mux.Handle(res.MetadataPath(), res.MetadataHandler()) // public: outside Protect
	mux.Handle(res.Path(), sdkauth.Protect(v, res.MiddlewareOption())(handler))
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", mux))
}

// Tool handlers can be unit-tested without HTTP: TokenInfo builds the
// req.Extra.TokenInfo that Protect would provide.
func ExampleAccessTokenFrom() {
	at := &mcpauth.AccessToken{ClientID: "client-1", Subject: "alice", Scopes: []string{"mcp:tools"}}
	req := &mcp.CallToolRequest{Extra: &mcp.RequestExtra{TokenInfo: sdkauth.TokenInfo(at)}}
	res, _, err := whoami(context.Background(), req, struct{}{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Content[0].(*mcp.TextContent).Text)

	// Without Protect in front, there is no token: the handler refuses.
	_, _, err = whoami(context.Background(), &mcp.CallToolRequest{Extra: &mcp.RequestExtra{}}, struct{}{})
	fmt.Println(err)
	// Output:
	// alice via client-1, scopes mcp:tools
	// unauthenticated
}
