package introspect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/strictjson"
	"github.com/mcpauth/mcpauth/internal/urlrule"
)

// Well-known metadata paths tried, in order, to discover the endpoint.
const (
	// OpenIDConfigurationPath is OpenID Connect Discovery 1.0 §4, appended
	// to the issuer.
	OpenIDConfigurationPath = "/.well-known/openid-configuration"
	// OAuthServerMetadataPath is RFC 8414 §3, inserted between the issuer's
	// host and path.
	OAuthServerMetadataPath = "/.well-known/oauth-authorization-server"
)

// discovery holds the endpoint, configured or discovered once from the
// issuer's metadata.
type discovery struct {
	mu       sync.Mutex
	endpoint string        // "" until known
	running  chan struct{} // closed when the attempt in progress ends
	failedAt time.Time     // when the last attempt failed
	err      error         // why it failed
}

// endpoint returns the introspection endpoint, discovering it first if
// needed. Concurrent callers share one attempt; after a failure, callers get
// its error without a fetch until DiscoveryRetryInterval has passed.
func (v *Verifier) endpoint(ctx context.Context) (string, error) {
	d := &v.disc
	d.mu.Lock()
	if d.endpoint != "" {
		e := d.endpoint
		d.mu.Unlock()
		return e, nil
	}
	if d.running == nil {
		if d.err != nil && v.now().Sub(d.failedAt) < DiscoveryRetryInterval {
			err := d.err
			d.mu.Unlock()
			return "", err
		}
		d.running = make(chan struct{})
		go v.runDiscovery(context.WithoutCancel(ctx), d.running)
	}
	ch := d.running
	d.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
		return "", unavailable("the request ended before discovery: %v", ctx.Err())
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.endpoint != "" {
		return d.endpoint, nil
	}
	return "", d.err
}

// runDiscovery makes one discovery attempt and records its outcome.
func (v *Verifier) runDiscovery(ctx context.Context, done chan struct{}) {
	ctx, cancel := context.WithTimeout(ctx, v.cfg.timeout)
	defer cancel()
	endpoint, err := v.discover(ctx)
	d := &v.disc
	d.mu.Lock()
	if err != nil {
		d.err, d.failedAt = err, v.now()
		v.logger.WarnContext(ctx, "introspect: discovery of the introspection endpoint failed", "issuer", v.cfg.issuer, "error", err)
	} else {
		d.endpoint, d.err = endpoint, nil
		v.logger.InfoContext(ctx, "introspect: discovered the introspection endpoint", "issuer", v.cfg.issuer, "endpoint", endpoint)
	}
	d.running = nil
	d.mu.Unlock()
	close(done)
}

// metadataURLs returns the discovery URLs of an issuer already validated
// by checkURL, in the order tried.
func metadataURLs(issuer string) []string {
	u, _ := url.Parse(issuer)
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	origin := u.Scheme + "://" + u.Host
	return []string{origin + path + OpenIDConfigurationPath, origin + OAuthServerMetadataPath + path}
}

// discover reads introspection_endpoint from the issuer's metadata. The
// metadata must name exactly the configured issuer (RFC 8414 §3.3, OIDC
// Discovery §4.3) and the endpoint must satisfy the URL rules of a
// configured one.
func (v *Verifier) discover(ctx context.Context) (string, error) {
	var lastErr error
	for _, mu := range metadataURLs(v.cfg.issuer) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, mu, nil)
		if err != nil {
			return "", unavailable("discovery: building the request: %v", err)
		}
		body, err := v.download(ctx, req)
		var se statusError
		if errors.As(err, &se) && se == http.StatusNotFound {
			lastErr = err
			continue
		}
		if err != nil {
			return "", fmt.Errorf("discovery: %w", err)
		}
		m, err := strictjson.ParseObject(string(body))
		if err != nil {
			return "", unavailable("discovery: the issuer metadata is malformed: %v", err)
		}
		iss, _ := m["issuer"].(string)
		ep, _ := m["introspection_endpoint"].(string)
		switch {
		case iss == "":
			return "", unavailable("discovery: the issuer metadata has no issuer")
		case iss != v.cfg.issuer:
			return "", unavailable("discovery: the metadata names another issuer than the configured one")
		case ep == "":
			return "", unavailable("discovery: the issuer metadata has no introspection_endpoint")
		}
		u, err := checkURL("introspection_endpoint", ep)
		if err != nil {
			return "", fmt.Errorf("%w: discovery: %w", mcpauth.ErrKeySourceUnavailable, err)
		}
		if urlrule.Downgrade(v.cfg.issuer, u) {
			return "", unavailable("discovery: the https issuer's metadata names a plain-http introspection_endpoint; refused (a discovery downgrade)")
		}
		return u.String(), nil
	}
	return "", fmt.Errorf("discovery: no metadata document: %w", lastErr)
}
