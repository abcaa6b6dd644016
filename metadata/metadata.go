package metadata

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/jose"
	"github.com/mcpauth/mcpauth/internal/scopetoken"
	"github.com/mcpauth/mcpauth/internal/urlrule"
)

// WellKnownPrefix is the path prefix of RFC 9728 metadata documents.
const WellKnownPrefix = "/.well-known/oauth-protected-resource"

// ErrInvalid is matched by every error of this package. It is
// mcpauth.ErrInvalidConfig: like every constructor of this module,
// [NewHandler] (and [WellKnownURL]) report a configuration error.
var ErrInvalid = mcpauth.ErrInvalidConfig

// ProtectedResource is the RFC 9728 §2 document. Only Resource is required.
type ProtectedResource struct {
	// Resource is the resource identifier: the URL of the MCP endpoint,
	// which is also the audience tokens must carry.
	Resource string `json:"resource"`
	// AuthorizationServers lists the issuer identifiers of the
	// authorization servers that issue tokens for this resource.
	AuthorizationServers []string `json:"authorization_servers,omitempty"`
	// ScopesSupported lists the scopes the resource uses.
	ScopesSupported []string `json:"scopes_supported,omitempty"`
	// BearerMethodsSupported lists how tokens may be sent; MCP allows only
	// "header", which is what [NewHandler] fills in when this is empty.
	BearerMethodsSupported []string `json:"bearer_methods_supported,omitempty"`
	// ResourceName is a human-readable name.
	ResourceName string `json:"resource_name,omitempty"`
	// ResourceDocumentation is a URL of human-readable documentation.
	ResourceDocumentation string `json:"resource_documentation,omitempty"`
	// DPoPSigningAlgValuesSupported lists the JWS algorithms accepted for
	// DPoP proofs (RFC 9728 §2, RFC 9449); dpop.Verifier.Algorithms gives
	// them. Empty omits the member.
	DPoPSigningAlgValuesSupported []string `json:"dpop_signing_alg_values_supported,omitempty"`
	// DPoPBoundAccessTokensRequired says the resource accepts only
	// DPoP-bound access tokens (dpop.Require). False omits the member,
	// which means false.
	DPoPBoundAccessTokensRequired bool `json:"dpop_bound_access_tokens_required,omitempty"`
}

// WellKnownURL returns the metadata URL of a resource (RFC 9728 §3.1): the
// well-known prefix inserted between the host and the resource's path, so
// https://mcp.example.com/mcp has its metadata at
// https://mcp.example.com/.well-known/oauth-protected-resource/mcp.
func WellKnownURL(resource string) (string, error) {
	u, err := checkURL("resource", resource)
	if err != nil {
		return "", err
	}
	if u.RawQuery != "" {
		return "", fmt.Errorf("%w: resource %q has a query, which RFC 9728 discourages", ErrInvalid, resource)
	}
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	return u.Scheme + "://" + u.Host + WellKnownPrefix + path, nil
}

// Path returns the path component of [WellKnownURL], for registering the
// handler on a mux.
func Path(resource string) (string, error) {
	s, err := WellKnownURL(resource)
	if err != nil {
		return "", err
	}
	u, _ := url.Parse(s)
	return u.EscapedPath(), nil
}

// NewHandler validates m and returns a handler that serves it as JSON to GET
// and HEAD requests. The document is encoded once. Because the metadata is
// public, the response allows any origin (CORS) and may be cached for an
// hour.
func NewHandler(m ProtectedResource) (http.Handler, error) {
	if _, err := WellKnownURL(m.Resource); err != nil {
		return nil, err
	}
	for _, as := range m.AuthorizationServers {
		if _, err := checkURL("authorization server", as); err != nil {
			return nil, err
		}
	}
	for _, s := range m.ScopesSupported {
		if err := scopetoken.Check(s); err != nil {
			return nil, fmt.Errorf("%w: scopes_supported: %w", ErrInvalid, err)
		}
	}
	if m.ResourceDocumentation != "" {
		if _, err := checkURL("resource documentation", m.ResourceDocumentation); err != nil {
			return nil, err
		}
	}
	for _, a := range m.DPoPSigningAlgValuesSupported {
		if !slices.Contains(jose.AsymmetricAlgorithms, a) {
			return nil, fmt.Errorf("%w: DPoP signing algorithm %q is not an asymmetric JWS algorithm mcpauth verifies", ErrInvalid, a)
		}
	}
	if len(m.BearerMethodsSupported) == 0 {
		m.BearerMethodsSupported = []string{"header"}
	}
	body, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	body = append(body, '\n')
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		switch r.Method {
		case http.MethodGet, http.MethodHead:
		case http.MethodOptions:
			h.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "MCP-Protocol-Version")
			w.WriteHeader(http.StatusNoContent)
			return
		default:
			h.Set("Allow", "GET, HEAD, OPTIONS")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "public, max-age=3600")
		h.Set("X-Content-Type-Options", "nosniff")
		if r.Method == http.MethodHead {
			return
		}
		w.Write(body)
	}), nil
}

// checkURL accepts absolute http(s) URLs with a host and no fragment or
// user info.
func checkURL(what, s string) (*url.URL, error) {
	u, p := urlrule.Check(s, urlrule.Rules{NoUserInfo: true, Quotable: true})
	switch {
	case p == nil:
		return u, nil
	case u == nil:
		return nil, fmt.Errorf("%w: %s %s", ErrInvalid, what, p.Text)
	}
	return nil, fmt.Errorf("%w: %s %q %s", ErrInvalid, what, u.Redacted(), p.Text)
}
