// Command nethttp-scopes is a plain net/http API protected by mcpauth with a
// different scope per route:
//
//	GET    /notes   notes:read               list the notes
//	POST   /notes   notes:write              add a note (the body), signed by the caller
//	DELETE /notes   notes:write notes:admin  delete every note
//	GET    /healthz (no token)               liveness
//
// middleware.New authenticates every request under the API mux once;
// middleware.RequireScopes then checks each route's scopes, answering 403
// insufficient_scope with the route's scopes in the challenge. Handlers read
// the caller with middleware.AccessTokenFrom.
//
// The verifier is configured from the MCPAUTH_JWT_* variables (for example
// MCPAUTH_JWT_PUBLIC_KEY with a PEM public key, MCPAUTH_JWT_ISSUER,
// MCPAUTH_JWT_AUDIENCE); the listen address from -addr or MCPAUTH_ADDR
// (default 127.0.0.1:8081). When AUDIENCE is unset, tokens must name the base
// URL (MCPAUTH_JWT_BASE_URL, default http:// + the listen address). With no
// key configured it runs a demo with an ephemeral key and prints tokens to
// try.
//
//	go run ./nethttp-scopes
package main
