// Command gosdk-server is an MCP server built with the official Go SDK
// (github.com/modelcontextprotocol/go-sdk) whose streamable HTTP endpoint is
// protected by mcpauth.
//
// sdkauth.Protect answers every unauthenticated request itself (RFC 6750
// 401/403 with resource_metadata) and hands the verified access token to the
// SDK, where the whoami tool reads it with sdkauth.AccessTokenFrom. The RFC
// 9728 metadata document that MCP clients discover from the 401, its route,
// the challenge's resource_metadata and the default audience all come from
// one resource.Resource built from the resource URL.
//
// Configuration comes from the MCPAUTH_JWT_* variables of
// verify.SettingsFromEnv (JWKS_URI, ISSUER, AUDIENCE, REQUIRED_SCOPES,
// BASE_URL, ...) and the -addr flag (or MCPAUTH_ADDR, default
// 127.0.0.1:8080). The resource URL is BASE_URL + "/mcp", BASE_URL defaulting
// to http:// + the listen address; when AUDIENCE is unset, tokens must name
// that resource URL as their audience.
//
// With neither MCPAUTH_JWT_JWKS_URI nor MCPAUTH_JWT_PUBLIC_KEY set, it runs a
// demo: it generates an ephemeral key pair, serves its JWK Set itself at
// /.well-known/jwks.json, verifies tokens against that JWKS exactly as in
// production, and prints a token to try.
//
//	go run ./gosdk-server
package main
