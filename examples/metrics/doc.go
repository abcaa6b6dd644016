// Command metrics counts mcpauth's authentication decisions with Prometheus.
//
// middleware.WithObserver reports the Outcome of every decision (accepted or
// not, the machine-readable reason, the status, the time taken); this
// example turns them into two metrics, served at /metrics, with the names
// and labels the mcpauth command uses (MCPAUTH_METRICS_ADDR):
//
//	mcpauth_requests_total{outcome, reason}            counter
//	mcpauth_verification_duration_seconds{outcome}     histogram
//
// outcome is accepted or rejected and reason a mcpauth.Reason value (a small
// fixed set), so the label cardinality is bounded; the client id is
// deliberately not a label.
//
// GET /api/hello needs a token with the api:read scope. The verifier is
// configured from the MCPAUTH_JWT_* variables; when none names a key, a
// development verifier with two static tokens is used instead and the tokens
// are printed. The listen address is -addr or MCPAUTH_ADDR (default
// 127.0.0.1:8082).
//
//	go run ./metrics
package main
