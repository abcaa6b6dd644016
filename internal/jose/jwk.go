package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/mcpauth/mcpauth/internal/strictjson"
)

// MaxRSAKeyBits is the largest RSA modulus accepted in a JWK carried by a
// message (a DPoP proof): larger keys only cost the verifier time.
const MaxRSAKeyBits = 8192

// b64 decodes unpadded base64url and rejects non-zero trailing bits.
var b64 = base64.RawURLEncoding.Strict()

// decodeMember decodes a base64url JWK member, refusing anything outside
// the alphabet (Go's decoders skip CR and LF), so every accepted member has
// exactly one encoding.
func decodeMember(s string) ([]byte, error) {
	if !IsBase64URL(s) {
		return nil, errors.New("not base64url")
	}
	return b64.DecodeString(s)
}

// IsBase64URL reports whether s is made only of the base64url alphabet
// (RFC 4648 §5), without padding.
func IsBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		if !b64urlChars[s[i]] {
			return false
		}
	}
	return true
}

// b64urlChars marks the base64url alphabet.
var b64urlChars = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
		t[c] = true
	}
	return t
}()

// JWKMemberNames are the JWK members of RFC 7517, 7518 and 8037 (and
// WebCrypto's ext). A member that equals one of them only when letter case
// is ignored is refused, in a DPoP proof's jwk and in a JWK Set. Callers
// must not modify it.
var JWKMemberNames = []string{
	"kty", "use", "key_ops", "alg", "kid", "x5u", "x5c", "x5t", "x5t#S256",
	"crv", "x", "y", "d", "n", "e", "p", "q", "dp", "dq", "qi", "oth", "k", "ext",
}

// privateJWKMembers hold private or symmetric key material (RFC 7518 §6).
var privateJWKMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// PublicJWK is a public key read from a JWK by [ParsePublicJWK].
type PublicJWK struct {
	// Key is *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey.
	Key crypto.PublicKey
	// Thumbprint is the RFC 7638 SHA-256 thumbprint, base64url.
	Thumbprint string
	// Alg is the JWK's alg member, "" when absent.
	Alg string
}

// ParsePublicJWK reads a public signing key from a JWK object decoded by
// the strict parser. It refuses private or symmetric key material, members
// whose names are letter-case variants of JWK member names, certificate
// members (x5u, x5c), a use other than "sig", unsupported key types and
// curves, RSA keys outside [MinRSAKeyBits]..[MaxRSAKeyBits], EC points off
// their curve and non-canonical encodings (padding, leading zeros,
// short coordinates), so the thumbprint is unique to the key. Errors name
// the member at fault, never its value.
func ParsePublicJWK(m map[string]any) (PublicJWK, error) {
	if err := strictjson.CheckNameCase(m, JWKMemberNames); err != nil {
		return PublicJWK{}, errors.New("a JWK member name differs from a registered name only in letter case")
	}
	for _, name := range privateJWKMembers {
		if _, ok := m[name]; ok {
			return PublicJWK{}, fmt.Errorf("the JWK holds private or symmetric key material (member %s)", name)
		}
	}
	for _, name := range []string{"x5u", "x5c"} {
		if _, ok := m[name]; ok {
			return PublicJWK{}, fmt.Errorf("the JWK has a certificate member (%s); only the bare public key is accepted", name)
		}
	}
	var out PublicJWK
	if v, ok := m["use"]; ok && v != "sig" {
		return out, errors.New(`the JWK use member is not "sig"`)
	}
	if v, ok := m["alg"]; ok {
		s, isStr := v.(string)
		if !isStr || s == "" {
			return out, errors.New("the JWK alg member is not a non-empty string")
		}
		out.Alg = s
	}
	kty, _ := m["kty"].(string)
	str := func(name string) (string, error) {
		v, ok := m[name].(string)
		if !ok || v == "" {
			return "", fmt.Errorf("the %s JWK member %s is missing or not a non-empty string", kty, name)
		}
		return v, nil
	}
	var err error
	switch kty {
	case "EC":
		var crv, x, y string
		if crv, err = str("crv"); err != nil {
			return out, err
		}
		if x, err = str("x"); err != nil {
			return out, err
		}
		if y, err = str("y"); err != nil {
			return out, err
		}
		out.Key, err = ecKey(crv, x, y)
		out.Thumbprint = Thumbprint([][2]string{{"crv", crv}, {"kty", kty}, {"x", x}, {"y", y}})
	case "RSA":
		var n, e string
		if n, err = str("n"); err != nil {
			return out, err
		}
		if e, err = str("e"); err != nil {
			return out, err
		}
		out.Key, err = rsaKey(n, e)
		out.Thumbprint = Thumbprint([][2]string{{"e", e}, {"kty", kty}, {"n", n}})
	case "OKP":
		var crv, x string
		if crv, err = str("crv"); err != nil {
			return out, err
		}
		if x, err = str("x"); err != nil {
			return out, err
		}
		out.Key, err = okpKey(crv, x)
		out.Thumbprint = Thumbprint([][2]string{{"crv", crv}, {"kty", kty}, {"x", x}})
	case "oct":
		return out, errors.New("the JWK is a symmetric key (kty oct); a public key is required")
	case "":
		return out, errors.New("the JWK kty member is missing or not a string")
	default:
		return out, errors.New("the JWK kty is not supported (want EC, RSA or OKP)")
	}
	if err != nil {
		return PublicJWK{}, err
	}
	if out.Alg != "" && !slices.Contains(AlgorithmsForKey(out.Key), out.Alg) {
		return PublicJWK{}, errors.New("the JWK alg member does not suit its key")
	}
	return out, nil
}

