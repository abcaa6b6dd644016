package testkeys

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// JWK is a public JSON Web Key (RFC 7517) of type RSA, EC or OKP. The pairs
// of this package fill kty, kid, use "sig", alg and the key members; tests may
// change any field, or build a JWK by hand, to produce unusual key sets.
// Empty members are left out of its JSON form, except kty.
type JWK struct {
	Kty string `json:"kty"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
	Kid string `json:"kid,omitempty"`
	// N and E are the RSA modulus and public exponent (base64url, big
	// endian, no leading zeros).
	N string `json:"n,omitempty"`
	E string `json:"e,omitempty"`
	// Crv is the curve: P-256, P-384, P-521 (EC) or Ed25519 (OKP).
	Crv string `json:"crv,omitempty"`
	// X and Y are the EC point coordinates (base64url, padded to the field
	// size); for OKP, X is the public key and Y is empty.
	X string `json:"x,omitempty"`
	Y string `json:"y,omitempty"`
}

// Thumbprint returns the RFC 7638 SHA-256 thumbprint of the key, base64url
// encoded without padding: the hash of the required members (e, kty, n for
// RSA; crv, kty, x, y for EC; crv, kty, x for OKP) in lexicographic order,
// as compact JSON. It fails if kty is another type or a required member is
// empty.
func (k JWK) Thumbprint() (string, error) {
	var members [][2]string
	switch k.Kty {
	case "RSA":
		members = [][2]string{{"e", k.E}, {"kty", k.Kty}, {"n", k.N}}
	case "EC":
		members = [][2]string{{"crv", k.Crv}, {"kty", k.Kty}, {"x", k.X}, {"y", k.Y}}
	case "OKP":
		members = [][2]string{{"crv", k.Crv}, {"kty", k.Kty}, {"x", k.X}}
	default:
		return "", fmt.Errorf("%w: JWK thumbprint: unsupported kty %q", ErrInvalidKey, k.Kty)
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, m := range members {
		if m[1] == "" {
			return "", fmt.Errorf("%w: JWK thumbprint: %s key has no %q member", ErrInvalidKey, k.Kty, m[0])
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(m[0]))
		b.WriteByte(':')
		v, err := json.Marshal(m[1])
		if err != nil {
			return "", fmt.Errorf("%w: JWK thumbprint: %w", ErrInvalidKey, err)
		}
		b.Write(v)
	}
	b.WriteByte('}')
	sum := sha256.Sum256([]byte(b.String()))
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// JWKSet is a JWK Set document (RFC 7517 §5). Tests can build one by hand
// and serve its JSON with [JWKSServer.SetDocument].
type JWKSet struct {
	Keys []JWK `json:"keys"`
}

// JWKS returns the JWK Set document {"keys":[...]} holding the public JWK of
// each pair, in order. With no pairs it returns {"keys":[]}. Duplicate key IDs
// are kept, so that tests can serve ambiguous sets.
func JWKS(keys ...*KeyPair) ([]byte, error) {
	set := JWKSet{Keys: make([]JWK, 0, len(keys))}
	for i, kp := range keys {
		if kp == nil {
			return nil, fmt.Errorf("%w: key pair %d is nil", ErrInvalidKey, i)
		}
		jwk := kp.JWK()
		if jwk.Kty == "" {
			return nil, fmt.Errorf("%w: key pair %d has no key", ErrInvalidKey, i)
		}
		set.Keys = append(set.Keys, jwk)
	}
	return marshalJSON(set)
}
