// Package testkeystest holds the testing.TB helpers of package testkeys:
// key pairs shared by every test of a test binary ([SharedRSAKeyPair],
// [SharedECKeyPair], [SharedEd25519KeyPair]) and a JWK Set server bound to a
// test ([NewJWKSServer]), closed when the test ends and failing the test on
// errors.
//
// testkeys itself imports neither testing nor net/http/httptest, so a
// development binary can use its key pairs, tokens and JWK Set server; only
// tests import this package (the pattern of go-oidc's oidctest).
package testkeystest
