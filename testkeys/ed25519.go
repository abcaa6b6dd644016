package testkeys

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

// GenerateEd25519KeyPair generates an Ed25519 key pair.
func GenerateEd25519KeyPair() (*KeyPair, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("testkeys: generating an Ed25519 key: %w", err)
	}
	return NewEd25519KeyPair(key)
}

// NewEd25519KeyPair wraps an existing Ed25519 private key, whose embedded
// public key must match its seed. The key must not be modified afterwards.
func NewEd25519KeyPair(key ed25519.PrivateKey) (*KeyPair, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: Ed25519 private key has %d bytes, want %d", ErrInvalidKey, len(key), ed25519.PrivateKeySize)
	}
	if !bytes.Equal(ed25519.NewKeyFromSeed(key.Seed()), key) {
		return nil, fmt.Errorf("%w: Ed25519 public key does not match the private key", ErrInvalidKey)
	}
	pub := key.Public().(ed25519.PublicKey)
	return newKeyPair(key, "EdDSA", JWK{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(pub)})
}

// ParseEd25519KeyPair parses a PEM-encoded Ed25519 private key ("PRIVATE
// KEY"), as [ParsePrivateKeyPEM] does, and fails if it holds another type of
// key.
func ParseEd25519KeyPair(privatePEM string) (*KeyPair, error) {
	key, err := parsePrivatePEM(privatePEM)
	if err != nil {
		return nil, err
	}
	k, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: PEM holds an %s key, not Ed25519", ErrInvalidKey, keyTypeName(key))
	}
	return NewEd25519KeyPair(k)
}
