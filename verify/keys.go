package verify

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/mcpauth/mcpauth/internal/jose"
)

// MinRSAKeyBits is the smallest RSA modulus accepted (RFC 8725 §3.5).
const MinRSAKeyBits = jose.MinRSAKeyBits

// hmacMinSecret is the minimum secret length per HMAC algorithm: the hash
// output size (RFC 7518 §3.2).
var hmacMinSecret = map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}

// isSupportedAlgorithm reports whether alg is one this package verifies.
func isSupportedAlgorithm(alg string) bool {
	_, ok := jose.SpecOf(alg)
	return ok
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
		return nil, errors.New("{PublicKey} is not PEM encoded")
	}
	if len(strings.TrimSpace(string(rest))) != 0 {
		return nil, errors.New("{PublicKey} holds more than one PEM block; configure exactly one key or certificate")
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
			return nil, fmt.Errorf("{PublicKey} is a %s; configure the public key, never the private key", block.Type)
		}
		return nil, fmt.Errorf("{PublicKey} PEM block type %q is not supported (want PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE)", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("{PublicKey} (%s) cannot be parsed: %w", block.Type, err)
	}
	if err := jose.CheckPublicKey(key); err != nil {
		return nil, fmt.Errorf("{PublicKey}: %w", err)
	}
	return key, nil
}
