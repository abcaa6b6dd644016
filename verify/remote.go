package verify

import (
	"context"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/jwks"
)

// newRemoteKeySource starts a JWK Set key source for s.JWKSURI, or one
// discovered from the single issuer when JWKSURI is empty. Its background
// refresh stops when ctx is cancelled.
func newRemoteKeySource(ctx context.Context, s Settings, algs []string, o options) (mcpauth.KeySource, error) {
	opts := jwks.Options{
		HTTPClient:            o.httpClient,
		Timeout:               s.JWKSTimeout,
		MaxBodyBytes:          s.JWKSMaxBodyBytes,
		RefreshInterval:       s.JWKSRefreshInterval,
		RefreshRateLimit:      s.JWKSRefreshRateLimit,
		InsecureAllowHTTPJWKS: s.InsecureAllowHTTPJWKS,
		Algorithms:            algs,
		Clock:                 o.now,
		Logger:                o.logger,
	}
	if s.JWKSURI == "" {
		return jwks.NewFromIssuer(ctx, s.Issuers[0], opts)
	}
	return jwks.New(ctx, s.JWKSURI, opts)
}
