package verify

import (
	"context"
	"crypto/sha256"
	"slices"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/strictjson"
)

// Provider is one trusted token issuer with its own key source and rules,
// for a verifier that accepts tokens from several (Settings.Providers). A
// token's iss, read before its signature is checked, only selects the
// provider; the signature is then checked against that provider's keys
// alone, and every claim against that provider's rules.
//
// Its JSON form is one entry of a providers file ([LoadProviders]).
type Provider struct {
	// Issuer is the provider's iss value (exact match). Required, and
	// unique among all providers and Settings.Issuers.
	Issuer string `json:"issuer"`
	// PublicKey is a PEM public key or certificate (or, with HS*
	// Algorithms, the shared secret), as Settings.PublicKey.
	PublicKey string `json:"public_key,omitempty"`
	// JWKSURI is the provider's JWK Set URL, as Settings.JWKSURI. With
	// neither PublicKey nor JWKSURI, the JWK Set URL is discovered from the
	// issuer's metadata.
	JWKSURI string `json:"jwks_uri,omitempty"`
	// Audiences accepted for this provider's tokens. Empty means
	// Settings.Audiences.
	Audiences []string `json:"audiences,omitempty"`
	// Algorithms allowed for this provider's tokens. Empty means the
	// algorithms of its key (every asymmetric algorithm for a JWK Set); the
	// top-level Settings.Algorithms are not inherited.
	Algorithms []string `json:"algorithms,omitempty"`
	// RequiredScopes every token of this provider must grant. Empty means
	// Settings.RequiredScopes.
	RequiredScopes []string `json:"required_scopes,omitempty"`
	// Leeway for exp, nbf and iat, as Settings.Leeway. Zero means
	// Settings.Leeway.
	Leeway time.Duration `json:"-"`
}

// providerSet routes tokens to the verifier of their issuer.
type providerSet struct {
	byIssuer map[string]*JWTVerifier
	all      []*JWTVerifier
}

// usesProviders reports whether s needs a verifier per provider: explicit
// Providers, or several issuers with keys to discover.
func usesProviders(s Settings, o options) bool {
	return len(s.Providers) > 0 ||
		(s.PublicKey == "" && s.JWKSURI == "" && o.keySource == nil && len(s.Issuers) > 1)
}

// providerSettings splits s into one Settings per provider: the top-level
// key source with all of Settings.Issuers (or, without a key source, one
// provider per issuer, each discovered), then each of s.Providers.
func providerSettings(s Settings) ([]Settings, error) {
	base := s
	base.Providers = nil
	base.CacheSize, base.CacheMaxAge = 0, 0 // one cache, in front of all providers
	var out []Settings
	switch {
	case len(s.Issuers) == 0 && (s.PublicKey != "" || s.JWKSURI != ""):
		return nil, configErr("{PublicKey} or {JWKSURI} is set without {Issuers}; with Providers, every key source belongs to an issuer")
	case len(s.Issuers) == 0:
	case s.PublicKey != "" || s.JWKSURI != "":
		out = append(out, base)
	default:
		for _, iss := range s.Issuers {
			p := base
			p.Issuers = []string{iss}
			out = append(out, p)
		}
	}
	for _, pr := range s.Providers {
		p := base
		p.env = "" // a Provider is Go code or a providers file, not variables
		p.Issuers = []string{pr.Issuer}
		p.PublicKey, p.JWKSURI = pr.PublicKey, pr.JWKSURI
		p.Algorithms = pr.Algorithms
		if len(pr.Audiences) > 0 {
			p.Audiences = pr.Audiences
		}
		if len(pr.RequiredScopes) > 0 {
			p.RequiredScopes = pr.RequiredScopes
		}
		if pr.Leeway != 0 {
			p.Leeway = pr.Leeway
		}
		out = append(out, p)
	}
	return out, nil
}

