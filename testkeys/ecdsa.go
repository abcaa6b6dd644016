package testkeys

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

// GenerateECKeyPair generates a P-256 key pair for ES256.
func GenerateECKeyPair() (*KeyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("testkeys: generating an ECDSA key: %w", err)
	}
	return NewECKeyPair(key)
}

// NewECKeyPair wraps an existing ECDSA private key on P-256, P-384 or P-521
// whose public key must match its private scalar. The key must not be
// modified afterwards.
func NewECKeyPair(key *ecdsa.PrivateKey) (*KeyPair, error) {
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
	return newKeyPair(key, alg, ecJWK(crv, pub.Bytes()))
}

// ParseECKeyPair parses a PEM-encoded ECDSA private key ("PRIVATE KEY" or "EC
// PRIVATE KEY"), as [ParsePrivateKeyPEM] does, and fails if it holds another
// type of key.
func ParseECKeyPair(privatePEM string) (*KeyPair, error) {
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
