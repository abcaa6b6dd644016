// Package testkeys generates signing keys, mints JWT access tokens and serves
// JWK Sets, for testing servers protected by mcpauth (or by any JWT
// verifier). It is the Go counterpart of FastMCP's RSAKeyPair.
//
// WARNING: this package is for tests and local development only. Its keys
// are generated or parsed in memory without any protection, its tokens carry
// whatever claims the caller asks for, and its private keys are handed out in
// plain PEM. Never use its keys or tokens in production, and never publish a
// JWK Set served by it as the key set of a real issuer.
//
// # Key pairs
//
// [GenerateRSAKeyPair] (RSA-2048, e=65537, RS256), [GenerateECKeyPair]
// (P-256, ES256) and [GenerateEd25519KeyPair] (EdDSA, or Ed25519 per RFC
// 9864) create fresh pairs; the New… and Parse… functions wrap existing keys
// (keys weaker than a verifier should accept are allowed, so that tests can
// check they are rejected). Every pair is a [KeyPair], whatever its key type:
// its key ID is the RFC 7638 JWK thumbprint, its public key is available as
// a PEM block and as a [JWK], and CreateToken mints a signed token:
//
//	kp, err := testkeys.GenerateRSAKeyPair()
//	...
//	token, err := kp.CreateToken(testkeys.TokenOptions{
//		Audience: []string{"https://mcp.example.com/mcp"},
//		Scopes:   []string{"read", "write"},
//	})
//
// [TokenOptions] follows FastMCP's create_token: subject, issuer, audience,
// scopes, lifetime, additional claims (merged last, so they may override
// anything) and kid. It adds what verifier tests need: a fixed issue time,
// other algorithms, extra or removed header members and removed claims.
// [SignCompact] signs arbitrary header and payload bytes for tests of
// malformed tokens.
//
// Generating an RSA key takes tens of milliseconds; tests that only need
// "a key" can share one per test binary with the testkeystest package's
// SharedRSAKeyPair, SharedECKeyPair and SharedEd25519KeyPair.
//
// # JWK Sets
//
// [JWKS] encodes the public keys of pairs as a JWK Set document,
// [JWKSHandler] serves one as an [net/http.Handler], and [NewJWKSServer]
// starts a loopback server whose keys, status and availability a test can
// change while it runs (key rotation, outages, malformed documents) and
// which counts the fetches it receives.
//
// This package imports neither testing nor net/http/httptest, so a binary
// can use it (mcpauth serve's demo does). Its testing.TB helpers are in
// testkeys/testkeystest: shared key pairs, and NewJWKSServer bound to a test
// (closed at its end, failing it on misuse).
package testkeys
