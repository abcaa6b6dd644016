// Command mcpgo-server is an MCP server built with mark3labs/mcp-go whose
// streamable HTTP endpoint is protected by mcpauth's middleware with an
// operation policy: search_notes needs notes:read, delete_notes
// notes:write, and notes:admin implies notes:write implies notes:read. A
// token lacking a tool's scope gets HTTP 403 with a step-up challenge naming
// it, before mcp-go sees the request.
//
// mcp-go passes the HTTP request's context to tool handlers, so they read
// the caller with middleware.AccessTokenFrom(ctx); the token's Scopes carry
// the scopes the hierarchy implies, so HasScopes sees them too
// (delete_notes with "all": true also needs notes:admin, decided inside the
// tool).
//
// The policy is the built-in one, or the JSON file named by
// MCPAUTH_POLICY_FILE (the format of policy.ParseConfig). Tokens are
// verified with the MCPAUTH_JWT_* settings (verify.SettingsFromEnv) when a
// key source is configured; otherwise the server runs a demo with static
// development tokens, which it prints.
//
//	go run ./mcpgo-server
package main
