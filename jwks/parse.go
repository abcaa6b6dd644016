package jwks

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/MicahParks/jwkset"
	"github.com/mcpauth/mcpauth/internal/jose"
	"github.com/mcpauth/mcpauth/internal/strictjson"
)

// RSA modulus bounds. Below 2048 bits is weak (RFC 8725 §3.5, NIST SP
// 800-131A); above 16384 bits only costs verification time.
const (
	minRSABits = 2048
	maxRSABits = 16384
)

// entry is one usable verification key.
type entry struct {
	kid  string
	key  crypto.PublicKey // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
	algs algSet           // pinned algorithms, already intersected with Options.Algorithms
	jwk  jwkset.JWK
}

// skip records why one JWK Set member was ignored.
type skip struct {
	index  int
	kid    string
	reason string
	level  slog.Level // Warn: invalid or dangerous; Debug: not a signature key
}

func skipWarn(format string, args ...any) *skip {
	return &skip{reason: fmt.Sprintf(format, args...), level: slog.LevelWarn}
}

func skipDebug(format string, args ...any) *skip {
	return &skip{reason: fmt.Sprintf(format, args...), level: slog.LevelDebug}
}

// parseDocument parses a JWK Set document. The document is read by the
// module's strict JSON reader: a text fault anywhere (grammar, invalid
// UTF-8, lone surrogate escapes, nesting over strictjson.MaxDepth) or a
// repeated name outside the keys refuses it whole. A malformed or unusable
// member of "keys", one that repeats a name included, is skipped (RFC 7517
// §5) and reported in skips. Zero usable keys is an error.
func parseDocument(body []byte, allowed algSet) ([]*entry, []skip, error) {
	sc := strictjson.NewScanner(body, strictjson.MaxDepth, strictjson.ExactNames)
	notJSON := func(err error) error {
		return fmt.Errorf("%w: document is not a JSON object: %v", ErrFetch, err)
	}
	top, err := sc.TopLevelObject()
	switch {
	case errors.Is(err, strictjson.ErrNotObject) && string(bytes.TrimSpace(body)) == "null":
		return nil, nil, fmt.Errorf(`%w: document has no "keys" member`, ErrFetch)
	case err != nil:
		return nil, nil, notJSON(err)
	}
	var (
		members     [][]byte
		hasKeys     bool
		keysIsArray bool
	)
	for {
		name, _, ok, err := sc.Member(&top)
		if err != nil {
			return nil, nil, notJSON(err)
		}
		if !ok {
			break
		}
		if string(name) != "keys" || sc.Peek() != '[' {
			hasKeys = hasKeys || string(name) == "keys"
			if err := sc.SkipValue(); err != nil {
				return nil, nil, notJSON(err)
			}
			continue
		}
		hasKeys, keysIsArray = true, true
		// Read the members one by one and stop after MaxKeys+1, so that a
		// document of many tiny members costs no more than a scan.
		keys, err := sc.Array()
		if err != nil {
			return nil, nil, notJSON(err)
		}
		for {
			ok, err := sc.Element(&keys)
			if err != nil {
				return nil, nil, notJSON(err)
			}
			if !ok {
				break
			}
			if len(members) == MaxKeys {
				return nil, nil, fmt.Errorf("%w: the document has more than %d keys", ErrFetch, MaxKeys)
			}
			start := sc.Pos()
			// A repeated name inside a key skips that key (parseKey
			// says so); it does not refuse the set.
			if _, err := sc.SkipValueNotingDuplicates(); err != nil {
				return nil, nil, notJSON(err)
			}
			members = append(members, body[start:sc.Pos()])
		}
	}
	if err := sc.Done(); err != nil {
		return nil, nil, notJSON(err)
	}
	switch {
	case !hasKeys:
		return nil, nil, fmt.Errorf(`%w: document has no "keys" member`, ErrFetch)
	case !keysIsArray:
		return nil, nil, fmt.Errorf(`%w: "keys" is not an array`, ErrFetch)
	}
	var (
		entries []*entry
		skips   []skip
	)
	for i, m := range members {
		e, sk := parseKey(m, allowed)
		if sk != nil {
			sk.index = i
			skips = append(skips, *sk)
			continue
		}
		entries = append(entries, e)
	}
	if len(entries) == 0 {
		return nil, skips, fmt.Errorf("%w: no usable key among %d (every member was skipped)", ErrFetch, len(members))
	}
	return entries, skips, nil
}

