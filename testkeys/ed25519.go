package testkeys

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

// Ed25519KeyPair is an Ed25519 key pair for the EdDSA algorithm (RFC 8037),
// also known by its fully-specified name Ed25519 (RFC 9864).
// Create one with [GenerateEd25519KeyPair], [NewEd25519KeyPair] or
// [ParseEd25519KeyPair]; the zero value has no key and its CreateToken fails.
// It is safe for concurrent use.
type Ed25519KeyPair struct {
	c core
}

var _ KeyPair = (*Ed25519KeyPair)(nil)

// GenerateEd25519KeyPair generates an Ed25519 key pair.
func GenerateEd25519KeyPair() (*Ed25519KeyPair, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("testkeys: generating an Ed25519 key: %w", err)
	}
	return NewEd25519KeyPair(key)
}

// NewEd25519KeyPair wraps an existing Ed25519 private key, whose embedded
// public key must match its seed. The key must not be modified afterwards.
func NewEd25519KeyPair(key ed25519.PrivateKey) (*Ed25519KeyPair, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: Ed25519 private key has %d bytes, want %d", ErrInvalidKey, len(key), ed25519.PrivateKeySize)
	}
	if !bytes.Equal(ed25519.NewKeyFromSeed(key.Seed()), key) {
		return nil, fmt.Errorf("%w: Ed25519 public key does not match the private key", ErrInvalidKey)
	}
	pub := key.Public().(ed25519.PublicKey)
	c, err := newCore(key, "EdDSA", JWK{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(pub)})
	if err != nil {
		return nil, err
	}
	return &Ed25519KeyPair{c: c}, nil
}

// ParseEd25519KeyPair parses a PEM-encoded Ed25519 private key ("PRIVATE
// KEY"), as [ParsePrivateKeyPEM] does, and fails if it holds another type of
// key.
func ParseEd25519KeyPair(privatePEM string) (*Ed25519KeyPair, error) {
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

// Algorithm returns "EdDSA", the default; CreateToken also accepts
// Algorithm "Ed25519".
func (p *Ed25519KeyPair) Algorithm() string { return p.c.alg }

// KeyID returns the RFC 7638 thumbprint of the public key.
func (p *Ed25519KeyPair) KeyID() string { return p.c.kid }

// Public returns the ed25519.PublicKey.
func (p *Ed25519KeyPair) Public() crypto.PublicKey { return p.c.public() }

// Private returns the ed25519.PrivateKey. It must not be modified.
func (p *Ed25519KeyPair) Private() crypto.Signer { return p.c.signer }

// PublicKeyPEM returns the public key as a PEM "PUBLIC KEY" block.
func (p *Ed25519KeyPair) PublicKeyPEM() string { return p.c.pubPEM }

// PrivateKeyPEM returns the private key as a PEM "PRIVATE KEY" (PKCS #8)
// block.
func (p *Ed25519KeyPair) PrivateKeyPEM() string { return p.c.privPEM }

// JWK returns the public JWK: kty "OKP", kid, use "sig", alg "EdDSA", crv
// "Ed25519", x.
func (p *Ed25519KeyPair) JWK() JWK { return p.c.jwk }

// CreateToken mints a JWT signed with the key; see [TokenOptions].
func (p *Ed25519KeyPair) CreateToken(o TokenOptions) (string, error) { return p.c.createToken(o) }