// ecKey decodes an EC public key and checks the point is on the curve.
func ecKey(crv, x, y string) (*ecdsa.PublicKey, error) {
	var curve elliptic.Curve
	switch crv {
	case "P-256":
		curve = elliptic.P256()
	case "P-384":
		curve = elliptic.P384()
	case "P-521":
		curve = elliptic.P521()
	default:
		return nil, errors.New("the EC JWK curve is not supported (want P-256, P-384 or P-521)")
	}
	size := (curve.Params().BitSize + 7) / 8
	xb, err1 := decodeMember(x)
	yb, err2 := decodeMember(y)
	if err1 != nil || err2 != nil {
		return nil, errors.New("an EC JWK coordinate is not unpadded base64url")
	}
	if len(xb) != size || len(yb) != size {
		return nil, errors.New("an EC JWK coordinate does not have the curve's full size")
	}
	point := make([]byte, 0, 1+2*size)
	point = append(append(append(point, 4), xb...), yb...)
	key, err := ecdsa.ParseUncompressedPublicKey(curve, point)
	if err != nil {
		return nil, errors.New("the EC JWK point is not on its curve")
	}
	return key, nil
}

// rsaKey decodes an RSA public key and checks its size and exponent.
func rsaKey(n, e string) (*rsa.PublicKey, error) {
	if len(n) > (MaxRSAKeyBits/8*4+2)/3 {
		return nil, fmt.Errorf("the RSA JWK modulus is larger than %d bits", MaxRSAKeyBits)
	}
	nb, err1 := decodeMember(n)
	eb, err2 := decodeMember(e)
	if err1 != nil || err2 != nil {
		return nil, errors.New("an RSA JWK member is not unpadded base64url")
	}
	if nb[0] == 0 || eb[0] == 0 {
		return nil, errors.New("an RSA JWK member has leading zero octets")
	}
	if len(eb) > 4 {
		return nil, errors.New("the RSA JWK exponent is too large")
	}
	var exp int
	for _, c := range eb {
		exp = exp<<8 | int(c)
	}
	if exp < 3 || exp%2 == 0 {
		return nil, errors.New("the RSA JWK exponent is not an odd number of at least 3")
	}
	key := &rsa.PublicKey{N: new(big.Int).SetBytes(nb), E: exp}
	if err := CheckPublicKey(key); err != nil {
		return nil, err
	}
	return key, nil
}

// okpKey decodes an Ed25519 public key.
func okpKey(crv, x string) (ed25519.PublicKey, error) {
	if crv != "Ed25519" {
		if h := UnsupportedAlgorithmHint(crv); h != "" {
			return nil, errors.New(h)
		}
		return nil, errors.New("the OKP JWK curve is not supported (want Ed25519)")
	}
	xb, err := decodeMember(x)
	if err != nil {
		return nil, errors.New("the OKP JWK member x is not unpadded base64url")
	}
	if len(xb) != ed25519.PublicKeySize {
		return nil, errors.New("the Ed25519 JWK key does not have 32 bytes")
	}
	if err := checkEd25519(xb); err != nil {
		return nil, err
	}
	return ed25519.PublicKey(xb), nil
}

// Thumbprint returns the RFC 7638 SHA-256 thumbprint (base64url) of a key
// given its required members, in the lexicographic order of their names
// (e, kty, n for RSA; crv, kty, x, y for EC; crv, kty, x for OKP). Every
// value must be a string that JSON encodes without escapes (base64url text
// and the registered kty and crv names).
func Thumbprint(members [][2]string) string {
	size := 2
	for _, m := range members {
		size += len(m[0]) + len(m[1]) + 6
	}
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i, m := range members {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, m[0]...)
		b = append(b, `":"`...)
		b = append(b, m[1]...)
		b = append(b, '"')
	}
	b = append(b, '}')
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// S256 returns the base64url (unpadded) SHA-256 of s: a DPoP proof's ath
// (RFC 9449 §4.2) and, over the canonical JWK, a thumbprint.
func S256(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
