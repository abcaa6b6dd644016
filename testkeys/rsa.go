package testkeys

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"math/big"
)

// RSAKeySize is the size in bits of the keys made by [GenerateRSAKeyPair].
const RSAKeySize = 2048

// RSAKeyPair is an RSA key pair. Its default algorithm is RS256; its tokens
// may also use RS384, RS512, PS256, PS384 and PS512. Create one with
// [GenerateRSAKeyPair], [NewRSAKeyPair] or [ParseRSAKeyPair]; the zero value
// has no key and its CreateToken fails. It is safe for concurrent use.
type RSAKeyPair struct {
	c core
}

var _ KeyPair = (*RSAKeyPair)(nil)

// GenerateRSAKeyPair generates an RSA-2048 key pair with public exponent
// 65537, like FastMCP's RSAKeyPair.generate.
func GenerateRSAKeyPair() (*RSAKeyPair, error) {
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
func NewRSAKeyPair(key *rsa.PrivateKey) (*RSAKeyPair, error) {
	if key == nil {
		return nil, fmt.Errorf("%w: RSA key is nil", ErrInvalidKey)
	}
	if err := key.Validate(); err != nil {
		return nil, fmt.Errorf("%w: RSA key: %w", ErrInvalidKey, err)
	}
	c, err := newCore(key, "RS256", rsaJWK(&key.PublicKey))
	if err != nil {
		return nil, err
	}
	return &RSAKeyPair{c: c}, nil
}

// ParseRSAKeyPair parses a PEM-encoded RSA private key ("PRIVATE KEY" or "RSA
// PRIVATE KEY"), as [ParsePrivateKeyPEM] does, and fails if it holds another
// type of key.
func ParseRSAKeyPair(privatePEM string) (*RSAKeyPair, error) {
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

// Algorithm returns "RS256".
func (p *RSAKeyPair) Algorithm() string { return p.c.alg }

// KeyID returns the RFC 7638 thumbprint of the public key.
func (p *RSAKeyPair) KeyID() string { return p.c.kid }

// Public returns the *rsa.PublicKey.
func (p *RSAKeyPair) Public() crypto.PublicKey { return p.c.public() }

// Private returns the *rsa.PrivateKey. It must not be modified.
func (p *RSAKeyPair) Private() crypto.Signer { return p.c.signer }

// PublicKeyPEM returns the public key as a PEM "PUBLIC KEY" block.
func (p *RSAKeyPair) PublicKeyPEM() string { return p.c.pubPEM }

// PrivateKeyPEM returns the private key as a PEM "PRIVATE KEY" (PKCS #8)
// block.
func (p *RSAKeyPair) PrivateKeyPEM() string { return p.c.privPEM }

// JWK returns the public JWK: kty "RSA", kid, use "sig", alg "RS256", n, e.
func (p *RSAKeyPair) JWK() JWK { return p.c.jwk }

// CreateToken mints a JWT signed with the key; see [TokenOptions].
func (p *RSAKeyPair) CreateToken(o TokenOptions) (string, error) { return p.c.createToken(o) }
