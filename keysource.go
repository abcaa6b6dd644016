package mcpauth

import (
	"context"
	"crypto"
)

// KeySource finds the key that verifies a signed token. The JWT verifier
// obtains its keys from one (a JWK Set, a PEM key, or a source of the
// caller's own).
//
// VerificationKey returns the public key (*rsa.PublicKey, *ecdsa.PublicKey
// or ed25519.PublicKey) that verifies a token with the given header kid
// (possibly empty) and alg, which the source must have checked is allowed for
// that key. It returns an error matching [ErrKeySourceUnavailable] when it
// has no keys at all yet, and an [*InvalidTokenError] (reason
// [ReasonUnknownKey] or [ReasonAlgorithm]) when no key fits the token.
// Implementations must be safe for concurrent use.
type KeySource interface {
	VerificationKey(ctx context.Context, kid, alg string) (crypto.PublicKey, error)
}
