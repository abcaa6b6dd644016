package dpop

import (
	"github.com/mcpauth/mcpauth/internal/jose"
	"github.com/mcpauth/mcpauth/internal/strictjson"
)

// claimValue is a proof claim as the checks need it: whether it is
// present, its kind, and its text when it is a string or a number.
type claimValue struct {
	present bool
	kind    byte   // '"' string, '0' number, 0 anything else
	text    string // the string (unescaped) or the number's text
}

// proofClaims are the registered claims of a proof (RFC 9449 §4.2).
type proofClaims struct {
	jti, htm, htu, iat, ath, nonce claimValue
	caseVariant                    bool // a name equal to a registered one but for letter case
}

// scanClaims reads a proof's claims with the strict JSON rule of
// strictjson.ParseObject (valid UTF-8, paired surrogates, no duplicate
// member names at any depth, nesting bounded, no trailing data; the values
// of unregistered claims are fully validated) without building a map.
// Strings without escapes share s's memory.
func scanClaims(s string) (proofClaims, error) {
	var c proofClaims
	err := strictjson.EachMember(s, func(name string, v strictjson.Value) {
		cv := claimValue{present: true}
		if v.Kind == '"' || v.Kind == '0' {
			cv.kind, cv.text = v.Kind, v.Text
		}
		switch name {
		case "jti":
			c.jti = cv
		case "htm":
			c.htm = cv
		case "htu":
			c.htu = cv
		case "iat":
			c.iat = cv
		case "ath":
			c.ath = cv
		case "nonce":
			c.nonce = cv
		default:
			if strictjson.IsCaseVariant(name, registeredClaimNames) {
				c.caseVariant = true
			}
		}
	})
	return c, err
}

// readClaims checks the types of a proof's claims and reads them into p.
func readClaims(c *proofClaims, p *proof) error {
	if c.caseVariant {
		return proofError(ReasonClaims, "a DPoP proof claim name differs from a registered name only in letter case")
	}
	if c.jti.kind != '"' || c.jti.text == "" || len(c.jti.text) > maxJTIBytes {
		return proofError(ReasonClaims, "the DPoP proof jti claim is missing, not a string, empty or too long")
	}
	p.jti = c.jti.text
	if c.htm.kind != '"' || c.htm.text == "" {
		return proofError(ReasonClaims, "the DPoP proof htm claim is missing, not a string or empty")
	}
	p.htm = c.htm.text
	if c.htu.kind != '"' || c.htu.text == "" || len(c.htu.text) > maxHTUBytes {
		return proofError(ReasonClaims, "the DPoP proof htu claim is missing, not a string, empty or too long")
	}
	p.htu = c.htu.text
	if !c.iat.present {
		return proofError(ReasonClaims, "the DPoP proof iat claim is missing")
	}
	if c.iat.kind != '0' {
		return proofError(ReasonClaims, "the DPoP proof iat claim is not a valid NumericDate")
	}
	iat, err := jose.NumericDateText(c.iat.text)
	if err != nil {
		return proofError(ReasonClaims, "the DPoP proof iat claim is not a valid NumericDate")
	}
	p.iat = iat
	if c.ath.present {
		if c.ath.kind != '"' {
			return proofError(ReasonTokenHash, "the DPoP proof ath claim is not a string")
		}
		p.ath, p.hasATH = c.ath.text, true
	}
	if c.nonce.present {
		if c.nonce.kind != '"' || c.nonce.text == "" {
			return proofError(ReasonNonce, "the DPoP proof nonce claim is not a non-empty string")
		}
		p.nonce, p.hasNonce = c.nonce.text, true
	}
	return nil
}
