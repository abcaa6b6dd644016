package introspect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/issuermeta"
	"github.com/mcpauth/mcpauth/internal/urlrule"
)

// Well-known metadata paths tried, in order, to discover the endpoint.
const (
	// OpenIDConfigurationPath is OpenID Connect Discovery 1.0 §4, appended
	// to the issuer.
	OpenIDConfigurationPath = issuermeta.OpenIDConfigurationPath
	// OAuthServerMetadataPath is RFC 8414 §3, inserted between the issuer's
	// host and path.
	OAuthServerMetadataPath = issuermeta.OAuthServerMetadataPath
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

// discover reads introspection_endpoint from the issuer's metadata. The
// metadata must name exactly the configured issuer (RFC 8414 §3.3, OIDC
// Discovery §4.3) and the endpoint must satisfy the URL rules of a
// configured one.
func (v *Verifier) discover(ctx context.Context) (string, error) {
	var lastErr error
	for _, mu := range issuermeta.URLs(v.cfg.issuer) {
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
		ep, err := issuermeta.Endpoint(body, v.cfg.issuer, "introspection_endpoint")
		if err != nil {
			return "", unavailable("discovery: %v", err)
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
