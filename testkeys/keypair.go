package testkeys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
)

// KeyPair is a signing key with its public half: RSA (default algorithm
// RS256; RS384, RS512, PS256, PS384 and PS512 too), ECDSA on P-256, P-384 or
// P-521 (ES256, ES384 or ES512) or Ed25519 (EdDSA, or Ed25519 per RFC 9864).
// Create one with a Generate, New or Parse function; the zero value has no
// key, and its CreateToken fails with [ErrInvalidKey]. Its methods are safe
// for concurrent use.
type KeyPair struct {
	signer  crypto.Signer
	alg     string
	kid     string
	jwk     JWK
	privPEM string
	pubPEM  string
}

// newKeyPair computes the derived values of a pair whose key has already
// been validated. pub is the public JWK without kid, use and alg.
func newKeyPair(signer crypto.Signer, alg string, pub JWK) (*KeyPair, error) {
	kid, err := pub.Thumbprint()
	if err != nil {
		return nil, err
	}
	pub.Kid, pub.Use, pub.Alg = kid, "sig", alg
	privDER, err := x509.MarshalPKCS8PrivateKey(signer)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding the private key as PKCS #8: %w", ErrInvalidKey, err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(signer.Public())
	if err != nil {
		return nil, fmt.Errorf("%w: encoding the public key as PKIX: %w", ErrInvalidKey, err)
	}
	return &KeyPair{
		signer:  signer,
		alg:     alg,
		kid:     kid,
		jwk:     pub,
		privPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})),
		pubPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})),
	}, nil
}

// Algorithm returns the default JWS algorithm of the pair: RS256, ES256
// (ES384, ES512 for P-384, P-521 keys) or EdDSA. See [Algorithms] for all of
// a pair's algorithms.
func (p *KeyPair) Algorithm() string { return p.alg }

// KeyID returns the RFC 7638 JWK thumbprint of the public key (base64url of
// its SHA-256), the default kid of the pair's tokens and JWK.
func (p *KeyPair) KeyID() string { return p.kid }

// Public returns the public key: *rsa.PublicKey, *ecdsa.PublicKey or
// ed25519.PublicKey; nil for a zero pair.
func (p *KeyPair) Public() crypto.PublicKey {
	if p.signer == nil {
		return nil
	}
	return p.signer.Public()
}

// Private returns the private key: *rsa.PrivateKey, *ecdsa.PrivateKey or
// ed25519.PrivateKey. It must not be modified.
func (p *KeyPair) Private() crypto.Signer { return p.signer }

// PublicKeyPEM returns the public key as a PEM "PUBLIC KEY" block
// (PKIX/SPKI).
func (p *KeyPair) PublicKeyPEM() string { return p.pubPEM }

// PrivateKeyPEM returns the private key as a PEM "PRIVATE KEY" block
// (PKCS #8).
func (p *KeyPair) PrivateKeyPEM() string { return p.privPEM }

// JWK returns the public key as a JWK with kid, use "sig", alg and the key
// members (n, e for RSA; crv, x, y for EC; crv, x for OKP).
func (p *KeyPair) JWK() JWK { return p.jwk }

// CreateToken mints a signed JWT as described by [TokenOptions].
func (p *KeyPair) CreateToken(o TokenOptions) (string, error) { return p.createToken(o) }

// NewKeyPair wraps an existing private key: an *rsa.PrivateKey,
// *ecdsa.PrivateKey (P-256, P-384 or P-521) or ed25519.PrivateKey. See
// [NewRSAKeyPair], [NewECKeyPair] and [NewEd25519KeyPair] for the checks made.
func NewKeyPair(key crypto.Signer) (*KeyPair, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return NewRSAKeyPair(k)
	case *ecdsa.PrivateKey:
		return NewECKeyPair(k)
	case ed25519.PrivateKey:
		return NewEd25519KeyPair(k)
	case nil:
		return nil, fmt.Errorf("%w: key is nil", ErrInvalidKey)
	default:
		return nil, fmt.Errorf("%w: unsupported key type %T (want RSA, ECDSA or Ed25519)", ErrInvalidKey, key)
	}
}

// ParsePrivateKeyPEM parses a PEM-encoded private key and wraps it as a
// [KeyPair]. It accepts exactly one unencrypted block of type "PRIVATE KEY"
// (PKCS #8: RSA, ECDSA or Ed25519), "RSA PRIVATE KEY" (PKCS #1) or "EC PRIVATE
// KEY" (SEC 1), optionally preceded by text and followed by white space.
func ParsePrivateKeyPEM(privatePEM string) (*KeyPair, error) {
	key, err := parsePrivatePEM(privatePEM)
	if err != nil {
		return nil, err
	}
	return NewKeyPair(key)
}

// parsePrivatePEM decodes the single private key block of s.
func parsePrivatePEM(s string) (crypto.Signer, error) {
	block, rest := pem.Decode([]byte(s))
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block found", ErrInvalidKey)
	}
	if strings.TrimSpace(string(rest)) != "" {
		return nil, fmt.Errorf("%w: unexpected data after the PEM block", ErrInvalidKey)
	}
	if len(block.Headers) != 0 {
		return nil, fmt.Errorf("%w: PEM block has headers; encrypted keys are not supported", ErrInvalidKey)
	}
	var (
		key any
		err error
	)
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "ENCRYPTED PRIVATE KEY":
		return nil, fmt.Errorf("%w: encrypted private keys are not supported", ErrInvalidKey)
	case "PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE":
		return nil, fmt.Errorf("%w: PEM block %q holds no private key", ErrInvalidKey, block.Type)
	default:
		return nil, fmt.Errorf("%w: unsupported PEM block type %q", ErrInvalidKey, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: parsing %q block: %w", ErrInvalidKey, block.Type, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: unsupported key type %T (want RSA, ECDSA or Ed25519)", ErrInvalidKey, key)
	}
	return signer, nil
}

// keyTypeName names the type of key for error messages.
func keyTypeName(key any) string {
	switch key.(type) {
	case *rsa.PrivateKey, *rsa.PublicKey:
		return "RSA"
	case *ecdsa.PrivateKey, *ecdsa.PublicKey:
		return "ECDSA"
	case ed25519.PrivateKey, ed25519.PublicKey:
		return "Ed25519"
	default:
		return fmt.Sprintf("%T", key)
	}
}
