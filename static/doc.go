// Package static provides [TokenVerifier], a bearer token verifier backed by a
// fixed table of opaque tokens: the Go counterpart of FastMCP's
// StaticTokenVerifier.
//
// WARNING: static tokens are long-lived shared secrets with no signature, no
// issuer and no audience. Use this package for development, tests and demos
// only; production servers should verify JWT access tokens with
// verify.JWTVerifier.
//
// The table is validated when the verifier is built ([NewTokenVerifier]) or
// read from a JSON file ([LoadFile], [ParseTokens]), so a bad entry fails at
// start-up rather than on a request. Errors never contain token values.
//
// The verifier does not keep the configured tokens: it stores their SHA-256
// digests and compares a presented token's digest with every entry in
// constant time, so response timing reveals neither which entry matched nor
// how long the configured tokens are.
package static
