// Package differential checks mcpauth's verifier against a reference
// library: every token verify.JWTVerifier accepts must also be accepted by
// golang-jwt v5 configured the same way (the same keys, algorithm
// allow-list, issuers, audiences and leeway, exp required, iat checked),
// and both must read the same claims. mcpauth may refuse more than
// golang-jwt (duplicate members, invalid UTF-8, crit, typ, weak keys, …),
// never accept more.
//
// [Check] is the comparison; the tests that feed it live beside the token
// sources: the shared attack table and a recorded jose corpus (this
// package's tests), verify's fuzz targets (FuzzVerifyToken re-checks every
// accepted input, FuzzDifferential signs mutated headers and claims), and
// the live jose interop test.
//
// Two settings make golang-jwt say what mcpauth's configuration says, and
// this package applies them to golang-jwt's package state when it is
// imported (only tests import it):
//
//   - RFC 9864's fully-specified algorithm name "Ed25519" is registered as
//     a golang-jwt signing method that verifies exactly like its "EdDSA"
//     (golang-jwt knows only "EdDSA"). A token is then checked under the
//     name in its header, so an allow-list without "Ed25519" still refuses
//     it in golang-jwt as in mcpauth.
//   - jwt.TimePrecision is set to one nanosecond. At golang-jwt's default
//     of one second, a fractional NumericDate is truncated (an exp of
//     1000.5 expires at 1000), while RFC 7519 §2 allows fractions and
//     mcpauth honours them; TestFractionalExpNeedsFullPrecision shows the
//     difference.
//
// The package is internal and meant for tests only.
package differential
