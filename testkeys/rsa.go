package testkeys

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"math/big"
)

// RSAKeySize is the size in bits of the keys made by [GenerateRSAKeyPair].
const RSAKeySize = 2048

// GenerateRSAKeyPair generates an RSA-2048 key pair with public exponent
// 65537, like FastMCP's RSAKeyPair.generate.
func GenerateRSAKeyPair() (*KeyPair, error) {
	key, err := rsa.GenerateKey(rand.Reader, RSAKeySize)
	if err != nil {
		return nil, fmt.Errorf("testkeys: generating an RSA key: %w", err)
	}
	return NewRSAKeyPair(key)
}

// NewRSAKeyPair wraps an existing RSA private key, which must pass
// rsa.PrivateKey.Validate. Keys of any size are accepted, so that tests can
// check that a verifier rejects weak keys, but crypto/rsa refuses to sign with
// keys under 1024 bits. The key must not be modified afterwards.
func NewRSAKeyPair(key *rsa.PrivateKey) (*KeyPair, error) {
	if key == nil {
		return nil, fmt.Errorf("%w: RSA key is nil", ErrInvalidKey)
	}
	if err := key.Validate(); err != nil {
		return nil, fmt.Errorf("%w: RSA key: %w", ErrInvalidKey, err)
	}
	return newKeyPair(key, "RS256", rsaJWK(&key.PublicKey))
}

// ParseRSAKeyPair parses a PEM-encoded RSA private key ("PRIVATE KEY" or "RSA
// PRIVATE KEY"), as [ParsePrivateKeyPEM] does, and fails if it holds another
// type of key.
func ParseRSAKeyPair(privatePEM string) (*KeyPair, error) {
	key, err := parsePrivatePEM(privatePEM)
	if err != nil {
		return nil, err
	}
	k, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: PEM holds an %s key, not RSA", ErrInvalidKey, keyTypeName(key))
	}
	return NewRSAKeyPair(k)
}

// rsaJWK returns the public JWK members of an RSA key.
func rsaJWK(pub *rsa.PublicKey) JWK {
	return JWK{
		Kty: "RSA",
		N:   base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		E:   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}
}
