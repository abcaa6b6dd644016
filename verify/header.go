package verify

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// maxKIDBytes bounds the kid header; real key ids are short.
const maxKIDBytes = 256

// header is the part of a JOSE header the verifier acts on.
type header struct {
	alg string
	kid string
}

// registeredHeaderNames are the JWS header parameters of RFC 7515, 7516 and
// 7797. A member that equals one of them only when letter case is ignored is
// rejected: some JOSE libraries match names case-insensitively.
var registeredHeaderNames = []string{
	"alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit",
	"enc", "zip", "b64", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c",
}

// parseHeader decodes and checks the JOSE header. Key-pointing members (jku,
// jwk, x5u, x5c) are ignored: keys only come from the configuration.
func (v *JWTVerifier) parseHeader(seg string) (header, error) {
	raw, err := b64.DecodeString(seg)
	if err != nil {
		return header{}, invalid(ReasonMalformed, "the header is not unpadded base64url")
	}
	m, err := parseStrictObject(raw)
	if err != nil {
		return header{}, &InvalidTokenError{Reason: ReasonMalformed, Detail: "the header is not a valid JSON object", Err: err}
	}
	if err := checkNameCase(m, registeredHeaderNames); err != nil {
		return header{}, invalid(ReasonBadHeader, "a header member name differs from a registered name only in letter case")
	}

	var h header
	alg, ok := m["alg"].(string)
	if !ok {
		return header{}, invalid(ReasonBadHeader, "the alg header is missing or not a string")
	}
	if strings.EqualFold(alg, "none") {
		return header{}, invalid(ReasonAlgorithm, "unsigned tokens (alg none) are never accepted")
	}
	if !slices.Contains(v.algorithms, alg) {
		return header{}, invalid(ReasonAlgorithm, "the algorithm is not in the allow-list")
	}
	h.alg = alg

	if _, ok := m["enc"]; ok {
		return header{}, invalid(ReasonBadHeader, "encrypted tokens (JWE) are not supported")
	}
	if _, ok := m["crit"]; ok {
		// No JWS extension is understood, so any critical one must fail
		// (RFC 7515 §4.1.11).
		return header{}, invalid(ReasonBadHeader, "the token requires a critical header extension this verifier does not understand")
	}
	if b, ok := m["b64"]; ok && b != true {
		return header{}, invalid(ReasonBadHeader, "unencoded payloads (b64) are not accepted")
	}
	if _, ok := m["zip"]; ok {
		return header{}, invalid(ReasonBadHeader, "compressed payloads (zip) are not accepted")
	}
	if _, ok := m["cty"]; ok {
		// An access token's payload is its claims; any content type, and
		// "JWT" (a nested token) in particular, means something else.
		return header{}, invalid(ReasonBadHeader, "a content type (cty), such as a nested JWT, is not accepted")
	}
	if t, ok := m["typ"]; ok {
		typ, isString := t.(string)
		if !isString || !v.typAllowed(typ) {
			return header{}, invalid(ReasonBadHeader, "the token type (typ) is not an access token type")
		}
	} else if v.requireATJWT {
		return header{}, invalid(ReasonBadHeader, "the token type (typ) at+jwt is required")
	}
	if k, ok := m["kid"]; ok {
		kid, isString := k.(string)
		switch {
		case !isString:
			return header{}, invalid(ReasonBadHeader, "the kid header is not a string")
		case kid == "":
			return header{}, invalid(ReasonBadHeader, "the kid header is empty")
		case len(kid) > maxKIDBytes:
			return header{}, invalid(ReasonBadHeader, "the kid header is too long")
		case hasControl(kid):
			return header{}, invalid(ReasonBadHeader, "the kid header has control characters")
		}
		h.kid = kid
	}
	return h, nil
}

// typAllowed reports whether a typ header value names an access token.
// Media type names compare case-insensitively (RFC 7515 §4.1.9).
func (v *JWTVerifier) typAllowed(typ string) bool {
	if strings.EqualFold(typ, "at+jwt") || strings.EqualFold(typ, "application/at+jwt") {
		return true
	}
	return !v.requireATJWT && strings.EqualFold(typ, "JWT")
}

// checkNameCase rejects members whose name equals one of names only when
// letter case is ignored.
func checkNameCase(m map[string]any, names []string) error {
	for k := range m {
		if slices.Contains(names, k) {
			continue
		}
		for _, n := range names {
			if strings.EqualFold(k, n) {
				return errCaseVariant
			}
		}
	}
	return nil
}

// hasControl reports whether s has C0/C1 control characters or DEL.
func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || r == utf8.RuneError {
			return true
		}
	}
	return false
}
