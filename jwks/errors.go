package jwks

import (
	"errors"
	"fmt"

	"github.com/mcpauth/mcpauth"
)

// Errors. The package returns the module's shared errors (package
// github.com/mcpauth/mcpauth) directly:
//
//   - [New] and [NewFromIssuer] return errors matching
//     [mcpauth.ErrInvalidConfig] for an invalid URL or Options.
//   - [Set.VerificationKey] returns an [*mcpauth.InvalidTokenError] with
//     reason [mcpauth.ReasonAlgorithm] (the alg is not allowed, or the key
//     named by kid is pinned to other algorithms) or
//     [mcpauth.ReasonUnknownKey] (no key, or several, fit the token), and an
//     error matching [mcpauth.ErrKeySourceUnavailable] while no key set has
//     ever been fetched (a verifier answers 503, not 401).
//
// The sentinels below are specific to this package.
var (
	// ErrFetch wraps every reason a JWK Set fetch failed (network error,
	// timeout, status, size, JSON, no usable keys). [Set.Refresh] returns it,
	// and a lookup error matching [mcpauth.ErrKeySourceUnavailable] wraps the
	// last one.
	ErrFetch = errors.New("jwks: fetch failed")
	// ErrClosed is returned by [Set.Refresh] after [Set.Close] or after the
	// context given to [New] ends. A lookup that finds no key set after that
	// matches both ErrClosed and [mcpauth.ErrKeySourceUnavailable].
	ErrClosed = errors.New("jwks: set is closed")
	// ErrPlainHTTP is matched (with [mcpauth.ErrInvalidConfig]) by the error
	// of [New] and [NewFromIssuer] for a plain-http URL on a non-loopback
	// host without Options.InsecureAllowHTTPJWKS, so that a caller can name
	// its own switch in the message.
	ErrPlainHTTP = errors.New("plain http on a non-loopback host")
)

// Preallocated lookup errors: the steady-state lookup never formats or
// allocates. None of them contains data taken from the token.
var (
	errAlgNotAllowed  = lookupErr(mcpauth.ReasonAlgorithm, "the token's alg is not an allowed asymmetric algorithm")
	errAlgNotForKey   = lookupErr(mcpauth.ReasonAlgorithm, "the key with this kid is pinned to other algorithms")
	errUnknownKID     = lookupErr(mcpauth.ReasonUnknownKey, "no key with this kid")
	errAmbiguousKID   = lookupErr(mcpauth.ReasonUnknownKey, "several keys with this kid allow the token's alg")
	errNoKidlessKey   = lookupErr(mcpauth.ReasonUnknownKey, "token has no kid and no key allows its alg")
	errAmbiguousNoKID = lookupErr(mcpauth.ReasonUnknownKey, "token has no kid and several keys allow its alg")
	errKIDNotString   = &mcpauth.InvalidTokenError{Reason: mcpauth.ReasonBadHeader, Detail: "jwks: the kid header is not a string"}
	errNeverFetched   = fmt.Errorf("%w: jwks: the JWK Set has not been fetched yet", mcpauth.ErrKeySourceUnavailable)
	errClosedNoKeys   = fmt.Errorf("%w: %w", mcpauth.ErrKeySourceUnavailable, ErrClosed)
)

// lookupErr is an [*mcpauth.InvalidTokenError] for a lookup that found no
// key fitting the token.
func lookupErr(r mcpauth.Reason, detail string) error {
	return &mcpauth.InvalidTokenError{Reason: r, Detail: "jwks: " + detail}
}
