// Package observe makes the mcpauth command visible to operators' tooling:
// Prometheus metrics ([Metrics]) and OpenTelemetry traces ([Tracer]).
//
// It is the only place where the module compiles Prometheus and
// OpenTelemetry, and only the command imports it (it is internal to
// cmd/mcpauth): the library packages report what they see through
// dependency-free seams (middleware.WithObserver's Outcome,
// jwks.Set.Stats, verify.JWTVerifier.KeySetStats and CacheStats,
// introspect.Verifier.CacheStats), and this package turns those into
// metrics and spans.
//
// Neither a metric nor a span ever carries a token: metric labels are
// fixed words (outcomes, reasons, results) and configured names (a JWK Set
// URL with its password redacted); spans carry the outcome, the reason,
// the client id and the scopes, and the request's method and path, never a
// header value.
package observe
