// Package metadata serves OAuth 2.0 Protected Resource Metadata (RFC 9728)
// for an MCP server.
//
// MCP clients that receive a 401 read the resource_metadata URL from the
// WWW-Authenticate challenge, fetch this document and learn which
// authorization servers issue tokens for the resource. [WellKnownURL] gives
// that URL for a resource, and [NewHandler] serves the document; pass the
// same URL to middleware.WithResourceMetadata. Package resource derives all
// of these (and the audience) from the resource URL at once; prefer it.
package metadata
