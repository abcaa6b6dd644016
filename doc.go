// Package mcpauth is the shared vocabulary of the mcpauth module: the
// [AccessToken] that describes a verified caller, the one-method
// [TokenVerifier] that every verifier implements (JWT in package verify,
// static tokens in package static, and any of your own), the [KeySource]
// seam for signing keys, and the errors every package returns.
//
// The package imports only the standard library, so a program that uses
// only the middleware and a verifier of its own compiles nothing else.
//
// Errors are values: each error a verifier returns matches exactly one of
// [ErrInvalidToken] (HTTP 401), [ErrInsufficientScope] (HTTP 403) or
// [ErrKeySourceUnavailable] (HTTP 503) with errors.Is, and constructors
// return errors matching [ErrInvalidConfig]. [ReasonOf] turns any of them
// into a short label for logs and metrics that never contains token data.
package mcpauth
