package mcpauth

import (
	"errors"
	"strings"
)

// Sentinel errors. Every error returned by a verifier or a constructor in this
// module matches exactly one of them with errors.Is.
var (
	// ErrInvalidToken means the token must be rejected (HTTP 401
	// invalid_token). Use errors.As with [*InvalidTokenError] for the reason.
	ErrInvalidToken = errors.New("invalid token")
	// ErrInsufficientScope means the token is valid but lacks required scopes
	// (HTTP 403 insufficient_scope). Use errors.As with
	// [*InsufficientScopeError] for the missing scopes.
	ErrInsufficientScope = errors.New("insufficient scope")
	// ErrKeySourceUnavailable means no verification keys could be obtained, so
	// the token could be neither accepted nor rejected (HTTP 503).
	ErrKeySourceUnavailable = errors.New("key source unavailable")
	// ErrInvalidConfig is returned by constructors and [SettingsFromEnv] when
	// the configuration is incomplete, contradictory or unsafe.
	ErrInvalidConfig = errors.New("invalid configuration")
)

// Reason is a short machine-readable explanation of why a token was rejected,
// suitable as a log attribute or a metric label. It never contains data taken
// from the token.
type Reason string

// Reasons reported in [InvalidTokenError].
const (
	ReasonMalformed         Reason = "malformed"          // not a compact JWS, bad base64 or JSON
	ReasonTooLarge          Reason = "too_large"          // above the size cap
	ReasonBadHeader         Reason = "bad_header"         // crit, b64, zip, cty, typ or a malformed header member
	ReasonAlgorithm         Reason = "algorithm"          // alg not allowed, or not allowed for the key
	ReasonUnknownKey        Reason = "unknown_key"        // no configured key matches kid/alg
	ReasonSignature         Reason = "signature"          // signature does not verify
	ReasonBadClaims         Reason = "bad_claims"         // malformed or missing claims
	ReasonExpired           Reason = "expired"            // exp is in the past
	ReasonNotYetValid       Reason = "not_yet_valid"      // nbf is in the future
	ReasonIssuedInFuture    Reason = "issued_in_future"   // iat is in the future
	ReasonIssuer            Reason = "issuer"             // iss missing or not configured
	ReasonAudience          Reason = "audience"           // aud missing or not configured
	ReasonUnknownToken      Reason = "unknown_token"      // static verifier: no such token
	ReasonInactive          Reason = "inactive"           // introspection: the authorization server says the token is not active
	ReasonInsufficientScope Reason = "insufficient_scope" // reported by [ReasonOf] only
	ReasonUnavailable       Reason = "key_source_unavailable"
	ReasonOther             Reason = "other"
)

// InvalidTokenError is the error for a rejected token. It matches
// [ErrInvalidToken] with errors.Is.
type InvalidTokenError struct {
	// Reason classifies the rejection.
	Reason Reason
	// Detail is a fixed, human-readable description. It never contains data
	// taken from the token.
	Detail string
	// Err is the underlying cause, if any. It never contains data taken from
	// the token.
	Err error
}

// Error implements error.
func (e *InvalidTokenError) Error() string {
	var b strings.Builder
	b.WriteString("invalid token: ")
	b.WriteString(string(e.Reason))
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Is reports whether target is [ErrInvalidToken].
func (e *InvalidTokenError) Is(target error) bool { return target == ErrInvalidToken }

// Unwrap returns the underlying cause.
func (e *InvalidTokenError) Unwrap() error { return e.Err }

// InvalidToken returns an [*InvalidTokenError] with the given reason and
// fixed detail text. It is meant for implementations of [TokenVerifier]
// outside this package; detail must not contain data taken from the token.
func InvalidToken(r Reason, detail string) error {
	return &InvalidTokenError{Reason: r, Detail: detail}
}

// InsufficientScopeError reports a valid token that lacks required scopes. It
// matches [ErrInsufficientScope] with errors.Is.
type InsufficientScopeError struct {
	// Required lists every scope that was required.
	Required []string
	// Missing lists the required scopes the token does not grant.
	Missing []string
	// ClientID and Granted are the verified token's client and the scopes
	// it grants, when the verifier knows them (AccessToken.CheckScopes
	// sets them), so that a refusal can be attributed in logs, metrics and
	// traces. They never appear in Error.
	ClientID string
	Granted  []string
}

// Error implements error.
func (e *InsufficientScopeError) Error() string {
	return "insufficient scope: missing " + strings.Join(e.Missing, " ")
}

// Is reports whether target is [ErrInsufficientScope].
func (e *InsufficientScopeError) Is(target error) bool { return target == ErrInsufficientScope }

// ReasonOf classifies any error returned by a [TokenVerifier]. Errors that are
// not from this module classify as [ReasonOther].
func ReasonOf(err error) Reason {
	var ite *InvalidTokenError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ite):
		return ite.Reason
	case errors.Is(err, ErrInsufficientScope):
		return ReasonInsufficientScope
	case errors.Is(err, ErrKeySourceUnavailable):
		return ReasonUnavailable
	default:
		return ReasonOther
	}
}
