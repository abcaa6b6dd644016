// Package bench compares mcpauth's token verification and middleware with
// the Go peers, side by side, in one `go test -bench` run: the bare crypto
// verification (the physical floor), golang-jwt's parse and validate,
// go-sdk's auth.RequireBearerToken with a golang-jwt verifier,
// auth0/go-jwt-middleware v2, and mcpauth's middleware with and without its
// verified-token cache, each as a full httptest round trip through a no-op
// handler, plus the same round trip without any middleware. It also
// compares a cached introspection hit (package introspect) with a cached
// JWT hit and measures the first introspection of a token against a
// loopback endpoint.
//
// It is its own module so that the peers never enter mcpauth's go.mod.
// Run it with `make bench` from the repository root: the benchmarks run six
// times, interleaved, and cmd/report prints one table of medians with the
// ratios and the targets of the performance issue, and writes RESULTS.md.
package bench
