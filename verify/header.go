package verify

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/jose"
	"github.com/mcpauth/mcpauth/internal/strictjson"
)

// maxKIDBytes bounds the kid header; real key ids are short.
const maxKIDBytes = 256

// header is the part of a JOSE header the verifier acts on.
type header struct {
	alg string
	kid string
}

// headerValue is a header member as the checks need it: its kind, and its
// text when it is a string.
type headerValue struct {
	present bool
	kind    byte // the first byte of the value: '"' string, 't' true, ...
	str     string
}

// headerMembers are the members of a JOSE header the checks look at.
type headerMembers struct {
	alg, kid, typ, b64  headerValue
	enc, crit, zip, cty bool
	caseVariant         bool
}

// scanHeader reads a JOSE header with the same strictness as
// strictjson.ParseObject (the nested values of members such as jwk are fully
// validated) but without building a map.
func scanHeader(s string) (headerMembers, error) {
	var m headerMembers
	err := strictjson.EachMember(s, func(name string, v strictjson.Value) {
		hv := headerValue{present: true, kind: v.Kind, str: v.Text}
		switch name {
		case "alg":
			m.alg = hv
		case "kid":
			m.kid = hv
		case "typ":
			m.typ = hv
		case "b64":
			m.b64 = hv
		case "enc":
			m.enc = true
		case "crit":
			m.crit = true
		case "zip":
			m.zip = true
		case "cty":
			m.cty = true
		default:
			if strictjson.IsCaseVariant(name, jose.RegisteredHeaderNames) {
				m.caseVariant = true
			}
		}
	})
	return m, err
}

// parseHeader checks the decoded JOSE header. Key-pointing members (jku,
// jwk, x5u, x5c) are ignored: keys only come from the configuration.
func (v *JWTVerifier) parseHeader(s string) (header, error) {
	m, err := scanHeader(s)
	if err != nil {
		return header{}, &mcpauth.InvalidTokenError{Reason: mcpauth.ReasonMalformed, Detail: "the header is not a valid JSON object", Err: err}
	}
	if m.caseVariant {
		return header{}, invalid(mcpauth.ReasonBadHeader, "a header member name differs from a registered name only in letter case")
	}

	var h header
	if m.alg.kind != '"' {
		return header{}, invalid(mcpauth.ReasonBadHeader, "the alg header is missing or not a string")
	}
	alg := m.alg.str
	if strings.EqualFold(alg, "none") {
		return header{}, invalid(mcpauth.ReasonAlgorithm, "unsigned tokens (alg none) are never accepted")
	}
	i := slices.Index(v.algorithms, alg)
	if i < 0 {
		return header{}, invalid(mcpauth.ReasonAlgorithm, "the algorithm is not in the allow-list")
	}
	h.alg = v.algorithms[i] // the configured string: the header's memory is not retained

	if m.enc {
		return header{}, invalid(mcpauth.ReasonBadHeader, "encrypted tokens (JWE) are not supported")
	}
	if m.crit {
		// No JWS extension is understood, so any critical one must fail
		// (RFC 7515 §4.1.11).
		return header{}, invalid(mcpauth.ReasonBadHeader, "the token requires a critical header extension this verifier does not understand")
	}
	if m.b64.present && m.b64.kind != 't' {
		return header{}, invalid(mcpauth.ReasonBadHeader, "unencoded payloads (b64) are not accepted")
	}
	if m.zip {
		return header{}, invalid(mcpauth.ReasonBadHeader, "compressed payloads (zip) are not accepted")
	}
	if m.cty {
		// An access token's payload is its claims; any content type, and
		// "JWT" (a nested token) in particular, means something else.
		return header{}, invalid(mcpauth.ReasonBadHeader, "a content type (cty), such as a nested JWT, is not accepted")
	}
	if m.typ.present {
		// A typ that is not a string has an empty str, which is not allowed.
		if !v.typAllowed(m.typ.str) {
			return header{}, invalid(mcpauth.ReasonBadHeader, "the token type (typ) is not an access token type")
		}
	} else if v.requireATJWT {
		return header{}, invalid(mcpauth.ReasonBadHeader, "the token type (typ) at+jwt is required")
	}
	if m.kid.present {
		kid := m.kid.str
		switch {
		case m.kid.kind != '"':
			return header{}, invalid(mcpauth.ReasonBadHeader, "the kid header is not a string")
		case kid == "":
			return header{}, invalid(mcpauth.ReasonBadHeader, "the kid header is empty")
		case len(kid) > maxKIDBytes:
			return header{}, invalid(mcpauth.ReasonBadHeader, "the kid header is too long")
		case hasControl(kid):
			return header{}, invalid(mcpauth.ReasonBadHeader, "the kid header has control characters")
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

// hasControl reports whether s has C0/C1 control characters or DEL.
func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || r == utf8.RuneError {
			return true
		}
	}
	return false
}
