// Package verify holds the shared vocabulary of mcpauth — [mcpauth.AccessToken],
// [mcpauth.TokenVerifier] and the errors every verifier returns — and the JWT bearer
// token verifier, [JWTVerifier].
//
// A [JWTVerifier] is built once from [Settings] (filled in code or by
// [SettingsFromEnv]) and is then safe for concurrent use. It is stricter than
// golang-jwt's defaults: it requires exp, checks nbf and iat with a bounded
// leeway, binds every token to an explicit algorithm allow-list and to the key
// it names, caps the token size before parsing, and rejects the JWS and JSON
// tricks listed in RFC 8725 (unknown crit, b64:false, zip, nested JWTs,
// unexpected typ, duplicate members, invalid UTF-8, case-variant claim names).
// Header parameters that point at keys (jku, x5u, x5c, jwk) are ignored: keys
// only ever come from the configuration.
//
// Verification is built for the hot path of every MCP request: the token is
// parsed once, its header and claims are read by a strict single-pass JSON
// reader, working buffers are pooled, and everything that can be prepared
// (keys, HMAC states, the algorithm allow-list) is prepared by
// [NewJWTVerifier]. An optional verified-token cache (Settings.CacheSize),
// modelled on Envoy's jwt_cache_config, answers a token
// seen before without checking its signature again, until its exp or the
// cache's MaxAge.
//
// One verifier can trust several issuers, each a [Provider] with its own key
// source (PEM key, JWK Set URL, or discovery from the issuer) and its own
// audiences, algorithms, required scopes and leeway (Settings.Providers,
// [LoadProviders]; several Settings.Issuers with no key source are
// discovered each). A token's unverified iss only selects the provider; its
// signature is checked with that provider's keys alone, and a token naming
// no provider is refused before any key is looked up.
//
// Errors tell callers what to do next:
//
//   - errors.Is(err, mcpauth.ErrInvalidToken): reject with 401 invalid_token. The
//     [*mcpauth.InvalidTokenError] carries a machine-readable [mcpauth.Reason] for logs.
//   - errors.Is(err, mcpauth.ErrInsufficientScope): the token is valid but lacks
//     scopes; errors.As gives an [*mcpauth.InsufficientScopeError] with the missing
//     scopes (403 insufficient_scope).
//   - errors.Is(err, mcpauth.ErrKeySourceUnavailable): no key set could be obtained
//     yet; retry later (503).
//   - errors.Is(err, mcpauth.ErrInvalidConfig): returned by constructors only.
//
// Error texts never contain the token or values taken from it, so they are
// safe to log.
package verify
