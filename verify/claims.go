package verify

import (
	"slices"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/jose"
	"github.com/mcpauth/mcpauth/internal/scopetoken"
	"github.com/mcpauth/mcpauth/internal/strictjson"
)

// registeredClaimNames are the claims the verifier reads. A claim whose name
// equals one of them only when letter case is ignored is rejected.
var registeredClaimNames = []string{
	"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope", "scp", "client_id", "azp",
}

// stringClaimNames are the optional string claims, in the order
// checkClaims reads them.
var stringClaimNames = []string{"sub", "client_id", "azp", "jti"}

// checkClaims validates the claims of a token whose signature verified and
// builds its mcpauth.AccessToken. It does not check required scopes.
func (v *JWTVerifier) checkClaims(c map[string]any) (*mcpauth.AccessToken, error) {
	if err := strictjson.CheckNameCase(c, registeredClaimNames); err != nil {
		return nil, invalid(mcpauth.ReasonBadClaims, "a claim name differs from a registered name only in letter case")
	}
	now := v.now()

	rawExp, ok := c["exp"]
	if !ok {
		return nil, invalid(mcpauth.ReasonBadClaims, "the exp claim is required")
	}
	exp, err := jose.NumericDate(rawExp)
	if err != nil {
		return nil, invalid(mcpauth.ReasonBadClaims, "the exp claim is not a valid NumericDate")
	}
	if !now.Before(exp.Add(v.leeway)) {
		return nil, invalid(mcpauth.ReasonExpired, "the token has expired")
	}
	if raw, ok := c["nbf"]; ok {
		nbf, err := jose.NumericDate(raw)
		if err != nil {
			return nil, invalid(mcpauth.ReasonBadClaims, "the nbf claim is not a valid NumericDate")
		}
		if now.Add(v.leeway).Before(nbf) {
			return nil, invalid(mcpauth.ReasonNotYetValid, "the token is not valid yet")
		}
	}
	if raw, ok := c["iat"]; ok {
		iat, err := jose.NumericDate(raw)
		if err != nil {
			return nil, invalid(mcpauth.ReasonBadClaims, "the iat claim is not a valid NumericDate")
		}
		if now.Add(v.leeway).Before(iat) {
			return nil, invalid(mcpauth.ReasonIssuedInFuture, "the token was issued in the future")
		}
	}

	iss, ok := c["iss"].(string)
	if !ok {
		return nil, invalid(mcpauth.ReasonIssuer, "the iss claim is missing or not a string")
	}
	if !slices.Contains(v.issuers, iss) {
		return nil, invalid(mcpauth.ReasonIssuer, "the token was not issued by a configured issuer")
	}
	aud, err := audience(c["aud"])
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(aud, func(a string) bool { return slices.Contains(v.audiences, a) }) {
		return nil, invalid(mcpauth.ReasonAudience, "the token is not intended for this audience")
	}

	var str [4]string
	if bad := jose.StringMembers(c, stringClaimNames, str[:]); bad != "" {
		return nil, invalid(mcpauth.ReasonBadClaims, "the "+bad+" claim is not a string")
	}
	sub, clientID, azp := str[0], str[1], str[2]
	if clientID == "" {
		clientID = azp
	}
	if clientID == "" {
		clientID = sub
	}
	scopes, err := scopesOf(c)
	if err != nil {
		return nil, err
	}
	return &mcpauth.AccessToken{
		ClientID:  clientID,
		Scopes:    scopes,
		ExpiresAt: exp,
		Subject:   sub,
		Issuer:    iss,
		Audience:  aud,
		Claims:    c,
	}, nil
}

// audience reads aud with the shared rule.
func audience(v any) ([]string, error) {
	aud, err := jose.Audience(v)
	if err != nil {
		return nil, invalid(mcpauth.ReasonAudience, err.Error())
	}
	return aud, nil
}

// Preallocated scope-claim errors.
var (
	errScopeSyntax = invalid(mcpauth.ReasonBadClaims, "the scope claim has a character outside the RFC 6749 scope-token set (only U+0020 separates scopes)")
	errScpSyntax   = invalid(mcpauth.ReasonBadClaims, "the scp claim has a character outside the RFC 6749 scope-token set (only U+0020 separates scopes)")
	errScpMember   = invalid(mcpauth.ReasonBadClaims, "the scp claim has a member that is not one RFC 6749 scope token")
)

// scopesOf reads scope (a space-separated string) or, when absent, scp (an
// array of strings or a space-separated string). Only U+0020 separates
// scopes (RFC 6749 §3.3): a string with any other character outside the
// scope-token set (tab, no-break space, line separator, ...) is refused
// whole rather than split into scopes the issuer never granted, and so is an
// scp member that is not exactly one scope token.
func scopesOf(c map[string]any) ([]string, error) {
	if raw, ok := c["scope"]; ok {
		s, isString := raw.(string)
		if !isString {
			return nil, invalid(mcpauth.ReasonBadClaims, "the scope claim is not a string")
		}
		out, ok := scopetoken.Split(s)
		if !ok {
			return nil, errScopeSyntax
		}
		return out, nil
	}
	switch s := c["scp"].(type) {
	case nil:
		if _, present := c["scp"]; present {
			return nil, invalid(mcpauth.ReasonBadClaims, "the scp claim is null")
		}
		return []string{}, nil
	case string:
		out, ok := scopetoken.Split(s)
		if !ok {
			return nil, errScpSyntax
		}
		return out, nil
	case []any:
		out := make([]string, 0, len(s))
		for _, m := range s {
			str, ok := m.(string)
			if !ok {
				return nil, invalid(mcpauth.ReasonBadClaims, "the scp claim has a member that is not a string")
			}
			if !scopetoken.Valid(str) {
				return nil, errScpMember
			}
			out = append(out, str)
		}
		return out, nil
	default:
		return nil, invalid(mcpauth.ReasonBadClaims, "the scp claim is not a string or an array of strings")
	}
}
