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
//
// # Conventions
//
// Every package of the module follows the same rules, so that the same
// mistake fails the same way everywhere (conventions_test.go checks the
// ones a program can):
//
//   - Constructors validate their whole configuration once and return an
//     error matching [ErrInvalidConfig] that names the field or option at
//     fault, or the environment variable when the settings came from the
//     environment (verify.NewJWTVerifier, static.NewTokenVerifier, jwks.New,
//     metadata.NewHandler, resource.New, middleware.NewChecked). A function
//     whose signature cannot return an error (middleware.New,
//     middleware.RequireScopes, sdkauth.Protect) is the Must form of a
//     checked twin and panics with the twin's error.
//   - A nil functional Option is a configuration error; a nil value given to
//     an option, or a zero field of an options struct, means the documented
//     default.
//   - Whatever runs in the background stops with Close() error, which waits
//     for it to end, is idempotent and returns nil (io.Closer).
//   - Clocks are injected as a func() time.Time called Clock: the WithClock
//     options (verify, static, introspect) and the Clock field of option
//     structs (jwks.Options, dpop.Config).
//   - A switch that weakens a check carries Insecure in its name, the same
//     name in Go and in the environment: Settings.InsecureAllowHTTPJWKS,
//     jwks.Options.InsecureAllowHTTPJWKS and
//     MCPAUTH_JWT_INSECURE_ALLOW_HTTP_JWKS for the JWK Set (and discovery),
//     introspect.Config.InsecureAllowHTTP for the introspection endpoint.
package mcpauth