// newProviderVerifier builds a verifier over one verifier per provider.
func newProviderVerifier(s Settings, opts []Option, o options) (*JWTVerifier, error) {
	if o.keySource != nil {
		return nil, configErr("WithKeySource cannot be used with several providers; give each provider its own PublicKey or JWKSURI")
	}
	subs, err := providerSettings(s)
	if err != nil {
		return nil, err
	}
	v := &JWTVerifier{now: o.now, providers: &providerSet{byIssuer: map[string]*JWTVerifier{}}}
	closeAll := func() {
		for _, p := range v.providers.all {
			_ = p.Close()
		}
	}
	for _, sub := range subs {
		name := "issuer"
		if len(sub.Issuers) == 1 {
			name = "provider " + sub.Issuers[0]
		}
		p, err := NewJWTVerifier(sub, opts...)
		if err != nil {
			closeAll()
			return nil, configErrWrap(name, err)
		}
		v.providers.all = append(v.providers.all, p)
		for _, iss := range p.issuers {
			if _, dup := v.providers.byIssuer[iss]; dup {
				closeAll()
				return nil, configErr("issuer %q is configured twice; each issuer belongs to one provider", iss)
			}
			v.providers.byIssuer[iss] = p
			v.issuers = append(v.issuers, iss)
		}
		v.audiences = union(v.audiences, p.audiences)
		v.algorithms = union(v.algorithms, p.algorithms)
		v.requiredScopes = union(v.requiredScopes, p.requiredScopes)
	}
	slices.Sort(v.algorithms)
	v.maxTokenBytes = v.providers.all[0].maxTokenBytes // the same Settings.MaxTokenBytes for all
	v.closeFn = closeAll
	if v.cache, err = newCacheFor(s); err != nil {
		closeAll()
		return nil, err
	}
	return v, nil
}

// configErrWrap names the provider whose configuration failed.
func configErrWrap(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), mcpauth.ErrInvalidConfig.Error()+": ")
	return configErr("%s: %s", name, msg)
}

// union appends the members of b missing from a.
func union(a, b []string) []string {
	for _, s := range b {
		if !slices.Contains(a, s) {
			a = append(a, s)
		}
	}
	return a
}

// verifyProvider verifies token with the provider its iss names. A token
// naming no provider is refused before any key is looked up.
func (v *JWTVerifier) verifyProvider(ctx context.Context, token string) (*mcpauth.AccessToken, error) {
	switch {
	case len(token) == 0:
		return nil, invalid(mcpauth.ReasonMalformed, "the token is empty")
	case len(token) > v.maxTokenBytes:
		return nil, invalid(mcpauth.ReasonTooLarge, "the token exceeds the size limit")
	}
	var key cacheKey
	if v.cache != nil {
		key = cacheKey(sha256.Sum256([]byte(token)))
		// Only accepted tokens are cached, after their provider's
		// required scopes passed; those never change.
		if at, hit := v.cache.Get(&key, v.now()); hit {
			return sharedCopy(at), nil
		}
	}
	iss, err := unverifiedIssuer(token)
	if err != nil {
		return nil, err
	}
	p, ok := v.providers.byIssuer[iss]
	if !ok {
		return nil, invalid(mcpauth.ReasonIssuer, "the token was not issued by a configured issuer")
	}
	at, err := p.VerifyToken(ctx, token)
	if err != nil {
		return nil, err
	}
	if v.cache != nil {
		v.cache.Put(&key, at, v.now(), at.ExpiresAt.Add(p.leeway))
		return sharedCopy(at), nil
	}
	return at, nil
}

// unverifiedIssuer reads the iss claim of a compact JWS without checking
// anything but its form. The value only selects a provider, whose verifier
// then checks the whole token, iss included.
func unverifiedIssuer(token string) (string, error) {
	d1 := strings.IndexByte(token, '.')
	if d1 < 0 {
		return "", invalid(mcpauth.ReasonMalformed, "the token is not a compact JWS with three segments")
	}
	rest := token[d1+1:]
	d2 := strings.IndexByte(rest, '.')
	if d2 < 0 || strings.IndexByte(rest[d2+1:], '.') >= 0 {
		return "", invalid(mcpauth.ReasonMalformed, "the token is not a compact JWS with three segments")
	}
	payload, err := b64.DecodeString(rest[:d2])
	if err != nil {
		return "", invalid(mcpauth.ReasonMalformed, "the payload is not unpadded base64url")
	}
	claims, err := strictjson.ParseObject(string(payload))
	if err != nil {
		return "", &mcpauth.InvalidTokenError{Reason: mcpauth.ReasonMalformed, Detail: "the claims are not a valid JSON object", Err: err}
	}
	iss, ok := claims["iss"].(string)
	if !ok {
		return "", invalid(mcpauth.ReasonIssuer, "the iss claim is missing or not a string")
	}
	return iss, nil
}
