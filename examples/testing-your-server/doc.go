// Command testing-your-server is a tiny protected server. What matters is
// its test file, main_test.go: it shows how to test a server protected by
// mcpauth with the testkeys package — a key pair, a JWKS server, and a table
// of tokens (valid, expired, for another audience, lacking a scope, signed
// by a foreign key, ...) with the response each must get.
//
//	go test -v ./testing-your-server
//
// The server itself answers GET /hello with a greeting for the caller when
// the token grants hello:read. It is configured from the MCPAUTH_JWT_*
// variables (MCPAUTH_JWT_JWKS_URI or MCPAUTH_JWT_PUBLIC_KEY,
// MCPAUTH_JWT_ISSUER, MCPAUTH_JWT_AUDIENCE) and listens on -addr or
// MCPAUTH_ADDR (default 127.0.0.1:8083).
package main
