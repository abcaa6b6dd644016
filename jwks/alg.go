package jwks

import "strings"

// algID indexes the asymmetric JWS algorithms this package accepts.
type algID uint8

const (
	algRS256 algID = iota
	algRS384
	algRS512
	algPS256
	algPS384
	algPS512
	algES256
	algES384
	algES512
	algEdDSA
	algEd25519 // RFC 9864 fully-specified name of EdDSA over Ed25519
	numAlgs
)

// algNames holds the JWS names, indexed by algID.
var algNames = [numAlgs]string{
	algRS256: "RS256", algRS384: "RS384", algRS512: "RS512",
	algPS256: "PS256", algPS384: "PS384", algPS512: "PS512",
	algES256: "ES256", algES384: "ES384", algES512: "ES512",
	algEdDSA: "EdDSA", algEd25519: "Ed25519",
}

// algSet is a bit set of algIDs.
type algSet uint16

const (
	rsaAlgs  = algSet(1<<algRS256 | 1<<algRS384 | 1<<algRS512 | 1<<algPS256 | 1<<algPS384 | 1<<algPS512)
	allAlgs  = algSet(1<<numAlgs - 1)
	p256Algs = algSet(1 << algES256)
	p384Algs = algSet(1 << algES384)
	p521Algs = algSet(1 << algES512)
	edAlgs   = algSet(1<<algEdDSA | 1<<algEd25519)
)

// DefaultAlgorithms lists the algorithms allowed when Options.Algorithms is
// empty: every asymmetric JWS algorithm this package supports.
func DefaultAlgorithms() []string {
	out := make([]string, numAlgs)
	copy(out, algNames[:])
	return out
}

// parseAlg maps an exact (case-sensitive, RFC 7515 §4.1.1) JWS name to its
// algID. It does not allocate.
func parseAlg(name string) (algID, bool) {
	switch name {
	case "RS256":
		return algRS256, true
	case "RS384":
		return algRS384, true
	case "RS512":
		return algRS512, true
	case "PS256":
		return algPS256, true
	case "PS384":
		return algPS384, true
	case "PS512":
		return algPS512, true
	case "ES256":
		return algES256, true
	case "ES384":
		return algES384, true
	case "ES512":
		return algES512, true
	case "EdDSA":
		return algEdDSA, true
	case "Ed25519":
		return algEd25519, true
	}
	return 0, false
}

// has reports whether id is in the set.
func (s algSet) has(id algID) bool { return s&(1<<id) != 0 }

// String lists the set's algorithms, space-separated.
func (s algSet) String() string {
	var b strings.Builder
	for id := range numAlgs {
		if s.has(id) {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(algNames[id])
		}
	}
	return b.String()
}

// names returns the set's algorithms as a slice.
func (s algSet) names() []string {
	var out []string
	for id := range numAlgs {
		if s.has(id) {
			out = append(out, algNames[id])
		}
	}
	return out
}

// unsupportedHint explains why a registered JWS algorithm this package
// does not verify is refused, or returns "".
func unsupportedHint(name string) string {
	if name == "Ed448" {
		return "Ed448 (RFC 9864) is not supported: the Go standard library has no Ed448"
	}
	return ""
}

// isSymmetricOrNone reports whether name is "none" (any case) or an HMAC
// algorithm, which a public JWK Set can never serve.
func isSymmetricOrNone(name string) bool {
	u := strings.ToUpper(name)
	return u == "NONE" || strings.HasPrefix(u, "HS")
}
