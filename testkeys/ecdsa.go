package testkeys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

// ECKeyPair is an ECDSA key pair on P-256 (algorithm ES256), P-384 (ES384) or
// P-521 (ES512). Create one with [GenerateECKeyPair], [NewECKeyPair] or
// [ParseECKeyPair]; the zero value has no key and its CreateToken fails. It is
// safe for concurrent use.
type ECKeyPair struct {
	c core
}

var _ KeyPair = (*ECKeyPair)(nil)

// GenerateECKeyPair generates a P-256 key pair for ES256.
func GenerateECKeyPair() (*ECKeyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("testkeys: generating an ECDSA key: %w", err)
	}
	return NewECKeyPair(key)
}

// NewECKeyPair wraps an existing ECDSA private key on P-256, P-384 or P-521
// whose public key must match its private scalar. The key must not be
// modified afterwards.
func NewECKeyPair(key *ecdsa.PrivateKey) (*ECKeyPair, error) {
	if key == nil {
		return nil, fmt.Errorf("%w: ECDSA key is nil", ErrInvalidKey)
	}
	crv, alg := ecCurve(key.Curve)
	if crv == "" {
		return nil, fmt.Errorf("%w: unsupported ECDSA curve (want P-256, P-384 or P-521)", ErrInvalidKey)
	}
	priv, err := key.ECDH()
	if err != nil {
		return nil, fmt.Errorf("%w: ECDSA private key: %w", ErrInvalidKey, err)
	}
	pub, err := key.PublicKey.ECDH()
	if err != nil {
		return nil, fmt.Errorf("%w: ECDSA public key: %w", ErrInvalidKey, err)
	}
	if !priv.PublicKey().Equal(pub) {
		return nil, fmt.Errorf("%w: ECDSA public key does not match the private key", ErrInvalidKey)
	}
	c, err := newCore(key, alg, ecJWK(crv, pub.Bytes()))
	if err != nil {
		return nil, err
	}
	return &ECKeyPair{c: c}, nil
}

// ParseECKeyPair parses a PEM-encoded ECDSA private key ("PRIVATE KEY" or "EC
// PRIVATE KEY"), as [ParsePrivateKeyPEM] does, and fails if it holds another
// type of key.
func ParseECKeyPair(privatePEM string) (*ECKeyPair, error) {
	key, err := parsePrivatePEM(privatePEM)
	if err != nil {
		return nil, err
	}
	k, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: PEM holds an %s key, not ECDSA", ErrInvalidKey, keyTypeName(key))
	}
	return NewECKeyPair(k)
}

// ecCurve returns the JWK crv name and JWS algorithm of a supported curve, or
// empty strings.
func ecCurve(c elliptic.Curve) (crv, alg string) {
	switch c {
	case elliptic.P256():
		return "P-256", "ES256"
	case elliptic.P384():
		return "P-384", "ES384"
	case elliptic.P521():
		return "P-521", "ES512"
	}
	return "", ""
}

// ecJWK returns the public JWK members of an ECDSA key given its uncompressed
// point encoding 0x04 || X || Y, whose coordinates have the full field size
// as RFC 7518 §6.2.1.2 requires.
func ecJWK(crv string, point []byte) JWK {
	size := (len(point) - 1) / 2
	return JWK{
		Kty: "EC",
		Crv: crv,
		X:   base64.RawURLEncoding.EncodeToString(point[1 : 1+size]),
		Y:   base64.RawURLEncoding.EncodeToString(point[1+size:]),
	}
}

// Algorithm returns ES256, ES384 or ES512 according to the curve.
func (p *ECKeyPair) Algorithm() string { return p.c.alg }

// KeyID returns the RFC 7638 thumbprint of the public key.
func (p *ECKeyPair) KeyID() string { return p.c.kid }

// Public returns the *ecdsa.PublicKey.
func (p *ECKeyPair) Public() crypto.PublicKey { return p.c.public() }

// Private returns the *ecdsa.PrivateKey. It must not be modified.
func (p *ECKeyPair) Private() crypto.Signer { return p.c.signer }

// PublicKeyPEM returns the public key as a PEM "PUBLIC KEY" block.
func (p *ECKeyPair) PublicKeyPEM() string { return p.c.pubPEM }

// PrivateKeyPEM returns the private key as a PEM "PRIVATE KEY" (PKCS #8)
// block.
func (p *ECKeyPair) PrivateKeyPEM() string { return p.c.privPEM }

// JWK returns the public JWK: kty "EC", kid, use "sig", alg, crv, x, y.
func (p *ECKeyPair) JWK() JWK { return p.c.jwk }

// CreateToken mints a JWT signed with the key; see [TokenOptions].
func (p *ECKeyPair) CreateToken(o TokenOptions) (string, error) { return p.c.createToken(o) }
