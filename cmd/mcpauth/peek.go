package main

// peek.go decides what "mcpauth verify -v" shows about a token before
// verifying it: its iss, aud and exp, read without verification, next to
// the configured issuers and audiences, so that a mismatch is plain. The
// token itself (and every other claim) is never shown.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth/internal/jose"
	"github.com/mcpauth/mcpauth/verify"
)

// Bounds on what peek prints from an unverified token.
const (
	peekMaxValue  = 200 // runes of one string value
	peekMaxValues = 10  // members of the aud array
)

// peekToken returns the lines verify -v prints: the token's iss, aud and
// exp (unverified) and the configured issuers and audiences.
func peekToken(token string, s verify.Settings, now time.Time) string {
	var b strings.Builder
	b.WriteString("token (unverified): ")
	claims, err := unverifiedClaims(token)
	if err != nil {
		fmt.Fprintf(&b, "%s\n", err)
	} else {
		iss := "(missing)"
		switch v := claims["iss"].(type) {
		case nil:
		case string:
			iss = peekQuote(v)
		default:
			iss = "(not a string)"
		}
		aud := "(missing)"
		if claims["aud"] != nil {
			if list, err := jose.Audience(claims["aud"]); err != nil {
				aud = "(" + err.Error() + ")"
			} else {
				aud = peekList(list)
			}
		}
		exp := "(missing)"
		if claims["exp"] != nil {
			if t, err := jose.NumericDate(claims["exp"]); err != nil {
				exp = "(" + err.Error() + ")"
			} else if d := t.Sub(now).Round(time.Second); d >= 0 {
				exp = fmt.Sprintf("%s (in %s)", t.Format(time.RFC3339), d)
			} else {
				exp = fmt.Sprintf("%s (expired %s ago)", t.Format(time.RFC3339), -d)
			}
		}
		fmt.Fprintf(&b, "iss %s, aud %s, exp %s\n", iss, aud, exp)
	}
	fmt.Fprintf(&b, "configured:         issuers %s, audiences %s, leeway %s\n",
		peekList(s.Issuers), peekList(s.Audiences), leewayOf(s))
	return b.String()
}

// leewayOf returns the leeway the verifier applies.
func leewayOf(s verify.Settings) string {
	switch {
	case s.Leeway == 0:
		return verify.DefaultLeeway.String()
	case s.Leeway < 0:
		return "none"
	}
	return s.Leeway.String()
}

// unverifiedClaims decodes the payload of a JWS compact serialisation
// without verifying anything.
func unverifiedClaims(token string) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("not a JWT (%d dot-separated parts, want 3): an opaque token, only introspection can tell", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("the payload is not base64url")
	}
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	var claims map[string]any
	if err := d.Decode(&claims); err != nil {
		return nil, fmt.Errorf("the payload is not a JSON object")
	}
	return claims, nil
}

// peekQuote quotes a value from the token, shortened.
func peekQuote(s string) string {
	if r := []rune(s); len(r) > peekMaxValue {
		s = string(r[:peekMaxValue]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// peekList formats a list of values.
func peekList(list []string) string {
	if len(list) == 0 {
		return "(none)"
	}
	out := make([]string, 0, min(len(list), peekMaxValues)+1)
	for i, s := range list {
		if i == peekMaxValues {
			out = append(out, fmt.Sprintf("… %d more", len(list)-i))
			break
		}
		out = append(out, peekQuote(s))
	}
	return "[" + strings.Join(out, ", ") + "]"
}
