// Package attacks is mcpauth's shared table of attack tokens and hostile
// requests, with the exact outcome each must produce at every layer: the
// verifier's error class and [mcpauth.Reason], the middleware's HTTP status and
// RFC 6750 error code, and the exit code of "mcpauth verify".
//
// The table is built once per test by [Cases], which mints the tokens with
// fresh keys and returns the [Fixture] (keys, issuer, audience, settings) they
// assume. The verify, middleware and cmd/mcpauth tests run every [Case]
// through their layer, so one list of attacks is asserted three times and a
// new attack added here is checked everywhere. [HTTPCases] adds requests that
// are not about the token (several Authorization headers, a token in the query
// string, other schemes) and [ConfigCases] the configurations that must be
// refused at start-up (weak RSA keys, short HMAC secrets, …). [DPoPCases]
// is the DPoP section (RFC 9449): requests to a resource that verifies
// proofs, each with the rule that must refuse it and both challenges.
//
// The package is internal and meant for tests only: it generates keys and
// starts a loopback JWK Set server through the testing.TB it is given.
//
// SECURITY.md names, for every requirement of RFC 8725, RFC 9068, RFC 6750 and
// the MCP authorization specification, the test that proves it;
// TestSecurityChecklistNamesExistingTests in this package keeps those names
// honest.
package attacks
