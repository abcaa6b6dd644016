package main

// authz.go: "mcpauth authz", the auth service a gateway asks before it
// forwards a request (nginx auth_request, Traefik forwardAuth, Caddy
// forward_auth, Envoy ext_authz over HTTP): it answers 2xx with the
// identity headers, or the middleware's 401/403/400/503 challenge, and
// forwards nothing itself.

import (
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/mcpauth/mcpauth/middleware"
)

const authzHelp = `Usage: mcpauth authz [flags]

An auth service for gateways: nginx auth_request, Traefik forwardAuth,
Caddy forward_auth and Envoy ext_authz (HTTP, and gRPC on the same address:
envoy.service.auth.v3.Authorization/Check over HTTP/2 without TLS). The
gateway asks it about each request to the MCP server and forwards the
request only on a 2xx answer.

Every path except /healthz and the metadata routes is a check, so that a
fixed auth_request location and Envoy's HTTP ext_authz (which appends the
original path) both work. A check reads the Authorization header of the
check request and answers as mcpauth proxy would before forwarding:
  200  the token is accepted: the identity headers below, every one of them
       always present (empty when the token has no such value), so that a
       gateway copying them never forwards a client's copy or a template
  401  no token, or an invalid one: WWW-Authenticate with resource_metadata
  403  a required scope is missing: WWW-Authenticate insufficient_scope
  503  no verification keys available now: Retry-After
  400, 405  a protocol switch (Upgrade, Connection: upgrade, HTTP2-Settings),
       a method MCP does not use, a path that is not canonical, or
       forwarded headers that contradict each other: never approved
The body of a refusal is the middleware's JSON ({"error", "error_description"}).
nginx relays only 2xx, 401 and 403 (and copies WWW-Authenticate only on 401):
map the others with error_page as the README's configuration does.

The original method and URI are those of the check request itself, or, when
it comes from an address in MCPAUTH_TRUSTED_PROXIES (default: loopback),
X-Original-Method / X-Original-URI (nginx) or X-Forwarded-Method /
X-Forwarded-Uri (Traefik, Caddy); from any other address these headers are
ignored and the check still answers. A gateway that sets both families must
set them to the same values.

MCPAUTH_JWT_BASE_URL is required: the public URL of the MCP server behind the
gateway, without /mcp. The resource is BASE_URL/mcp (the default audience),
and the RFC 9728 metadata is served at /.well-known/oauth-protected-resource/mcp
and /.well-known/oauth-protected-resource, the path the challenges name:
route those paths from the gateway to authz.

A per-operation policy (MCPAUTH_POLICY_FILE) with operation rules needs the
request body, which gateways do not send to an auth service: authz refuses
to start with one, unless MCPAUTH_UPSTREAM_VALIDATES_MCP_HEADERS=true says
that the MCP server refuses requests whose Mcp-Method or Mcp-Name header
disagrees with the body (MCP 2026-07-28 servers must). Then each POST is
decided from those headers, and one without them (or of an older protocol
version) is refused with 400. A policy file with only implies is accepted.

Stops gracefully on SIGINT or SIGTERM (exit 0); exit 2 on a configuration
error.

Flags:
`

const authzHeadersHelp = `
Headers of a 200 answer (a gateway copies them to the upstream request, in
place of any the client sent):
  X-MCPAuth-Client-ID    the token's client_id (else azp, else sub)
  X-MCPAuth-Subject      the sub claim, or empty
  X-MCPAuth-Scopes       the granted scopes, space-separated, or empty
  X-MCPAuth-Issuer       the iss claim, or empty
  X-MCPAuth-Expires-At   expiry in Unix seconds, or empty
  X-MCPAuth-DPoP-JKT     the thumbprint of the key a DPoP-bound token was
                         proven with, or empty
  X-Envoy-Auth-Headers-To-Remove  authorization, dpop and the client's other
                         X-MCPAuth-* names, for Envoy's HTTP ext_authz
A DPoP proof (MCPAUTH_DPOP) names the original method and the original path
under MCPAUTH_JWT_BASE_URL's scheme and host. The gateway must send the
DPoP header to the check (Envoy HTTP ext_authz: allowed_headers) and return
WWW-Authenticate (both challenges) and DPoP-Nonce to the client (nginx:
auth_request_set and add_header; see the README).
A token whose values cannot be sent exactly is refused with 401
invalid_token, as by mcpauth proxy.
`

