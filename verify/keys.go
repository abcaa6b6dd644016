package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// MinRSAKeyBits is the smallest RSA modulus accepted (RFC 8725 §3.5).
const MinRSAKeyBits = 2048

// Algorithm families. Every supported JWS algorithm is in exactly one.
var (
	rsaAlgorithms  = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
	hmacAlgorithms = []string{"HS256", "HS384", "HS512"}
	// ed25519Algorithms are the two names of EdDSA over Ed25519: "EdDSA"
	// (RFC 8037) and the fully-specified "Ed25519" (RFC 9864). Both verify
	// the same way; Ed448 is not supported.
	ed25519Algorithms = []string{"EdDSA", "Ed25519"}
	// asymmetricAlgorithms is the default allow-list for a JWK Set.
	asymmetricAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"}
)

// unsupportedAlgorithmHint explains why a registered JWS algorithm that
// this package does not verify is refused, or returns "".
func unsupportedAlgorithmHint(alg string) string {
	if alg == "Ed448" {
		return "Ed448 (RFC 9864) is not supported: the Go standard library has no Ed448; use Ed25519 or EdDSA keys"
	}
	return ""
}

// hmacMinSecret is the minimum secret length per HMAC algorithm: the hash
// output size (RFC 7518 §3.2).
var hmacMinSecret = map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}

// isSupportedAlgorithm reports whether alg is one this package verifies.
func isSupportedAlgorithm(alg string) bool {
	return slices.Contains(asymmetricAlgorithms, alg) || slices.Contains(hmacAlgorithms, alg)
}

// algorithmsForKey returns the JWS algorithms a public key can verify.
func algorithmsForKey(key crypto.PublicKey) []string {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return rsaAlgorithms
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return []string{"ES256"}
		case elliptic.P384():
			return []string{"ES384"}
		case elliptic.P521():
			return []string{"ES512"}
		}
	case ed25519.PublicKey:
		return ed25519Algorithms
	}
	return nil
}

// looksLikeKeyMaterial reports whether an HMAC secret is probably a public
// key, a certificate or a JWK: using one as an HMAC secret is the classic
// algorithm-confusion attack.
func looksLikeKeyMaterial(s string) bool {
	t := strings.TrimSpace(s)
	return strings.Contains(t, "-----BEGIN") ||
		strings.HasPrefix(t, "ssh-") ||
		(strings.HasPrefix(t, "{") && strings.Contains(t, `"kty"`))
}

// parsePublicKeyPEM parses exactly one PEM block holding a public key or an
// X.509 certificate and checks the key is strong enough.
func parsePublicKeyPEM(s string) (crypto.PublicKey, error) {
	block, rest := pem.Decode([]byte(strings.TrimSpace(s)))
	if block == nil {
		return nil, errors.New("PublicKey is not PEM encoded")
	}
	if len(strings.TrimSpace(string(rest))) != 0 {
		return nil, errors.New("PublicKey holds more than one PEM block; configure exactly one key or certificate")
	}
	var (
		key any
		err error
	)
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		cert, err = x509.ParseCertificate(block.Bytes)
		if err == nil {
			key = cert.PublicKey
		}
	default:
		if strings.Contains(block.Type, "PRIVATE") {
			return nil, fmt.Errorf("PublicKey is a %s; configure the public key, never the private key", block.Type)
		}
		return nil, fmt.Errorf("PublicKey PEM block type %q is not supported (want PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE)", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("PublicKey (%s) cannot be parsed: %w", block.Type, err)
	}
	if err := checkPublicKey(key); err != nil {
		return nil, err
	}
	return key, nil
}

// checkPublicKey accepts only key types and sizes that are safe to verify
// with.
func checkPublicKey(key any) error {
	switch k := key.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < MinRSAKeyBits {
			return fmt.Errorf("RSA key has %d bits; at least %d are required", k.N.BitLen(), MinRSAKeyBits)
		}
		return nil
	case *ecdsa.PublicKey:
		if algorithmsForKey(k) == nil {
			return fmt.Errorf("EC curve %s is not supported (want P-256, P-384 or P-521)", k.Curve.Params().Name)
		}
		return nil
	case ed25519.PublicKey:
		return nil
	default:
		return fmt.Errorf("key type %T is not supported (want RSA, ECDSA or Ed25519)", key)
	}
}
