// Command metrics counts mcpauth's authentication decisions with Prometheus.
//
// middleware.WithObserver reports the Outcome of every decision (accepted or
// not, the machine-readable reason, the status, the time taken); this
// example turns them into two metrics, served at /metrics:
//
//	mcpauth_auth_decisions_total{accepted, reason, status}   counter
//	mcpauth_auth_decision_duration_seconds{accepted}         histogram
//
// reason and status come from small fixed sets (mcpauth.Reason values, HTTP
// statuses), so the label cardinality is bounded; the client id is
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