func runAuthz(args []string, e env) int { return runServer("authz", args, e) }

// defaultAuthzTrustedProxies are the gateways whose forwarded headers authz
// reads when MCPAUTH_TRUSTED_PROXIES is unset: a gateway on the same host.
const defaultAuthzTrustedProxies = "127.0.0.0/8, ::1"

// identityHeaderNames are the identity headers in the order they are
// documented; authz sets every one of them on a 2xx answer.
var identityHeaderNames = []string{headerClientID, headerSubject, headerScopes, headerIssuer, headerExpiresAt, headerDPoPJKT}

// envoyHeadersToRemove is the response header of Envoy's HTTP ext_authz
// that lists request headers to remove before forwarding.
const envoyHeadersToRemove = "X-Envoy-Auth-Headers-To-Remove"

// Forwarded headers naming the original request, read from trusted
// gateways only.
const (
	headerOriginalMethod  = "X-Original-Method"
	headerOriginalURI     = "X-Original-Uri"
	headerForwardedMethod = "X-Forwarded-Method"
	headerForwardedURI    = "X-Forwarded-Uri"
	headerForwardedHost   = "X-Forwarded-Host"
	headerForwardedProto  = "X-Forwarded-Proto"
)

// authzHandler answers checks: it works out the original request, then
// runs it through the middleware and the approval.
type authzHandler struct {
	trusted []netip.Prefix
	check   http.Handler // middleware(approval)
}

// newAuthzHandler returns authz's handler: HTTP checks at every path of mux
// not taken, and Envoy's gRPC checks; authn is the middleware. stop stops
// the gRPC service.
func newAuthzHandler(mux *http.ServeMux, authn func(http.Handler) http.Handler, trusted []netip.Prefix, logger *slog.Logger) (h http.Handler, stop func()) {
	check := authn(approval{logger: logger})
	mux.Handle("/", &authzHandler{trusted: trusted, check: check})
	g := newExtAuthzServer(check)
	return withGRPC(g, mux), g.Stop
}

// ServeHTTP implements http.Handler.
func (a *authzHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	orig, desc := originalRequest(r, isTrustedPeer(r.RemoteAddr, a.trusted))
	if desc != "" {
		writeProxyError(w, http.StatusBadRequest, "invalid_request", desc, false)
		return
	}
	a.check.ServeHTTP(w, orig)
}

// originalRequest returns the request the gateway asks about: a copy of r
// whose method, URL and Host are the original request's. From a trusted
// gateway they come from X-Original-Method / X-Original-URI or
// X-Forwarded-Method / X-Forwarded-Uri / X-Forwarded-Host /
// X-Forwarded-Proto when present; otherwise they are r's own. Either way
// the copy carries none of these headers, so nothing after this reads a
// client's copy. desc is non-empty when a trusted gateway's headers cannot
// be used: repeated, contradicting each other, or not a method or an
// origin-form URI.
func originalRequest(r *http.Request, trusted bool) (orig *http.Request, desc string) {
	o := new(http.Request)
	*o = *r
	o.Header = r.Header.Clone()
	if o.Header == nil {
		o.Header = http.Header{}
	}
	var method, uri, host, proto string
	if trusted {
		var ok bool
		if method, ok = oneOf(r.Header, headerOriginalMethod, headerForwardedMethod); !ok {
			return nil, "X-Original-Method and X-Forwarded-Method must be sent once each and agree"
		}
		if uri, ok = oneOf(r.Header, headerOriginalURI, headerForwardedURI); !ok {
			return nil, "X-Original-URI and X-Forwarded-Uri must be sent once each and agree"
		}
		if host, ok = oneOf(r.Header, headerForwardedHost); !ok {
			return nil, "X-Forwarded-Host must be sent once"
		}
		if proto, ok = oneOf(r.Header, headerForwardedProto); !ok {
			return nil, "X-Forwarded-Proto must be sent once"
		}
	}
	for _, k := range []string{headerOriginalMethod, headerOriginalURI, headerForwardedMethod, headerForwardedURI} {
		o.Header.Del(k)
	}
	if method != "" {
		if !isToken(method) {
			return nil, "the forwarded method is not an HTTP method"
		}
		o.Method = method
	}
	if uri != "" {
		u, err := url.ParseRequestURI(uri)
		if err != nil || !strings.HasPrefix(uri, "/") || u.Fragment != "" {
			return nil, "the forwarded URI is not an origin-form request target (/path?query)"
		}
		o.URL, o.RequestURI = u, uri
	}
	if host != "" {
		o.Host = host
	}
	if proto != "" {
		o.URL = cloneURL(o.URL)
		o.URL.Scheme = strings.ToLower(proto)
	}
	return o, ""
}

