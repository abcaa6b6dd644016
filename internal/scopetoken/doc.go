// Package scopetoken is the module's one rule for OAuth 2.0 scope values
// (RFC 6749 §3.3):
//
//	scope       = scope-token *( SP scope-token )
//	scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
//
// Every package that accepts, splits or advertises scopes (verify, static,
// middleware, metadata, resource, cmd/mcpauth) calls it, so a scope one of
// them accepts is a scope all of them accept.
//
// Only U+0020 separates scope tokens. A scope string holding any other
// character outside the scope-token set (tab, no-break space, line
// separator, any control or non-ASCII character, '"' or '\') is refused as a
// whole by [Split], never split into extra scopes the authorization server
// did not issue.
package scopetoken
