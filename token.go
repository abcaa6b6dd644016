package mcpauth

import (
	"context"
	"encoding/json"
	"slices"
	"time"
)

// TokenVerifier verifies a bearer token and describes its holder.
//
// VerifyToken returns a non-nil [AccessToken] and a nil error only when the
// token is acceptable. Errors match [ErrInvalidToken], [ErrInsufficientScope]
// or [ErrKeySourceUnavailable] with errors.Is. Implementations must be safe for
// concurrent use.
type TokenVerifier interface {
	VerifyToken(ctx context.Context, token string) (*AccessToken, error)
}

// ScopeRequirer is implemented by verifiers that enforce a fixed set of
// required scopes. The middleware uses it to advertise those scopes in its
// WWW-Authenticate challenges.
type ScopeRequirer interface {
	RequiredScopes() []string
}

// DPoPBindingDeferrer is implemented by verifiers that can accept
// DPoP-bound tokens (cnf.jkt, RFC 9449) whose binding they cannot check
// themselves: an introspection verifier learns a token's cnf.jkt from the
// authorization server, but the proof of possession is in the request.
// When DefersDPoPBinding reports true, the middleware must check the proof
// (middleware.WithDPoP in mode allow or require); it refuses to be built
// without that, so a bound token is never accepted as a bearer token.
type DPoPBindingDeferrer interface {
	DefersDPoPBinding() bool
}

// AccessToken describes a verified bearer token.
//
// Its JSON form uses snake_case names, gives expires_at in Unix seconds and
// never includes the raw token.
type AccessToken struct {
	// Token is the raw bearer token. It is never serialised.
	Token string `json:"-"`
	// ClientID is the OAuth client the token was issued to: the client_id
	// claim, else azp, else sub.
	ClientID string `json:"client_id"`
	// Scopes granted to the token, from scope (space-separated) else scp.
	Scopes []string `json:"scopes"`
	// ExpiresAt is when the token expires; the zero time means it does not.
	ExpiresAt time.Time `json:"-"`
	// Subject is the sub claim.
	Subject string `json:"subject,omitempty"`
	// Issuer is the iss claim.
	Issuer string `json:"issuer,omitempty"`
	// Audience is the aud claim as a list.
	Audience []string `json:"audience,omitempty"`
	// Claims holds every claim of the token. Numbers are json.Number.
	Claims map[string]any `json:"claims,omitempty"`
	// DPoPThumbprint is set when the request proved possession of the key
	// the token is bound to (DPoP, RFC 9449): the RFC 7638 thumbprint of
	// that key, equal to the token's cnf.jkt. Empty for a bearer token.
	DPoPThumbprint string `json:"dpop_jkt,omitempty"`
}

// SenderConstrained reports whether the request proved possession of the
// key the token is bound to, so that a copy of the token alone would not
// have been accepted.
func (t *AccessToken) SenderConstrained() bool { return t.DPoPThumbprint != "" }

// accessTokenJSON is the wire form of AccessToken.
type accessTokenJSON struct {
	ClientID  string         `json:"client_id"`
	Scopes    []string       `json:"scopes"`
	ExpiresAt *int64         `json:"expires_at,omitempty"`
	Subject   string         `json:"subject,omitempty"`
	Issuer    string         `json:"issuer,omitempty"`
	Audience  []string       `json:"audience,omitempty"`
	Claims    map[string]any `json:"claims,omitempty"`
	DPoPJKT   string         `json:"dpop_jkt,omitempty"`
}

// MarshalJSON encodes the token with expires_at in Unix seconds and without
// the raw token.
func (t AccessToken) MarshalJSON() ([]byte, error) {
	w := accessTokenJSON{
		ClientID: t.ClientID,
		Scopes:   t.Scopes,
		Subject:  t.Subject,
		Issuer:   t.Issuer,
		Audience: t.Audience,
		Claims:   t.Claims,
		DPoPJKT:  t.DPoPThumbprint,
	}
	if w.Scopes == nil {
		w.Scopes = []string{}
	}
	if !t.ExpiresAt.IsZero() {
		s := t.ExpiresAt.Unix()
		w.ExpiresAt = &s
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes the form written by MarshalJSON.
func (t *AccessToken) UnmarshalJSON(b []byte) error {
	var w accessTokenJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*t = AccessToken{
		ClientID: w.ClientID,
		Scopes:   w.Scopes,
		Subject:  w.Subject,
		Issuer:   w.Issuer,
		Audience: w.Audience,
		Claims:   w.Claims,

		DPoPThumbprint: w.DPoPJKT,
	}
	if w.ExpiresAt != nil {
		t.ExpiresAt = time.Unix(*w.ExpiresAt, 0)
	}
	return nil
}

// HasScopes reports whether the token grants every one of scopes.
func (t *AccessToken) HasScopes(scopes ...string) bool {
	return len(t.MissingScopes(scopes)) == 0
}

// MissingScopes returns the members of required the token does not grant, in
// the order given, or nil when it grants them all.
func (t *AccessToken) MissingScopes(required []string) []string {
	var missing []string
	for _, s := range required {
		if !slices.Contains(t.Scopes, s) {
			missing = append(missing, s)
		}
	}
	return missing
}

// CheckScopes returns an [*InsufficientScopeError] when the token lacks any
// of required, and nil otherwise.
func (t *AccessToken) CheckScopes(required []string) error {
	if missing := t.MissingScopes(required); missing != nil {
		return &InsufficientScopeError{Required: slices.Clone(required), Missing: missing, ClientID: t.ClientID, Granted: slices.Clone(t.Scopes)}
	}
	return nil
}
