// Package resource wires an MCP server's protected resource from one value:
// its URL.
//
// An MCP endpoint such as https://mcp.example.com/mcp is, in OAuth terms, a
// protected resource (RFC 9728), and its URL is used four ways: as the
// audience tokens must be issued for (RFC 8707, MCP authorization), as the
// resource member of its metadata document, to derive the well-known URL
// where that document is served, and as the resource_metadata parameter of
// every WWW-Authenticate challenge. [New] derives all of them once from a
// [Config]; the [Resource] it returns hands out
//
//   - [Resource.Audience]: the audience to put in verify.Settings.Audiences
//     when none is configured;
//   - [Resource.MetadataPath] and [Resource.MetadataHandler]: the route
//     serving the RFC 9728 document, to mount OUTSIDE the protected handler
//     (clients fetch it before they have a token);
//   - [Resource.MiddlewareOption]: the middleware option that advertises the
//     document's URL in challenges;
//   - [Resource.Path]: the MCP endpoint's path, to mount the protected
//     handler on.
//
// The package compiles only the standard library and this module.
package resource
