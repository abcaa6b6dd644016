// Command mcpauth verifies MCP bearer tokens from the shell and makes test
// keys and tokens.
//
//	mcpauth verify < token   verify with the MCPAUTH_JWT_* environment
//	mcpauth keygen           generate a key pair (PEM) and its JWKS
//	mcpauth token            mint a token signed with a private key
//
// "mcpauth verify" builds its verifier exactly as a server built with
// verify.SettingsFromEnv would, reads one token from stdin (surrounding
// whitespace trimmed) and prints the access token as JSON. Its exit code says
// what happened: 0 valid; 1 invalid token; 2 configuration or usage error;
// 3 valid but missing a required scope; 4 key source unavailable; 5 I/O
// error. Errors are one line on stderr and never contain the token.
//
// keygen and token are for development and tests: the keys they make are
// not meant for production.
package main