// Bounds on a JWK Set document, so that parsing a hostile one (up to the
// body cap) costs little: real sets publish a handful of keys, each with
// about ten members.
const (
	// MaxKeys is the most keys a JWK Set document may hold; a document
	// with more is refused whole (the last good set stays in use).
	MaxKeys = 100
	// MaxKeyMembers is the most members one JWK may have; a key with more
	// is skipped before any of its key material is decoded.
	MaxKeyMembers = 64
)

// parseKey turns one JWK Set member into an entry, or says why it is
// skipped. The skip reason never contains key material.
func parseKey(raw json.RawMessage, allowed algSet) (*entry, *skip) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return nil, skipWarn("malformed JWK: not a JSON object")
	}
	var m jwkset.JWKMarshal
	if err := json.Unmarshal(raw, &m); err != nil {
		sk := skipWarn("malformed JWK member: %v", err)
		sk.kid = m.KID // best effort: set when the kid itself parsed
		return nil, sk
	}
	sk := checkMemberNames(raw)
	if sk == nil {
		sk = checkMetadata(&m)
	}
	if sk == nil {
		var e *entry
		e, sk = buildEntry(m, allowed)
		if sk == nil {
			return e, nil
		}
	}
	sk.kid = m.KID
	return nil, sk
}

// checkMemberNames rejects a member (a JSON object that json.Unmarshal
// accepted) that breaks the module's strict JSON rule (a repeated name at
// any depth, invalid UTF-8, lone surrogates, deep nesting), has more than
// MaxKeyMembers members, or has a name differing from a JWK member's only in
// letter case. encoding/json lets the last of repeated names win and matches
// names case-insensitively, so {"ktY":"EC"} would be read as a kty and
// {"use":"enc","USE":"sig"} as a signature key, although JWK member names
// are case-sensitive (RFC 7517 §4) and other JOSE libraries read such
// members differently. It scans the text without decoding values: a 1 MiB
// document can hold hundreds of thousands of members.
func checkMemberNames(raw []byte) *skip {
	sc := strictjson.NewScanner(raw, strictjson.MaxDepth, strictjson.ExactNames)
	o, err := sc.TopLevelObject()
	for n := 0; err == nil; n++ {
		var (
			name []byte
			ok   bool
		)
		name, _, ok, err = sc.Member(&o)
		switch {
		case err != nil:
		case !ok:
			err = sc.Done()
			if err == nil {
				return nil
			}
		case n == MaxKeyMembers:
			return skipWarn("malformed JWK: more than %d members", MaxKeyMembers)
		case strictjson.IsCaseVariant(name, jose.JWKMemberNames):
			return skipWarn("malformed JWK: a member name differs from a JWK member's only in letter case")
		default:
			err = sc.SkipValue()
		}
	}
	if errors.Is(err, strictjson.ErrDuplicateName) {
		return skipWarn("malformed JWK: a member name is repeated")
	}
	return skipWarn("malformed JWK: %v", err)
}

// checkMetadata applies the rules that need no key material.
func checkMetadata(m *jwkset.JWKMarshal) *skip {
	switch m.KTY {
	case jwkset.KtyRSA, jwkset.KtyEC, jwkset.KtyOKP:
	case jwkset.KtyOct:
		return skipWarn("symmetric key (kty oct) in a public JWK Set")
	case "":
		return skipWarn(`malformed JWK: missing "kty"`)
	default:
		return skipDebug("unsupported kty %q", m.KTY)
	}
	if m.D != "" || m.P != "" || m.Q != "" || m.DP != "" || m.DQ != "" || m.QI != "" || len(m.OTH) > 0 || m.K != "" {
		return skipWarn("JWK contains private key material; a JWK Set must publish public keys only")
	}
	if m.USE != "" && m.USE != jwkset.UseSig {
		return skipDebug(`use %q is not "sig"`, m.USE)
	}
	if m.KEYOPS != nil && !slices.Contains(m.KEYOPS, jwkset.KeyOpsVerify) {
		return skipDebug(`key_ops %q does not include "verify"`, m.KEYOPS)
	}
	return nil
}

