package main

// proxy.go: "mcpauth proxy", the same authentication in front of any HTTP
// MCP server.

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/middleware"
)

// Identity headers sent upstream with every forwarded request. Incoming
// headers with the prefix are removed first, whatever their letter case and
// with '_' taken as '-' (CGI/WSGI servers map both to the same variable).
const (
	identityHeaderPrefix = "X-MCPAuth-"
	headerClientID       = "X-MCPAuth-Client-ID"
	headerSubject        = "X-MCPAuth-Subject"
	headerScopes         = "X-MCPAuth-Scopes"
	headerIssuer         = "X-MCPAuth-Issuer"
	headerExpiresAt      = "X-MCPAuth-Expires-At"
	// maxIdentityValue caps one identity header value.
	maxIdentityValue = 4096
)

const proxyHelp = `Usage: mcpauth proxy [flags]

Puts bearer-token authentication in front of an HTTP MCP server written in
any language. Requests to /mcp (and paths below it) that carry an accepted
token are forwarded to the upstream URL (/mcp maps to the upstream URL
itself, /mcp/x to upstream/x, the query is kept); responses, including SSE
streams, are flushed to the client as they arrive. Requests without an
acceptable token are answered by the proxy (401, 403, 400 or 503, with
WWW-Authenticate) and never reach the upstream.

The client's Authorization header is never forwarded (MCP forbids token
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
Headers sent upstream (any incoming X-MCPAuth-* header is removed first; a
value that is not printable ASCII is left out and logged):
  X-MCPAuth-Client-ID    the token's client_id (else azp, else sub)
  X-MCPAuth-Subject      the sub claim, when present
  X-MCPAuth-Scopes       the granted scopes, space-separated (invalid scope
                         tokens are left out)
  X-MCPAuth-Issuer       the iss claim, when present (not for static tokens)
  X-MCPAuth-Expires-At   expiry in Unix seconds, when the token expires
  X-Forwarded-For, X-Forwarded-Host, X-Forwarded-Proto  set by the proxy
The upstream must be reachable only through the proxy, or anyone could send
these headers to it directly.
`

func runProxy(args []string, e env) int { return runServer("proxy", args, e) }

// newProxy returns the forwarding handler for requests accepted by the
// middleware. mount is the public MCP path, mapped to upstream's path.
func newProxy(upstream *url.URL, mount string, logger *slog.Logger) http.Handler {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	// Pass the upstream's bytes through as they come: transparent
	// decompression would buffer SSE events.
	transport.DisableCompression = true
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			rewrite(pr, upstream, mount, logger)
		},
		Transport:     transport,
		FlushInterval: -1,
		ModifyResponse: func(resp *http.Response) error {
			// The proxy's CORS policy applies, not a second one.
			for k := range resp.Header {
				if strings.HasPrefix(strings.ToLower(k), "access-control-") {
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
			h := w.Header()
			h.Set("Content-Type", "application/json")
			h.Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte(`{"error":"bad_gateway","error_description":"the upstream MCP server did not answer"}`))
		},
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// http.ServeMux redirects literal dot segments but passes encoded
		// ones (/mcp/..%2fadmin) decoded; forwarded, they could reach
		// upstream routes outside its MCP endpoint.
		if hasDotSegment(r.URL.Path) {
			http.NotFound(w, r)
			return
		}
		rp.ServeHTTP(w, r)
	})
}

// hasDotSegment reports whether a path has a "." or ".." segment.
func hasDotSegment(p string) bool {
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// rewrite builds the upstream request: target URL, no credentials, no
// client-sent identity headers, the verified identity.
func rewrite(pr *httputil.ProxyRequest, upstream *url.URL, mount string, logger *slog.Logger) {
	out := pr.Out
	stripIdentityHeaders(out.Header)
	out.Header.Del("Authorization")

	u := *upstream
	if suffix := strings.TrimPrefix(pr.In.URL.Path, mount); suffix != "" {
		u.Path = strings.TrimSuffix(upstream.Path, "/") + suffix
	}
	u.RawPath = ""
	u.RawQuery = pr.In.URL.RawQuery
	out.URL = &u
	out.Host = ""
	pr.SetXForwarded()

	// answerPreflight guarantees an accepted token here.
	at, _ := middleware.AccessTokenFrom(pr.In.Context())
	headers, dropped := identityHeaders(at)
	for k, v := range headers {
		out.Header.Set(k, v)
	}
	if len(dropped) > 0 {
		logger.LogAttrs(pr.In.Context(), slog.LevelWarn, "mcpauth: identity values not forwarded: not printable ASCII or not valid scope tokens",
			slog.Any("headers", dropped))
	}
}

// stripIdentityHeaders removes every header that an upstream could take for
// one of the identity headers.
func stripIdentityHeaders(h http.Header) {
	for k := range h {
		if isIdentityHeader(k) {
			delete(h, k)
		}
	}
}

func isIdentityHeader(name string) bool {
	n := strings.ReplaceAll(strings.ToLower(name), "_", "-")
	return strings.HasPrefix(n, strings.ToLower(identityHeaderPrefix))
}

// identityHeaders returns the identity headers for at, and the names of
// those left out because their value could not be sent safely.
func identityHeaders(at *mcpauth.AccessToken) (headers map[string]string, dropped []string) {
	headers = make(map[string]string, 5)
	if at == nil {
		return headers, nil
	}
	add := func(name, v string) {
		if v == "" {
			return
		}
		if !safeHeaderValue(v) {
			dropped = append(dropped, name)
			return
		}
		headers[name] = v
	}
	add(headerClientID, at.ClientID)
	add(headerSubject, at.Subject)
	add(headerIssuer, at.Issuer)
	if !at.ExpiresAt.IsZero() {
		headers[headerExpiresAt] = strconv.FormatInt(at.ExpiresAt.Unix(), 10)
	}
	// A scope with a space or a quote would be read as other scopes.
	scopes := make([]string, 0, len(at.Scopes))
	for _, s := range at.Scopes {
		if isScopeToken(s) {
			scopes = append(scopes, s)
		} else if len(dropped) == 0 || dropped[len(dropped)-1] != headerScopes {
			dropped = append(dropped, headerScopes)
		}
	}
	if v := strings.Join(scopes, " "); v != "" {
		add(headerScopes, v)
	}
	return headers, dropped
}

// safeHeaderValue accepts non-empty printable ASCII without leading or
// trailing spaces (which parsers trim), of bounded length.
func safeHeaderValue(v string) bool {
	if v == "" || len(v) > maxIdentityValue || v[0] == ' ' || v[len(v)-1] == ' ' {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return false
		}
	}
	return true
}

// isScopeToken reports whether s is an RFC 6749 scope token:
// 1*( %x21 / %x23-5B / %x5D-7E ).
func isScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