// oneOf returns the value of the first of names present in h. ok is false
// when one of them is sent more than once or two of them disagree.
func oneOf(h http.Header, names ...string) (v string, ok bool) {
	for _, name := range names {
		vs := h.Values(name)
		switch {
		case len(vs) == 0:
			continue
		case len(vs) > 1, v != "" && vs[0] != v:
			return "", false
		}
		v = vs[0]
	}
	return v, true
}

func cloneURL(u *url.URL) *url.URL {
	if u == nil {
		return &url.URL{}
	}
	c := *u
	return &c
}

// isToken reports whether s is an RFC 9110 token (a method name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// approval answers a check that the middleware accepted: it refuses what
// mcpauth proxy would not forward, and approves the rest with the identity
// headers.
type approval struct{ logger *slog.Logger }

// ServeHTTP implements http.Handler.
func (a approval) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if status, desc := checkProtocol(r); status != 0 {
		writeProxyError(w, status, "invalid_request", desc, false)
		return
	}
	if desc := checkPath(r); desc != "" {
		writeProxyError(w, http.StatusBadRequest, "invalid_request", desc, false)
		return
	}
	at, _ := middleware.AccessTokenFrom(r.Context())
	headers, err := identityHeaders(at)
	if err != nil {
		// forwardableIdentity refused such tokens; failing here means
		// authz was wired without it.
		a.logger.LogAttrs(r.Context(), slog.LevelError, "mcpauth: check not approved: incomplete identity", slog.String("error", err.Error()))
		writeProxyError(w, http.StatusInternalServerError, "server_error", "the server cannot authorize this request", false)
		return
	}
	h := w.Header()
	for _, name := range identityHeaderNames {
		h.Set(name, headers[name]) // empty when absent: always set
	}
	if remove := headersToRemove(r.Header, headers); len(remove) > 0 {
		h.Set(envoyHeadersToRemove, strings.Join(remove, ", "))
	}
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// headersToRemove lists, in lower case, the request headers a gateway must
// remove before forwarding: Authorization and DPoP (never passed on: a
// proof is for one hop, RFC 9449), the client's
// X-MCPAuth-* headers that the answer does not set (other names, other
// spellings), and the identity headers whose value is empty (a gateway may
// drop an empty header rather than overwrite the client's).
func headersToRemove(in http.Header, set map[string]string) []string {
	out := []string{"authorization", "dpop"}
	for k := range in {
		if isIdentityHeader(k) && !slices.ContainsFunc(identityHeaderNames, func(n string) bool { return strings.EqualFold(n, k) }) {
			out = append(out, strings.ToLower(k))
		}
	}
	for _, n := range identityHeaderNames {
		if set[n] == "" {
			out = append(out, strings.ToLower(n))
		}
	}
	slices.Sort(out[2:])
	return slices.Compact(out)
}
