// Package jwks is a remote JWK Set (RFC 7517) key source for verifying JWT
// access tokens: it fetches the issuer's jwks_uri, keeps the usable
// signature keys in memory, refreshes them, and answers "which key verifies a
// token with this kid and alg?" through [Set.VerificationKey], the
// [mcpauth.KeySource] interface.
//
// It is built on github.com/MicahParks/jwkset, which decodes and validates
// every JWK; the fetching, caching and lookup around it are this package's
// own, because the defaults of jwkset and of github.com/MicahParks/keyfunc
// fall short for a security boundary in the ways listed below.
// [Set.Keyfunc] and [Set.KeyfuncCtx] adapt a Set to golang-jwt's Keyfunc
// without losing the per-key algorithm pinning.
//
// # Robustness model
//
// A [Set] always serves from an immutable in-memory snapshot of the last
// good key set; lookups take no lock and do not allocate. The snapshot is
// replaced only by a fetch that succeeded completely:
//
//   - GET with Accept: application/jwk-set+json, application/json, bounded
//     by Options.Timeout (10s); status 200 only; redirects are never
//     followed; the body is capped at Options.MaxBodyBytes (1 MiB) and a
//     larger one fails the fetch; the document must be a JSON object with a
//     "keys" array, read by the module's strict JSON reader: repeated
//     member names outside the keys, invalid UTF-8, lone surrogate escapes
//     or nesting deeper than 16 anywhere fail the fetch.
//   - Each member of "keys" is parsed on its own. A member that cannot be
//     used is skipped and logged (kid and reason only, never key material),
//     as RFC 7517 §5 asks: unknown kty or crv, invalid points, RSA moduli
//     below 2048 bits or bad exponents, "use" other than "sig", "key_ops"
//     without "verify", symmetric (oct) keys, private key material, a JWK
//     "alg" that is not an allowed asymmetric algorithm or does not fit the
//     key, malformed members, members that repeat a name (at any depth) or
//     spell a JWK member name in another letter case. x5u URLs are never fetched. At
//     most 16 skipped members are logged one by one per fetch, the rest as
//     a count.
//   - A document with no usable key at all fails the fetch.
//
// A failed fetch (network error, timeout, status, size, JSON, no usable
// keys) is logged with slog at Warn and keeps the previous snapshot, so an
// identity provider outage never removes keys that were already trusted.
//
// Keys are refreshed every Options.RefreshInterval (1h). A token with an
// unknown kid triggers a refresh so key rotation is picked up at once; those
// refreshes are shared by all concurrent callers (one request, however many
// tokens) and rate-limited to one per Options.RefreshRateLimit (30s). A
// caller may wait for a fetch that is already in flight, bounded by its
// context and the fetch timeout, but never waits for the rate limiter:
// during the cool-down an unknown kid fails immediately with
// an unknown-key error.
//
// [New] never fails because the server is unreachable. Until the first
// fetch succeeds, lookups return an error matching
// [mcpauth.ErrKeySourceUnavailable] (503,
// not 401), and the set retries with a backoff doubling from 1s up to the
// rate limit, so a resource server that starts before its identity provider
// recovers by itself.
//
// # Algorithm pinning
//
// Every key is pinned to the algorithms it may verify: its JWK "alg" when
// present, otherwise what its type allows (RSA: RS256 RS384 RS512 PS256
// PS384 PS512; EC P-256: ES256, P-384: ES384, P-521: ES512; OKP Ed25519:
// EdDSA and Ed25519), intersected with Options.Algorithms. "Ed25519" is the
// fully-specified name of EdDSA over Ed25519 (RFC 9864); the two names are
// not interchangeable for a pinned key: a JWK with alg "EdDSA" verifies only
// tokens with alg "EdDSA", one with alg "Ed25519" only tokens with alg
// "Ed25519", as RFC 7517 §4.4 asks. An OKP Ed448 key or alg "Ed448" is not
// supported (the Go standard library has no Ed448). A token whose alg is not
// allowed, or whose kid names a key pinned to other algorithms, fails with
// an [*mcpauth.InvalidTokenError] with reason [mcpauth.ReasonAlgorithm]. Symmetric algorithms and "none" are never allowed. A token
// without kid is accepted only if exactly one key in the set allows its alg.
//
// # Differences from keyfunc/jwkset defaults
//
//   - Unknown kid: keyfunc rate-limits refetches to one per 5 minutes but
//     makes callers wait on the limiter, up to a minute (jwkset#26); here a
//     caller in the cool-down is answered at once.
//   - In jwkset one invalid member (a point off its curve, an unregistered
//     key_ops value, a malformed x5c) fails the whole refresh; only
//     unsupported key types are skipped (jwkset#60). Here every unusable
//     member is skipped and the others are used.
//   - jwkset reads the response without a size limit and follows
//     redirects; here both are refused.
//   - keyfunc hands a token without kid every key (a VerificationKeySet) and
//     checks a JWK's alg only when the token has a kid; here every lookup is
//     pinned and ambiguity is an error.
//   - keyfunc does not enforce "use" by default and accepts oct keys and RSA
//     keys of any size from a remote set; here they are skipped.
//   - A failed first fetch is retried with backoff instead of waiting for
//     the next hourly refresh.
package jwks
