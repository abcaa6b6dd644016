// Package sdkauth connects mcpauth to the official MCP Go SDK
// (github.com/modelcontextprotocol/go-sdk).
//
// The SDK's tool handlers read the caller's identity from
// req.Extra.TokenInfo, which the SDK's streamable HTTP handler takes from
// the request context. [Protect] authenticates with mcpauth's middleware (so
// every 400/401/403/503 is mcpauth's RFC 6750 response) and then stores a
// go-sdk auth.TokenInfo built from the verified [mcpauth.AccessToken]; tool
// handlers get the AccessToken back with [AccessTokenFrom].
//
// The SDK's session binding uses TokenInfo.UserID, which is set to the
// token's issuer and subject, so a session created by one user cannot be
// used with another user's token.
//
// This package is separate so that the core packages never import go-sdk.
package sdkauth
