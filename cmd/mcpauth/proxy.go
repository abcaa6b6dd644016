package main

// proxy.go: "mcpauth proxy", the same authentication in front of any HTTP
// MCP server.

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strings"

	"github.com/mcpauth/mcpauth/middleware"
)

const proxyHelp = `Usage: mcpauth proxy [flags]

Puts bearer-token authentication in front of an HTTP MCP server written in
any language. Requests to /mcp (and paths below it) that carry an accepted
token are forwarded to the upstream URL (/mcp maps to the upstream URL
itself, /mcp/x to upstream/x, the query is kept); responses, including SSE
streams, are flushed to the client as they arrive. Request bodies of known
length up to 64 KiB are read whole before forwarding (one that ends before
its Content-Length: 400); larger ones are streamed. Requests without an
acceptable token are answered by the proxy (401, 403, 400 or 503, with
WWW-Authenticate) and never reach the upstream. Even with a token, the
proxy refuses protocol switches (Upgrade, Connection: upgrade,
HTTP2-Settings: 400, connection closed; an upstream's 101 becomes 502) and
methods other than GET, HEAD, POST, DELETE and OPTIONS (405), and paths
that are not canonical (400): only letters, digits and /-._~!$&'()*+,=:@
pass, without percent-encoding, empty or dot-only segments, so that every
upstream server resolves the path below its MCP endpoint.

The client's Authorization and DPoP headers are never forwarded (MCP forbids token
passthrough); the caller's identity is sent instead, in the headers listed
below. The proxy also serves GET /healthz and the RFC 9728 metadata at
/.well-known/oauth-protected-resource/mcp and
/.well-known/oauth-protected-resource, like mcpauth serve. Upstream failures
are answered 502 without details (they are logged).

Configured entirely from the environment, so a container needs no flags.
A verifier is required (there is no demo mode). Stops gracefully on SIGINT
or SIGTERM (exit 0); exit 2 on a configuration error.

Flags:
`

const proxyHeadersHelp = `
Headers sent upstream (any incoming X-MCPAuth-* header is removed first, in
any letter case and with '_' for '-'). A token whose values cannot be sent
exactly (not 1 to 4096 printable ASCII characters without leading or
trailing spaces, a scope that is not an RFC 6749 scope token) is refused
with 401 invalid_token, never forwarded with a header left out:
  X-MCPAuth-Client-ID    the token's client_id (else azp, else sub)
  X-MCPAuth-Subject      the sub claim, when present
  X-MCPAuth-Scopes       the granted scopes, space-separated, when any
  X-MCPAuth-Issuer       the iss claim, when present (not for static tokens)
  X-MCPAuth-Expires-At   expiry in Unix seconds, when the token expires
  X-MCPAuth-DPoP-JKT     the thumbprint of the key a DPoP-bound token was
                         proven with (the DPoP proof itself is not forwarded)
  X-Forwarded-For, X-Forwarded-Host, X-Forwarded-Proto  set by the proxy
Client-sent forwarding headers (Forwarded, X-Forwarded-*, X-Real-IP,
True-Client-IP, CF-Connecting-IP, ...) are removed, unless the connection
comes from an address in MCPAUTH_TRUSTED_PROXIES: then they are kept and
the gateway's address is appended to X-Forwarded-For. Routing overrides
(X-Original-*, X-Rewrite-URL, X-HTTP-Method-Override, X-Method-Override,
X-HTTP-Method, ...) are always removed.
The upstream must be reachable only through the proxy, or anyone could send
these headers to it directly.
`

func runProxy(args []string, e env) int { return runServer("proxy", args, e) }

// newProxy returns the forwarding handler for requests accepted by the
// middleware. mount is the public MCP path, mapped to upstream's path.
// trusted lists the gateways whose forwarding headers are kept.
func newProxy(upstream *url.URL, mount string, trusted []netip.Prefix, logger *slog.Logger) *proxy {
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			rewrite(pr, upstream, mount, trusted)
		},
		Transport:  newUpstreamTransport(),
		BufferPool: newCopyBuffers(),
		// noHijackWriter flushes every write; SSE and bodies of unknown
		// length get their headers flushed at once by ReverseProxy.
		FlushInterval: 0,
		ModifyResponse: func(resp *http.Response) error {
			// Requests that ask for a protocol switch are refused before
			// they are forwarded; an upstream that switches anyway would
			// turn the connection into a tunnel past the proxy.
			if resp.StatusCode == http.StatusSwitchingProtocols {
				return errUpstreamSwitched
			}
			// The proxy's CORS policy applies, not a second one.
			for k := range resp.Header {
				if len(k) >= len("access-control-") && strings.EqualFold(k[:len("access-control-")], "access-control-") {
					delete(resp.Header, k)
				}
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			level := slog.LevelWarn
			if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
				level = slog.LevelDebug // the client went away
			}
			logger.LogAttrs(r.Context(), level, "mcpauth: upstream request failed",
				slog.String("error", err.Error()), slog.String("method", r.Method), slog.String("path", r.URL.Path))
			writeProxyError(w, http.StatusBadGateway, "bad_gateway", "the upstream MCP server did not answer", false)
		},
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return &proxy{rp: rp, logger: logger}
}

