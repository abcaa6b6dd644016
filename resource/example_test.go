package resource_test

import (
	"fmt"
	"log"
	"net/http"

	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/resource"
	"github.com/mcpauth/mcpauth/verify"
)

// One value wires the metadata route, the challenge and the audience.
func ExampleNew() {
	res, err := resource.New(resource.Config{
		URL:                  "https://mcp.example.com/mcp",
		AuthorizationServers: []string{"https://auth.example.com"},
		Scopes:               []string{"mcp:tools"},
	})
	if err != nil {
		log.Fatal(err)
	}
	v, err := verify.NewJWTVerifier(verify.Settings{
		JWKSURI:        "https://auth.example.com/.well-known/jwks.json",
		Issuers:        res.AuthorizationServers(),
		Audiences:      []string{res.Audience()},
		RequiredScopes: res.Scopes(),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	mcpHandler := http.NotFoundHandler() // your MCP server
	mux := http.NewServeMux()
	mux.Handle(res.MetadataPath(), res.MetadataHandler()) // public: outside the middleware
	mux.Handle(res.Path(), middleware.New(v, res.MiddlewareOption())(mcpHandler))

	fmt.Println(res.Path())
	fmt.Println(res.MetadataPath())
	fmt.Println(res.MetadataURL())
	// Output:
	// /mcp
	// /.well-known/oauth-protected-resource/mcp
	// https://mcp.example.com/.well-known/oauth-protected-resource/mcp
}
