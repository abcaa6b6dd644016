package jwks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/mcpauth/mcpauth/internal/urlrule"
)

// Well-known metadata paths tried, in order, by [NewFromIssuer].
const (
	// OpenIDConfigurationPath is OpenID Connect Discovery 1.0 §4, appended
	// to the issuer.
	OpenIDConfigurationPath = "/.well-known/openid-configuration"
	// OAuthServerMetadataPath is RFC 8414 §3, inserted between the issuer's
	// host and path.
	OAuthServerMetadataPath = "/.well-known/oauth-authorization-server"
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

// metadataURLs returns the discovery URLs for issuer, in the order tried.
func metadataURLs(issuer string) []string {
	u, _ := url.Parse(issuer) // validated by checkURL
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	return []string{
		u.Scheme + "://" + u.Host + path + OpenIDConfigurationPath,
		u.Scheme + "://" + u.Host + OAuthServerMetadataPath + path,
	}
}

// discover resolves the JWK Set URL from the issuer's metadata, once. It is
// called from fetch, which runs one at a time.
func (s *Set) discover(ctx context.Context) error {
	if s.cfg.issuer == "" || s.cfg.uri != "" {
		return nil
	}
	var lastErr error
	for _, mu := range metadataURLs(s.cfg.issuer) {
		body, err := s.download(ctx, mu, "application/json")
		var se statusError
		if errors.As(err, &se) && int(se) == http.StatusNotFound {
			lastErr = err
			continue
		}
		if err != nil {
			return fmt.Errorf("discovery: %w", err)
		}
		var md struct {
			Issuer  *string `json:"issuer"`
			JWKSURI *string `json:"jwks_uri"`
		}
		if err := json.Unmarshal(body, &md); err != nil {
			return fmt.Errorf("%w: discovery: the issuer metadata is not a JSON object: %v", ErrFetch, err)
		}
		switch {
		case md.Issuer == nil:
			return fmt.Errorf("%w: discovery: the issuer metadata has no issuer", ErrFetch)
		case *md.Issuer != s.cfg.issuer:
			return fmt.Errorf("%w: discovery: the metadata names another issuer than the configured one", ErrFetch)
		case md.JWKSURI == nil || *md.JWKSURI == "":
			return fmt.Errorf("%w: discovery: the issuer metadata has no jwks_uri", ErrFetch)
		}
		u, err := checkURL(*md.JWKSURI, s.cfg.insecure)
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