// errUpstreamSwitched is the error for a 101 answer from the upstream.
var errUpstreamSwitched = errors.New("the upstream tried to switch protocols (101 Switching Protocols); refused")

// proxy forwards accepted requests to the upstream.
type proxy struct {
	rp     *httputil.ReverseProxy
	logger *slog.Logger
}

// ServeHTTP refuses what the proxy does not forward (a protocol switch, a
// method MCP does not use, a path that is not canonical), then forwards.
func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if status, desc := checkProtocol(r); status != 0 {
		// The client may already be sending bytes of the new protocol:
		// close the connection rather than read them as a request.
		writeProxyError(w, status, "invalid_request", desc, true)
		return
	}
	// http.ServeMux redirects literal dot segments but passes encoded ones
	// (/mcp/%2e%2e/admin) and path parameters (/mcp/..;/admin); forwarded,
	// they could reach upstream routes outside its MCP endpoint.
	if desc := checkPath(r); desc != "" {
		writeProxyError(w, http.StatusBadRequest, "invalid_request", desc, false)
		return
	}
	// forwardableIdentity refused the tokens whose identity cannot be
	// sent; failing here means the proxy was wired without it.
	at, _ := middleware.AccessTokenFrom(r.Context())
	if err := checkIdentity(at); err != nil {
		p.logger.LogAttrs(r.Context(), slog.LevelError, "mcpauth: request not forwarded: incomplete identity", slog.String("error", err.Error()))
		writeProxyError(w, http.StatusInternalServerError, "server_error", "the server cannot authorize this request", false)
		return
	}
	if err := bufferBody(r); err != nil {
		p.logger.LogAttrs(r.Context(), slog.LevelDebug, "mcpauth: request not forwarded", slog.String("error", err.Error()))
		writeProxyError(w, http.StatusBadRequest, "invalid_request", "the request body could not be read", true)
		return
	}
	p.rp.ServeHTTP(newNoHijackWriter(w), r)
}

// writeProxyError writes a JSON error answered by the proxy itself.
// closeConn also closes the connection after the response.
func writeProxyError(w http.ResponseWriter, status int, code, desc string, closeConn bool) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	if closeConn {
		h.Set("Connection", "close")
	}
	if status == http.StatusMethodNotAllowed {
		h.Set("Allow", allowedMethodsHeader)
	}
	w.WriteHeader(status)
	body, _ := json.Marshal(struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{code, desc})
	w.Write(body)
}

// rewrite builds the upstream request: target URL, no credentials, no
// client-sent identity, forwarding or routing headers, the verified
// identity.
func rewrite(pr *httputil.ProxyRequest, upstream *url.URL, mount string, trusted []netip.Prefix) {
	out := pr.Out
	// setForwardingHeaders removes the client's identity headers too.
	out.Header.Del("Authorization")
	out.Header.Del("DPoP") // a proof is for this hop only (RFC 9449)

	// checkPath let through only paths without percent-encoding, so the
	// suffix is forwarded byte for byte as it was received and checked.
	// out.URL is the reverse proxy's copy of the incoming URL: overwrite
	// it rather than allocate another.
	u := out.URL
	*u = *upstream
	if suffix := strings.TrimPrefix(pr.In.URL.Path, mount); suffix != "" {
		u.Path = strings.TrimSuffix(upstream.Path, "/") + suffix
		u.RawPath = strings.TrimSuffix(upstream.EscapedPath(), "/") + suffix
	}
	u.RawQuery = pr.In.URL.RawQuery
	out.Host = ""
	setForwardingHeaders(pr, trusted)
	forwardBuffered(pr)

	// ServeHTTP checked the identity of the middleware's token.
	if at, ok := middleware.AccessTokenFrom(pr.In.Context()); ok {
		setIdentityHeaders(out.Header, at)
	}
}
