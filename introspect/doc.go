// Package introspect verifies access tokens by OAuth 2.0 Token
// Introspection (RFC 7662): the resource server asks the authorization
// server whether a token is active. It is how an MCP server accepts the
// opaque access tokens many authorization servers hand out (Keycloak, Okta,
// ZITADEL, oidc-provider), and it notices revocation.
//
// A [Verifier] implements [mcpauth.TokenVerifier], so it plugs into the
// middleware like the JWT verifier, and it compiles only the standard
// library and this module. It is stricter than FastMCP's
// IntrospectionTokenVerifier:
//
//   - the endpoint is configured, or discovered from the configured issuer's
//     metadata (OpenID Connect Discovery, then RFC 8414), never from
//     anything in a token; https only, except loopback hosts; redirects are
//     never followed; every call has a timeout and a response body cap;
//   - the client authenticates with client_secret_basic (the default) or
//     client_secret_post;
//   - a token is accepted only when the answer has "active": true (a JSON
//     boolean), no exp in the past, an iss equal to the configured issuer
//     when the answer has one, and an aud naming one of the configured
//     audiences, as MCP requires; tokens bound to a key (a cnf member, or
//     token_type DPoP) are refused, since a bearer request proves no key,
//     unless Config.DPoPBound accepts DPoP-bound ones (cnf.jkt, RFC 9449
//     §6.2), whose proof the middleware then checks (middleware.WithDPoP;
//     the middleware refuses to be built without it);
//   - the answer is parsed strictly: a duplicate member, a member name that
//     differs from a registered one only in letter case, invalid UTF-8 or
//     trailing data make it malformed; scope must follow RFC 6749 §3.3
//     (scope-tokens separated by U+0020 spaces only).
//
// Errors follow the module's rules: a refused token is an
// [*mcpauth.InvalidTokenError] (HTTP 401) with a [mcpauth.Reason]
// ([mcpauth.ReasonInactive] when the server says it is not active); a
// missing required scope is an [*mcpauth.InsufficientScopeError] (403); and
// when the endpoint is down, slow, answers an error status or a malformed
// document, the error matches [mcpauth.ErrKeySourceUnavailable], which the
// middleware answers with 503 and Retry-After, never 401. The endpoint's
// answers never reach the client, and errors never contain the token.
//
// Concurrent requests for one token share one call. The optional cache
// (Config.CacheSize) is keyed by the SHA-256 digest of the token and does not
// keep the token itself; an active token is served from it until its exp or
// Config.CacheMaxAge (60 s by default, short because revocation should take
// effect soon), a refused one for a few seconds at most, and endpoint
// failures are never cached.
package introspect
