package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"fmt"
)

// MinRSAKeyBits is the smallest RSA modulus accepted (RFC 8725 §3.5).
const MinRSAKeyBits = 2048

// Kinds of JWS algorithm, as in [Spec].Kind.
const (
	KindRSA   byte = 'R' // RSASSA-PKCS1-v1_5
	KindPSS   byte = 'P' // RSASSA-PSS
	KindECDSA byte = 'E' // ECDSA
	KindEdDSA byte = 'D' // EdDSA over Ed25519
	KindHMAC  byte = 'H' // HMAC with SHA-2
)

// Spec says how one JWS algorithm verifies (RFC 7518 §3).
type Spec struct {
	// Kind is one of KindRSA, KindPSS, KindECDSA, KindEdDSA, KindHMAC.
	Kind byte
	// Hash is the digest (zero for EdDSA).
	Hash crypto.Hash
	// Size is, for ECDSA, the bytes of r and of s.
	Size int
}

// SpecOf returns the verification of a supported algorithm. Names compare
// exactly (RFC 7515 §4.1.1 is case-sensitive).
func SpecOf(alg string) (Spec, bool) {
	switch alg {
	case "RS256":
		return Spec{Kind: KindRSA, Hash: crypto.SHA256}, true
	case "RS384":
		return Spec{Kind: KindRSA, Hash: crypto.SHA384}, true
	case "RS512":
		return Spec{Kind: KindRSA, Hash: crypto.SHA512}, true
	case "PS256":
		return Spec{Kind: KindPSS, Hash: crypto.SHA256}, true
	case "PS384":
		return Spec{Kind: KindPSS, Hash: crypto.SHA384}, true
	case "PS512":
		return Spec{Kind: KindPSS, Hash: crypto.SHA512}, true
	case "ES256":
		return Spec{Kind: KindECDSA, Hash: crypto.SHA256, Size: 32}, true
	case "ES384":
		return Spec{Kind: KindECDSA, Hash: crypto.SHA384, Size: 48}, true
	case "ES512":
		return Spec{Kind: KindECDSA, Hash: crypto.SHA512, Size: 66}, true
	case "EdDSA", "Ed25519": // RFC 8037; RFC 9864 fully-specified name
		return Spec{Kind: KindEdDSA}, true
	case "HS256":
		return Spec{Kind: KindHMAC, Hash: crypto.SHA256}, true
	case "HS384":
		return Spec{Kind: KindHMAC, Hash: crypto.SHA384}, true
	case "HS512":
		return Spec{Kind: KindHMAC, Hash: crypto.SHA512}, true
	}
	return Spec{}, false
}

// Algorithm families. Every supported JWS algorithm is in exactly one of
// RSAAlgorithms, ECDSA (one per curve), Ed25519Algorithms and
// HMACAlgorithms. Callers must not modify them.
var (
	// RSAAlgorithms verify with an RSA key.
	RSAAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
	// HMACAlgorithms verify with a shared secret.
	HMACAlgorithms = []string{"HS256", "HS384", "HS512"}
	// Ed25519Algorithms are the two names of EdDSA over Ed25519: "EdDSA"
	// (RFC 8037) and the fully-specified "Ed25519" (RFC 9864). Both verify
	// the same way; Ed448 is not supported.
	Ed25519Algorithms = []string{"EdDSA", "Ed25519"}
	// AsymmetricAlgorithms is every public-key algorithm supported.
	AsymmetricAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"}

	es256 = []string{"ES256"}
	es384 = []string{"ES384"}
	es512 = []string{"ES512"}
)

// UnsupportedAlgorithmHint explains why a registered JWS algorithm that
// this module does not verify is refused, or returns "".
func UnsupportedAlgorithmHint(alg string) string {
	if alg == "Ed448" {
		return "Ed448 (RFC 9864) is not supported: the Go standard library has no Ed448; use Ed25519 or EdDSA keys"
	}
	return ""
}

// AlgorithmsForKey returns the JWS algorithms a public key can verify, or
// nil for an unsupported key type or curve.
func AlgorithmsForKey(key crypto.PublicKey) []string {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return RSAAlgorithms
	case *ecdsa.PublicKey:
		return AlgorithmsForCurve(k.Curve)
	case ed25519.PublicKey:
		return Ed25519Algorithms
	}
	return nil
}

// AlgorithmsForCurve returns the one ECDSA algorithm of a curve (ES256 for
// P-256, ES384 for P-384, ES512 for P-521), or nil for another curve.
func AlgorithmsForCurve(c elliptic.Curve) []string {
	switch c {
	case elliptic.P256():
		return es256
	case elliptic.P384():
		return es384
	case elliptic.P521():
		return es512
	}
	return nil
}

// CheckPublicKey accepts only key types and sizes that are safe to verify
// with: RSA of at least [MinRSAKeyBits], ECDSA on P-256, P-384 or P-521,
// and Ed25519.
func CheckPublicKey(key any) error {
	switch k := key.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < MinRSAKeyBits {
			return fmt.Errorf("RSA key has %d bits; at least %d are required", k.N.BitLen(), MinRSAKeyBits)
		}
		return nil
	case *ecdsa.PublicKey:
		if AlgorithmsForKey(k) == nil {
			return fmt.Errorf("EC curve %s is not supported (want P-256, P-384 or P-521)", k.Curve.Params().Name)
		}
		return nil
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("Ed25519 key has %d bytes; %d are required", len(k), ed25519.PublicKeySize)
		}
		return checkEd25519(k)
	default:
		return fmt.Errorf("key type %T is not supported (want RSA, ECDSA or Ed25519)", key)
	}
}
