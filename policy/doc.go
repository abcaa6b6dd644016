// Package policy authorizes MCP operations: it maps tool calls, resource
// reads, prompt gets and any other JSON-RPC method to the OAuth scopes they
// need, so that a token good enough for search_notes is refused for
// delete_notes with HTTP 403 and a step-up challenge (MCP authorization,
// "Scope Challenge Handling").
//
// A [Policy] is built from a [Config], in Go with [New] or from a JSON file
// with [LoadFile]. It is enforced by middleware.WithPolicy, after the token
// is verified; mcpauth serve and mcpauth proxy read it from the file named by
// MCPAUTH_POLICY_FILE. [Policy.Check] is the pure decision, usable on its
// own.
//
// # Operations
//
// tools/call is looked up by params.name, prompts/get by params.name,
// resources/read and resources/subscribe by params.uri (exact keys, keys
// ending in '*' as prefixes, after RFC 3986 syntax-based normalisation),
// and every method by its name in Methods, whose scopes add to the others.
// The key "*" ([Any]) applies to names not listed. An operation the policy
// does not name needs only the server's required scopes, unless
// [WithDenyUnlisted] refuses it.
//
// # Scopes
//
// Implies is a scope hierarchy, applied transitively wherever a scope is
// checked: a token granting notes:admin has notes:write and notes:read too
// when notes:admin implies notes:write and notes:write implies notes:read.
// Cycles are refused by New. [WithScopePrefix] handles identity providers
// whose tokens carry a shorter form than clients request (Microsoft Entra
// ID: api://<app-id>/notes.read requested, notes.read in scp). offline_access
// is never advertised ([Advertise]).
//
// # Reading the body
//
// The request body is read with the module's strict JSON reader, not
// encoding/json, which matches member names case-insensitively, lets the
// last of duplicate members win and replaces invalid UTF-8: any of these
// would let the policy decide on a different operation than the MCP server
// runs. The reader accepts exactly RFC 8259 JSON and refuses duplicate
// member names and names equal under Unicode simple case folding (in every
// object), a JSON-RPC member spelled in another case ("Method", "NAME"),
// invalid UTF-8, lone UTF-16 surrogate escapes, NUL in a method, name or
// uri, resource URIs with an encoded '/' or '\', and nesting deeper than 512.
// A body it refuses is answered 400 when the policy needs it; otherwise it
// goes to the MCP server, which answers it. Batches (JSON arrays) are
// checked message by message: if any message is refused, the whole request
// is, naming the union of the scopes all messages need.
//
// # Request headers
//
// Clients of MCP 2026-07-28 send Mcp-Method and Mcp-Name (the tool name or
// resource URI, possibly as =?base64?...?=, which is decoded). The policy
// decides on the body alone; when these headers are present they must match
// it, or the request is refused with 400 and JSON-RPC error -32020
// (HeaderMismatch). A header never authorizes anything by itself in Check.
//
// [Policy.CheckHeaders] is the exception, for an auth service that a
// gateway asks without the body (mcpauth authz): it decides from Mcp-Method
// and Mcp-Name alone, on requests of MCP-Protocol-Version 2026-07-28 or
// later, and is sound only in front of a server that refuses a request whose
// headers disagree with its body, as those servers must.
package policy
