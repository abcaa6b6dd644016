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
	"github.com/mcpauth/mcpauth/metadata"
	"github.com/mcpauth/mcpauth/middleware"
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
	const resource = "https://mcp.example.com/mcp"
	v, err := verify.NewJWTVerifier(verify.Settings{
		JWKSURI:   "https://auth.example.com/.well-known/jwks.json",
		Issuers:   []string{"https://auth.example.com"},
		Audiences: []string{resource},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	server := mcp.NewServer(&mcp.Implementation{Name: "example", Version: "1.0.0"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "whoami", Description: "Who is calling?"}, whoami)
	handler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)

	metaURL, err := metadata.WellKnownURL(resource)
	if err != nil {
		log.Fatal(err)
	}
	metaPath, err := metadata.Path(resource)
	if err != nil {
		log.Fatal(err)
	}
	meta, err := metadata.NewHandler(metadata.ProtectedResource{
		Resource:             resource,
		AuthorizationServers: []string{"https://auth.example.com"},
	})
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.Handle("/mcp", sdkauth.Protect(v, middleware.WithResourceMetadata(metaURL))(handler))
	mux.Handle(metaPath, meta)
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
