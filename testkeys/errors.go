package testkeys

import "errors"

// Sentinel errors. Every error returned by this package, except a failure of
// the system's random source during key generation, matches exactly one of
// them with errors.Is.
var (
	// ErrInvalidKey means a key or PEM document is missing, malformed,
	// inconsistent or of an unsupported type or curve, or a key pair is the
	// zero value.
	ErrInvalidKey = errors.New("testkeys: invalid key")
	// ErrUnsupportedAlgorithm means the requested JWS algorithm cannot be
	// used with the key pair's key.
	ErrUnsupportedAlgorithm = errors.New("testkeys: unsupported algorithm")
	// ErrInvalidOptions means [TokenOptions] are contradictory, or a header
	// member or claim cannot be encoded as JSON.
	ErrInvalidOptions = errors.New("testkeys: invalid token options")
)
