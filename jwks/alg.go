package jwks

import (
	"crypto/elliptic"
	"strings"

	"github.com/mcpauth/mcpauth/internal/jose"
)

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

// algNames holds the JWS names, indexed by algID: the module's one table of
// asymmetric algorithms (internal/jose), in its order.
var algNames = func() (t [numAlgs]string) {
	if len(jose.AsymmetricAlgorithms) != int(numAlgs) {
		panic("jwks: the algorithm IDs do not match internal/jose.AsymmetricAlgorithms")
	}
	copy(t[:], jose.AsymmetricAlgorithms)
	return t
}()

// algSet is a bit set of algIDs.
type algSet uint16

// setOf returns the set of the named algorithms.
func setOf(names []string) algSet {
	var s algSet
	for _, n := range names {
		id, ok := parseAlg(n)
		if !ok {
			panic("jwks: unknown algorithm " + n)
		}
		s |= 1 << id
	}
	return s
}

// The algorithm families of each key type, from internal/jose's key rule.
var (
	rsaAlgs  = setOf(jose.RSAAlgorithms)
	allAlgs  = setOf(jose.AsymmetricAlgorithms)
	p256Algs = setOf(jose.AlgorithmsForCurve(elliptic.P256()))
	p384Algs = setOf(jose.AlgorithmsForCurve(elliptic.P384()))
	p521Algs = setOf(jose.AlgorithmsForCurve(elliptic.P521()))
	edAlgs   = setOf(jose.Ed25519Algorithms)
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
	for id, n := range jose.AsymmetricAlgorithms {
		if n == name {
			return algID(id), true
		}
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
func unsupportedHint(name string) string { return jose.UnsupportedAlgorithmHint(name) }

// isSymmetricOrNone reports whether name is "none" (any case) or an HMAC
// algorithm, which a public JWK Set can never serve.
func isSymmetricOrNone(name string) bool {
	u := strings.ToUpper(name)
	return u == "NONE" || strings.HasPrefix(u, "HS")
}
