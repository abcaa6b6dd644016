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

// checkBinding decides on a response's key binding (cnf, token_type).
// Without Config.DPoPBound every bound token is refused. With it, a cnf
// must be an object whose only member is jkt, a base64url SHA-256
// thumbprint (RFC 9449 §6.2), and a token_type of DPoP needs that cnf:
// the middleware then accepts the token only with a proof by that key.
// Other confirmation methods (x5t#S256 of mutual TLS, jwk, ...) are
// refused, as nothing here could check them.
func (c *config) checkBinding(m map[string]any) error {
	raw, bound := m["cnf"]
	dpopType := false
	if tt, ok := m["token_type"]; ok {
		s, isString := tt.(string)
		if !isString {
			return invalid(mcpauth.ReasonBadClaims, "the introspection response's token_type is not a string")
		}
		dpopType = strings.EqualFold(s, "DPoP")
	}
	if !c.dpopBound {
		switch {
		case bound:
			return invalid(mcpauth.ReasonBadClaims, "the token is sender-constrained (cnf) and cannot be used as a bearer token")
		case dpopType:
			return invalid(mcpauth.ReasonBadClaims, "the token is a DPoP token and cannot be used as a bearer token")
		}
		return nil
	}
	if !bound {
		if dpopType {
			return invalid(mcpauth.ReasonBadClaims, "the introspection response's token_type is DPoP but it has no cnf.jkt to check the proof against")
		}
		return nil
	}
	cnf, ok := raw.(map[string]any)
	if !ok {
		return invalid(mcpauth.ReasonBadClaims, "the introspection response's cnf is not an object")
	}
	jkt, ok := cnf["jkt"].(string)
	if !ok || len(cnf) != 1 {
		return invalid(mcpauth.ReasonBadClaims, "the introspection response's cnf is not a DPoP binding (exactly one member, jkt); other confirmation methods are not supported")
	}
	if len(jkt) != 43 || !jose.IsBase64URL(jkt) {
		return invalid(mcpauth.ReasonBadClaims, "the introspection response's cnf.jkt is not a base64url SHA-256 thumbprint")
	}
	return nil
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
	if err := c.checkBinding(m); err != nil {
		return nil, err
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
