// Package issuermeta is the module's one reading of an authorization
// server's metadata (OpenID Connect Discovery 1.0, RFC 8414), shared by the
// JWK Set discovery and the introspection endpoint discovery: which URLs are
// tried, and what a metadata document must hold. Callers fetch the document
// with their own limits and wrap the errors in their own.
package issuermeta
