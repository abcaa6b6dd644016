package resource

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/dpop"
	"github.com/mcpauth/mcpauth/metadata"
	"github.com/mcpauth/mcpauth/middleware"
)

// Config describes a protected resource. Only URL is required.
type Config struct {
	// URL is the resource identifier: the absolute http or https URL of the
	// MCP endpoint, such as https://mcp.example.com/mcp, exactly as clients
	// connect to it. It must have no query, fragment or user information.
	URL string
	// AuthorizationServers lists the issuer identifiers of the
	// authorization servers whose tokens the resource accepts, advertised as
	// authorization_servers; usually verify.Settings.Issuers. Empty omits the
	// member, but MCP clients need at least one to obtain a token.
	AuthorizationServers []string
	// Scopes lists the scopes the resource uses, advertised as
	// scopes_supported; usually verify.Settings.RequiredScopes plus any
	// per-route scopes. Each must be an RFC 6749 scope token.
	Scopes []string
	// Name is the human-readable resource_name; empty omits it.
	Name string
	// Documentation is the URL of human-readable documentation
	// (resource_documentation); empty omits it.
	Documentation string
	// DPoP, when set and not in mode dpop.Off, verifies DPoP proofs: the
	// metadata document advertises dpop_signing_alg_values_supported (and
	// dpop_bound_access_tokens_required in mode dpop.Require), and
	// MiddlewareOption adds middleware.WithDPoP with the URL's scheme and
	// host as the public base URL. nil leaves DPoP out.
	DPoP *dpop.Verifier
}

// Resource is a validated protected resource and everything derived from
// its URL. It is immutable and safe for concurrent use.
type Resource struct {
	url          string
	path         string
	metadataURL  string
	metadataPath string
	handler      http.Handler
	authServers  []string
	scopes       []string
	options      []middleware.Option // what MiddlewareOption applies
}

// New validates c and derives the resource's metadata URL, path and
// document. Its errors match [mcpauth.ErrInvalidConfig] (and
// metadata.ErrInvalid) and name the Config field at fault.
func New(c Config) (*Resource, error) {
	if c.URL == "" {
		return nil, configErr("Config.URL is required: the absolute URL of the MCP endpoint, such as https://mcp.example.com/mcp")
	}
	metaURL, err := metadata.WellKnownURL(c.URL)
	if err != nil {
		return nil, configErr("Config.URL: %w", err)
	}
	metaPath, err := metadata.Path(c.URL)
	if err != nil {
		return nil, configErr("Config.URL: %w", err)
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return nil, configErr("Config.URL: %w", err)
	}
	doc := metadata.ProtectedResource{
		Resource:              c.URL,
		AuthorizationServers:  c.AuthorizationServers,
		ScopesSupported:       c.Scopes,
		ResourceName:          c.Name,
		ResourceDocumentation: c.Documentation,
	}
	dp := c.DPoP
	if dp != nil && dp.Mode() == dpop.Off {
		dp = nil
	}
	if dp != nil {
		doc.DPoPSigningAlgValuesSupported = dp.Algorithms()
		doc.DPoPBoundAccessTokensRequired = dp.Mode() == dpop.Require
	}
	h, err := metadata.NewHandler(doc)
	if err != nil {
		return nil, configErr("%w", err)
	}
	// The challenge parameter must be acceptable to the middleware (it
	// refuses, for example, a non-ASCII host): check it now, so that
	// MiddlewareOption never makes middleware.New panic.
	opts := []middleware.Option{middleware.WithResourceMetadata(metaURL)}
	if dp != nil {
		opts = append(opts, middleware.WithDPoP(dp, u.Scheme+"://"+u.Host))
	}
	if _, err := middleware.NewChecked(noVerifier{}, opts...); err != nil {
		return nil, configErr("Config.URL: %w", err)
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return &Resource{
		url:          c.URL,
		path:         path,
		metadataURL:  metaURL,
		metadataPath: metaPath,
		handler:      h,
		authServers:  slices.Clone(c.AuthorizationServers),
		scopes:       slices.Clone(c.Scopes),
		options:      opts,
	}, nil
}

// noVerifier stands in for a verifier when New checks the middleware option.
type noVerifier struct{}

func (noVerifier) VerifyToken(context.Context, string) (*mcpauth.AccessToken, error) {
	return nil, mcpauth.ErrInvalidToken
}

// configErr returns an error matching mcpauth.ErrInvalidConfig.
func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: resource: %w", mcpauth.ErrInvalidConfig, fmt.Errorf(format, args...))
}

// URL returns the resource identifier, Config.URL.
func (r *Resource) URL() string { return r.url }

// Audience returns the audience tokens for this resource carry: its URL
// (RFC 8707). Use it as verify.Settings.Audiences when none is configured,
// so that a token issued for another server is refused.
func (r *Resource) Audience() string { return r.url }

// Path returns the path of the MCP endpoint ("/" for a URL without one),
// for mounting the protected handler on an http.ServeMux.
func (r *Resource) Path() string { return r.path }

// MetadataURL returns the URL of the RFC 9728 metadata document: the
// well-known prefix inserted between the host and the resource's path
// (https://mcp.example.com/mcp has its document at
// https://mcp.example.com/.well-known/oauth-protected-resource/mcp).
func (r *Resource) MetadataURL() string { return r.metadataURL }

// MetadataPath returns the path of [Resource.MetadataURL], for mounting
// [Resource.MetadataHandler] on an http.ServeMux.
func (r *Resource) MetadataPath() string { return r.metadataPath }

// MetadataHandler returns the handler serving the metadata document (see
// metadata.NewHandler). Mount it at [Resource.MetadataPath] outside the
// protected handler: clients fetch it before they have a token.
func (r *Resource) MetadataHandler() http.Handler { return r.handler }

// MiddlewareOption returns middleware.WithResourceMetadata with
// [Resource.MetadataURL], so that every challenge tells clients where the
// document is, and middleware.WithDPoP when Config.DPoP is set.
func (r *Resource) MiddlewareOption() middleware.Option {
	return middleware.Combine(r.options...)
}

// AuthorizationServers returns Config.AuthorizationServers.
func (r *Resource) AuthorizationServers() []string { return slices.Clone(r.authServers) }

// Scopes returns Config.Scopes.
func (r *Resource) Scopes() []string { return slices.Clone(r.scopes) }
