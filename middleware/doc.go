// Package middleware protects HTTP handlers, such as an MCP server's
// streamable HTTP endpoint, with bearer token authentication as specified by
// RFC 6750, RFC 9728 and the MCP authorization specification.
//
// [New] wraps a handler so that every request must carry an access token in
// its Authorization header ("Bearer" scheme, in any letter case). The token
// is checked by a [mcpauth.TokenVerifier] — verify.JWTVerifier in production,
// static.TokenVerifier in development — and, when accepted, is put in the
// request context, where handlers read it with [AccessTokenFrom].
// [RequireScopes] adds per-route scope requirements behind [New], and
// [WithPolicy] per-operation ones: the scopes each MCP tool, resource,
// prompt or method needs, read from the JSON-RPC body (see package policy).
//
// Requests are answered as follows. Every error response carries
// Content-Type: application/json, Cache-Control: no-store and a JSON body
// {"error": …, "error_description": …} whose description is a fixed text
// chosen by the middleware, never the verifier's error text.
//
//   - No credentials (no Authorization header, or another scheme such as
//     Basic): 401 with a WWW-Authenticate: Bearer challenge without an error
//     parameter, carrying realm, scope and resource_metadata when configured.
//   - A malformed request (an empty bearer token, several Authorization
//     header lines, a token that is not RFC 6750 b64token syntax): 400 with
//     error="invalid_request".
//   - A token the verifier rejects, or any error the verifier does not
//     classify: 401 with error="invalid_token". Unclassified errors are also
//     logged at error level; the request is refused either way.
//   - A valid token lacking a required scope: 403 with
//     error="insufficient_scope" and scope listing every required scope.
//   - No verification keys available (mcpauth.ErrKeySourceUnavailable): 503
//     with Retry-After and error "temporarily_unavailable".
//
// The scope parameter of challenges is the union of the scopes required with
// [WithRequiredScopes] and, when the verifier implements
// [mcpauth.ScopeRequirer], of its required scopes; a 403 also names the
// scopes of the route or of the verifier's [mcpauth.InsufficientScopeError].
// Parameter values are quoted and restricted to the characters RFC 6750
// allows.
//
// A rejection never waits for the request body, which the middleware never
// reads: on HTTP/1, when the request announced a body (Content-Length or
// chunked), the response carries "Connection: close", is written at once,
// and the connection is closed after reading what the client is already
// sending for at most half a second. (Without this, net/http would first
// drain the unread body, and a client announcing a body it never sends
// would hold the connection with no answer.) The server should still set
// http.Server's ReadHeaderTimeout and ReadTimeout for the requests the
// middleware accepts.
//
// With [WithDPoP] the middleware also verifies sender-constrained tokens
// (RFC 9449, package dpop): "Authorization: DPoP <token>" with a DPoP proof
// header. In the default mode a token bound to a key (cnf.jkt) is accepted
// only that way, never as Bearer; every challenge offers both schemes (a
// second WWW-Authenticate field, DPoP algs="..."), and proof failures get
// error="invalid_dpop_proof" or error="use_dpop_nonce" on the DPoP
// challenge. The accepted token records the key's thumbprint
// (mcpauth.AccessToken.DPoPThumbprint).
//
// Tokens are taken only from the Authorization header, never from the query
// string or a form body. They are never logged or echoed; log records carry
// a machine-readable reason (see [mcpauth.ReasonOf]), the status, the method
// and the path, at level Debug for requests without credentials, Info for
// other rejections, Warn for 503s and Error for unclassified verifier errors.
// [WithObserver] reports each outcome, for metrics.
//
// Configuration is validated once, when the middleware is built. As
// everywhere in mcpauth, the constructor returns an error matching
// mcpauth.ErrInvalidConfig that names the option at fault: [NewChecked] and
// [RequireScopesChecked]. [New] and [RequireScopes] keep the plain
// func(http.Handler) http.Handler form and are their Must forms: they panic
// with that same error, as regexp.MustCompile does, so that a bad literal
// configuration stops the program at start-up rather than weakening
// authentication.
package middleware
