package jwks

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package matches at least one
// of them with errors.Is.
var (
	// ErrUnavailable means the JWK Set has never been fetched successfully, so
	// no token can be checked yet. A verifier should answer 503, not 401.
	ErrUnavailable = errors.New("jwks: no key set available")
	// ErrKeyNotFound means the key set is available but holds no key for the
	// token: an unknown kid, several keys that match equally well
	// (ambiguous), or, for a token without kid, not exactly one key
	// compatible with its alg.
	ErrKeyNotFound = errors.New("jwks: no matching key")
	// ErrAlgorithm means the token's alg is not allowed at all (not in
	// Options.Algorithms, symmetric, "none" or unknown), or the key named by
	// the token's kid is pinned to other algorithms.
	ErrAlgorithm = errors.New("jwks: algorithm not allowed for key")
	// ErrInvalidOptions is returned by [New] for an invalid URL or Options.
	ErrInvalidOptions = errors.New("jwks: invalid options")
	// ErrFetch wraps every reason a JWK Set fetch failed (network error,
	// timeout, status, size, JSON, no usable keys). [Set.Refresh] returns it,
	// and an [ErrUnavailable] error wraps the last one.
	ErrFetch = errors.New("jwks: fetch failed")
	// ErrClosed is returned by [Set.Refresh] after [Set.Close] or after the
	// context given to [New] ends.
	ErrClosed = errors.New("jwks: set is closed")
)

// Preallocated lookup errors: the steady-state lookup never formats. None of
// them contains data taken from the token.
var (
	errAlgNotAllowed  = fmt.Errorf("%w: the token's alg is not an allowed asymmetric algorithm", ErrAlgorithm)
	errAlgNotForKey   = fmt.Errorf("%w: the key with this kid is pinned to other algorithms", ErrAlgorithm)
	errUnknownKID     = fmt.Errorf("%w: no key with this kid", ErrKeyNotFound)
	errAmbiguousKID   = fmt.Errorf("%w: several keys with this kid allow the token's alg", ErrKeyNotFound)
	errNoKidlessKey   = fmt.Errorf("%w: token has no kid and no key allows its alg", ErrKeyNotFound)
	errAmbiguousNoKID = fmt.Errorf("%w: token has no kid and several keys allow its alg", ErrKeyNotFound)
	errNeverFetched   = fmt.Errorf("%w: the JWK Set has not been fetched yet", ErrUnavailable)
	errClosedNoKeys   = fmt.Errorf("%w: %w", ErrUnavailable, ErrClosed)
)
