package introspect

import (
	"slices"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/jose"
)

// invalid builds an *mcpauth.InvalidTokenError with a fixed detail text.
func invalid(r mcpauth.Reason, detail string) error {
	return &mcpauth.InvalidTokenError{Reason: r, Detail: detail}
}

// stringMemberNames are the optional string members, in the order
// checkResponse reads them.
var stringMemberNames = []string{"sub", "client_id", "username"}

// checkResponse decides on a well-formed introspection response (RFC 7662
// §2.2) at now and builds the access token. It does not check the required
// scopes. Every refusal is an *mcpauth.InvalidTokenError.
func (c *config) checkResponse(m map[string]any, now time.Time) (*mcpauth.AccessToken, error) {
	switch active, ok := m["active"].(bool); {
	case m["active"] == nil:
		return nil, invalid(mcpauth.ReasonBadClaims, "the introspection response has no active member")
	case !ok:
		return nil, invalid(mcpauth.ReasonBadClaims, "the introspection response's active member is not a boolean")
	case !active:
		return nil, invalid(mcpauth.ReasonInactive, "the authorization server reports the token as not active")
	}
	if _, bound := m["cnf"]; bound {
		return nil, invalid(mcpauth.ReasonBadClaims, "the token is sender-constrained (cnf) and cannot be used as a bearer token")
	}
	if tt, ok := m["token_type"]; ok {
		s, isString := tt.(string)
		if !isString {
			return nil, invalid(mcpauth.ReasonBadClaims, "the introspection response's token_type is not a string")
		}
		if strings.EqualFold(s, "DPoP") {
			return nil, invalid(mcpauth.ReasonBadClaims, "the token is a DPoP token and cannot be used as a bearer token")
		}
	}

	var exp time.Time
	for _, name := range []string{"exp", "iat", "nbf"} {
		raw, ok := m[name]
		if !ok {
			continue
		}
		t, err := jose.NumericDate(raw)
		if err != nil {
			return nil, invalid(mcpauth.ReasonBadClaims, "the introspection response's "+name+" is not a NumericDate")
		}
		if name == "exp" {
			exp = t
		}
	}
	if !exp.IsZero() && !now.Before(exp) {
		return nil, invalid(mcpauth.ReasonExpired, "the token has expired")
	}

	var iss string
	if raw, ok := m["iss"]; ok {
		s, isString := raw.(string)
		if !isString {
			return nil, invalid(mcpauth.ReasonIssuer, "the introspection response's iss is not a string")
		}
		if c.issuer != "" && s != c.issuer {
			return nil, invalid(mcpauth.ReasonIssuer, "the token was not issued by the configured issuer")
		}
		iss = s
	}
	if iss == "" {
		iss = c.issuer
	}
	aud, err := jose.Audience(m["aud"])
	if err != nil {
		return nil, invalid(mcpauth.ReasonAudience, err.Error())
	}
	if !slices.ContainsFunc(aud, func(a string) bool { return slices.Contains(c.audiences, a) }) {
		return nil, invalid(mcpauth.ReasonAudience, "the token is not intended for this audience")
	}

	var str [3]string
	if bad := jose.StringMembers(m, stringMemberNames, str[:]); bad != "" {
		return nil, invalid(mcpauth.ReasonBadClaims, "the introspection response's "+bad+" is not a string")
	}
	sub, clientID := str[0], str[1]
	if clientID == "" {
		clientID = sub
	}
	scopes := []string{}
	if raw, ok := m["scope"]; ok {
		s, isString := raw.(string)
		if !isString {
			return nil, invalid(mcpauth.ReasonBadClaims, "the introspection response's scope is not a string")
		}
		if scopes, ok = parseScope(s); !ok {
			return nil, invalid(mcpauth.ReasonBadClaims, "the introspection response's scope is not a list of scope tokens separated by spaces (U+0020 only, RFC 6749 §3.3)")
		}
	}
	return &mcpauth.AccessToken{
		ClientID:  clientID,
		Scopes:    scopes,
		ExpiresAt: exp,
		Subject:   sub,
		Issuer:    iss,
		Audience:  aud,
		Claims:    m,
	}, nil
}
