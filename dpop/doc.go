// Package dpop verifies DPoP proofs (RFC 9449): the signed JWTs a client
// sends in the DPoP header to prove it holds the key its access token is
// bound to, so that a stolen token is useless without that key.
//
// A [Verifier] checks one proof per request, section 4.3 in order: exactly
// one DPoP header; a compact JWS of at most [DefaultMaxProofBytes] with typ
// dpop+jwt, an asymmetric algorithm from an allow-list (never none or HMAC),
// no crit, and a public jwk header (private members, symmetric keys, weak or
// huge keys refused); strict JSON (duplicate members, letter-case variants
// of registered names and invalid UTF-8 refused); a signature by that key;
// htm equal to the request method; htu equal to the request URI without
// query and fragment after RFC 3986 §6 normalisation; iat within a window
// in the past and a small skew in the future; a jti not seen before within
// that window ([ReplayStore]); ath equal to the hash of the access token;
// and the key's RFC 7638 thumbprint equal to the token's cnf.jkt
// (section 6). Server nonces (section 8) are optional.
//
// The request URI a proof must name is built by [RequestURI] from a
// configured public base URL and the request path, never from client
// forwarding headers.
//
// Errors match [ErrInvalidProof] (challenge error="invalid_dpop_proof"),
// [ErrUseNonce] (error="use_dpop_nonce", with a fresh DPoP-Nonce) or
// [ErrReplayStoreUnavailable] (HTTP 503, fail closed) with errors.Is; proof
// and binding errors also match mcpauth.ErrInvalidToken and carry a
// Reason for logs and metrics. No error quotes the proof or the token.
//
// The package imports only the standard library and the module's root
// package; the middleware wires it in with middleware.WithDPoP, and a Redis
// [ReplayStore] for fleets lives in package dpop/redisstore.
package dpop