// typeAlgs returns the algorithms a key type and curve allow.
func typeAlgs(m *jwkset.JWKMarshal) (algSet, *skip) {
	switch m.KTY {
	case jwkset.KtyRSA:
		return rsaAlgs, nil
	case jwkset.KtyEC:
		switch m.CRV {
		case jwkset.CrvP256:
			return p256Algs, nil
		case jwkset.CrvP384:
			return p384Algs, nil
		case jwkset.CrvP521:
			return p521Algs, nil
		case "":
			return 0, skipWarn(`malformed JWK: EC key without "crv"`)
		default:
			return 0, skipDebug("unsupported EC curve %q", m.CRV)
		}
	default: // OKP
		switch m.CRV {
		case jwkset.CrvEd25519:
			return edAlgs, nil
		case jwkset.CrvEd448:
			return 0, skipDebug("OKP curve Ed448 is not supported: the Go standard library has no Ed448")
		case jwkset.CrvX25519, jwkset.CrvX448:
			return 0, skipDebug("OKP curve %q is for key agreement, not signatures", m.CRV)
		case "":
			return 0, skipWarn(`malformed JWK: OKP key without "crv"`)
		default:
			return 0, skipDebug("unsupported OKP curve %q", m.CRV)
		}
	}
}

// buildEntry pins the key's algorithms, decodes and validates it with
// jwkset, and checks its strength.
func buildEntry(m jwkset.JWKMarshal, allowed algSet) (*entry, *skip) {
	pinned, sk := typeAlgs(&m)
	if sk != nil {
		return nil, sk
	}
	if m.ALG != "" {
		id, ok := parseAlg(string(m.ALG))
		switch {
		case !ok && unsupportedHint(string(m.ALG)) != "":
			return nil, skipDebug("alg %q: %s", m.ALG, unsupportedHint(string(m.ALG)))
		case !ok && isSymmetricOrNone(string(m.ALG)):
			return nil, skipWarn("alg %q is not an asymmetric signature algorithm", m.ALG)
		case !ok:
			return nil, skipDebug("unsupported alg %q", m.ALG)
		case !pinned.has(id):
			return nil, skipWarn("alg %q does not fit kty %q crv %q (allowed: %s)", m.ALG, m.KTY, m.CRV, pinned)
		}
		pinned = 1 << id
	}
	if pinned&allowed == 0 {
		return nil, skipDebug("key algorithms %s are not in Options.Algorithms", pinned)
	}
	pinned &= allowed

	// Never let jwkset fetch or even look at an x5u URL: it is not needed
	// (x5c, when present, is still checked against the key) and a fetch
	// would be a request to a URL chosen by the document.
	m.X5U = ""
	jwk, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{Private: false}, jwkset.JWKValidateOptions{GetX5U: nil})
	if err != nil {
		return nil, skipWarn("invalid key: %v", err)
	}
	switch k := jwk.Key().(type) {
	case *rsa.PublicKey:
		if bits := k.N.BitLen(); bits < minRSABits {
			return nil, skipWarn("RSA modulus is %d bits; at least %d required", bits, minRSABits)
		} else if bits > maxRSABits {
			return nil, skipWarn("RSA modulus is %d bits; at most %d accepted", bits, maxRSABits)
		}
		if k.N.Bit(0) == 0 {
			return nil, skipWarn("invalid RSA modulus (even)")
		}
		if k.E < 3 || k.E%2 == 0 {
			return nil, skipWarn("invalid RSA public exponent %d", k.E)
		}
	case *ecdsa.PublicKey:
		// jwkset checked the curve point.
	case ed25519.PublicKey:
		// jwkset checked the size; the module's key rule refuses
		// degenerate (small-order) and non-canonical keys.
		if err := jose.CheckPublicKey(k); err != nil {
			return nil, skipWarn("invalid key: %v", err)
		}
	default:
		return nil, skipWarn("unexpected key type %T", k)
	}
	return &entry{kid: m.KID, key: jwk.Key(), algs: pinned, jwk: jwk}, nil
}
