// Package chain combines several token verifiers into one
// [mcpauth.TokenVerifier]: JWT access tokens from several issuers next to
// opaque tokens checked by introspection, or a migration from one
// authorization server to another.
//
// Two shapes of chain:
//
//   - [ByShape] routes each token by its form: a token shaped like a
//     compact JWS (three base64url segments, see [LooksLikeJWS]) goes to the
//     JWT verifier, anything else to the other one (typically
//     introspection). Each token is tried by exactly one verifier.
//   - [FirstSuccess] tries verifiers in the configured order; the first that
//     accepts the token wins (FastMCP's MultiAuth semantics).
//
// When no verifier accepts the token, the answer follows a fixed
// precedence, so a token that might be valid is never refused because a
// verifier was down:
//
//  1. some verifier was unavailable ([mcpauth.ErrKeySourceUnavailable]):
//     the chain is unavailable (HTTP 503 with Retry-After), not 401;
//  2. else some verifier found the token valid but lacking scopes: that
//     [*mcpauth.InsufficientScopeError] (HTTP 403);
//  3. else the token is invalid (HTTP 401), with the reason of the first
//     verifier that could read the token (reason other than
//     [mcpauth.ReasonMalformed]), else of the first verifier.
//
// The returned [*Error] lists every attempt (verifier name and reason) in
// its message, which the middleware logs; it unwraps to the deciding
// attempt's error only, so errors.Is matches exactly one sentinel and
// [mcpauth.ReasonOf] reports the deciding reason. Attempts are logged by
// name and reason, never with the token.
package chain
