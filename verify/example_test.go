package verify_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/verify"
)

// A verifier for tokens signed with a known public key.
func ExampleNewJWTVerifier() {
	kp, err := testkeys.GenerateRSAKeyPair()
	if err != nil {
		panic(err)
	}
	v, err := verify.NewJWTVerifier(verify.Settings{
		PublicKey:      kp.PublicKeyPEM(),
		Issuers:        []string{"https://auth.example.com"},
		Audiences:      []string{"https://mcp.example.com/mcp"},
		RequiredScopes: []string{"mcp:tools"},
	})
	if err != nil {
		panic(err)
	}
	token, err := kp.CreateToken(testkeys.TokenOptions{
		Issuer:   "https://auth.example.com",
		Audience: []string{"https://mcp.example.com/mcp"},
		Subject:  "alice",
		Scopes:   []string{"mcp:tools"},
		AdditionalClaims: map[string]any{
			"client_id": "notes-app",
		},
	})
	if err != nil {
		panic(err)
	}
	at, err := v.VerifyToken(context.Background(), token)
	if err != nil {
		panic(err)
	}
	fmt.Println(at.ClientID, at.Subject, at.Scopes)
	// Output: notes-app alice [mcp:tools]
}

// Errors say what to do next: reject (401), ask for more scope (403) or
// retry later (503).
func ExampleInsufficientScopeError() {
	kp, _ := testkeys.GenerateEd25519KeyPair()
	v, _ := verify.NewJWTVerifier(verify.Settings{
		PublicKey:      kp.PublicKeyPEM(),
		Issuers:        []string{"https://auth.example.com"},
		Audiences:      []string{"api://mcp"},
		RequiredScopes: []string{"read", "write"},
	})
	for _, o := range []testkeys.TokenOptions{
		{Issuer: "https://auth.example.com", Audience: []string{"api://mcp"}, Scopes: []string{"read"}},
		{Issuer: "https://auth.example.com", Audience: []string{"api://mcp"}, ExpiresIn: -time.Hour},
	} {
		token, _ := kp.CreateToken(o)
		_, err := v.VerifyToken(context.Background(), token)
		var scopeErr *mcpauth.InsufficientScopeError
		switch {
		case errors.As(err, &scopeErr):
			fmt.Println("403, missing", scopeErr.Missing)
		case errors.Is(err, mcpauth.ErrInvalidToken):
			fmt.Println("401,", mcpauth.ReasonOf(err))
		case errors.Is(err, mcpauth.ErrKeySourceUnavailable):
			fmt.Println("503")
		}
	}
	// Output:
	// 403, missing [write]
	// 401, expired
}

// Settings from the environment, with FastMCP's variable names.
func ExampleSettingsFromMap() {
	s, err := verify.SettingsFromMap(verify.FastMCPEnvPrefix, map[string]string{
		"FASTMCP_SERVER_AUTH_JWT_JWKS_URI":        "https://auth.example.com/.well-known/jwks.json",
		"FASTMCP_SERVER_AUTH_JWT_ISSUER":          "https://auth.example.com",
		"FASTMCP_SERVER_AUTH_JWT_AUDIENCE":        "https://mcp.example.com/mcp",
		"FASTMCP_SERVER_AUTH_JWT_REQUIRED_SCOPES": `["mcp:read","mcp:write"]`,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(s.JWKSURI, s.Issuers, s.RequiredScopes)

	_, err = verify.SettingsFromMap(verify.EnvPrefix, map[string]string{"MCPAUTH_JWT_LEEWAY": "30"})
	fmt.Println(err)
	// Output:
	// https://auth.example.com/.well-known/jwks.json [https://auth.example.com] [mcp:read mcp:write]
	// invalid configuration: MCPAUTH_JWT_LEEWAY: "30" is not a Go duration such as 30s or 5m
}
