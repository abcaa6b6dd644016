package jwks

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/mcpauth/mcpauth/internal/issuermeta"
	"github.com/mcpauth/mcpauth/internal/urlrule"
)

// Well-known metadata paths tried, in order, by [NewFromIssuer].
const (
	// OpenIDConfigurationPath is OpenID Connect Discovery 1.0 §4, appended
	// to the issuer.
	OpenIDConfigurationPath = issuermeta.OpenIDConfigurationPath
	// OAuthServerMetadataPath is RFC 8414 §3, inserted between the issuer's
	// host and path.
	OAuthServerMetadataPath = issuermeta.OAuthServerMetadataPath
)

// NewFromIssuer is [New] for a JWK Set whose URL is discovered from the
// issuer's metadata: OpenID Connect Discovery
// (issuer + "/.well-known/openid-configuration") and, when that answers 404,
// RFC 8414 (host + "/.well-known/oauth-authorization-server" + path).
//
// The metadata is fetched with the same limits as the key set (timeout, body
// cap, no redirects, https only except loopback) and must name exactly this
// issuer (RFC 8414 §3.3, OIDC Discovery §4.3); its jwks_uri must satisfy the
// same URL rules as a configured one. Discovery happens in the background as
// part of the first fetch and is retried like a failed fetch, so
// NewFromIssuer does not fail when the issuer is unreachable; once a jwks_uri
// is found it is kept for the life of the Set.
func NewFromIssuer(ctx context.Context, issuer string, opts Options) (*Set, error) {
	return newIssuerSet(ctx, issuer, opts, hooks{})
}

func newIssuerSet(ctx context.Context, issuer string, opts Options, h hooks) (*Set, error) {
	u, err := checkURL(issuer, opts.InsecureAllowHTTPJWKS)
	if err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	if u.RawQuery != "" {
		return nil, invalidf("issuer %q must not have a query (RFC 8414 §2)", u.Redacted())
	}
	if u.User != nil {
		return nil, invalidf("issuer %q must not have user info", u.Redacted())
	}
	// newSet validates the options with the issuer as a stand-in URL and
	// starts the first fetch, which discovers the real one.
	return newSetFor(ctx, issuer, opts, h, true)
}

// discover resolves the JWK Set URL from the issuer's metadata, once. It is
// called from fetch, which runs one at a time.
func (s *Set) discover(ctx context.Context) error {
	if s.cfg.issuer == "" || s.cfg.uri != "" {
		return nil
	}
	var lastErr error
	for _, mu := range issuermeta.URLs(s.cfg.issuer) {
		body, err := s.download(ctx, mu, "application/json")
		var se statusError
		if errors.As(err, &se) && int(se) == http.StatusNotFound {
			lastErr = err
			continue
		}
		if err != nil {
			return fmt.Errorf("discovery: %w", err)
		}
		jwksURI, err := issuermeta.Endpoint(body, s.cfg.issuer, "jwks_uri")
		if err != nil {
			return fmt.Errorf("%w: discovery: %w", ErrFetch, err)
		}
		u, err := checkURL(jwksURI, s.cfg.insecure)
		if err != nil {
			return fmt.Errorf("%w: discovery: jwks_uri: %w", ErrFetch, err)
		}
		if urlrule.Downgrade(s.cfg.issuer, u) {
			// The key set is only as trustworthy as the weakest link: an
			// https issuer's keys are never fetched over plain http, on
			// loopback or with the insecure switch either.
			return fmt.Errorf("%w: discovery: the https issuer's metadata names a plain-http jwks_uri %q; refused (a discovery downgrade)", ErrFetch, u.Redacted())
		}
		s.cfg.uri, s.cfg.redacted = u.String(), u.Redacted()
		s.cfg.logger.InfoContext(ctx, "jwks: discovered the JWK Set URL", "issuer", s.cfg.issuer, "jwks_uri", s.cfg.redacted)
		return nil
	}
	return fmt.Errorf("discovery: no metadata document: %w", lastErr)
}
