package main

// proxy_protocol.go: which requests "mcpauth proxy" forwards at all. MCP's
// Streamable HTTP transport is plain HTTP requests (POST, GET for the SSE
// stream, DELETE to end a session); it needs no protocol switch and no
// tunnel, so the proxy refuses both rather than pass on what it cannot
// authenticate request by request.

import (
	"net/http"
	"strings"
)

// allowedMethodsHeader lists the methods forwarded (OPTIONS preflights are
// answered by the proxy; an OPTIONS request with a token is forwarded).
const allowedMethodsHeader = "GET, HEAD, POST, DELETE, OPTIONS"

// checkProtocol returns 0 for a request the proxy may forward, otherwise
// the status and description of its refusal:
//   - 400 for any request that offers a protocol switch: an Upgrade header
//     (any value, even empty; some servers switch on it alone), an
//     "upgrade" token in any Connection header, or HTTP2-Settings (h2c). An
//     upstream that switched would receive a raw byte stream from the
//     client: any path, any identity header, long after the token expired.
//   - 405 for methods MCP does not use, CONNECT (a tunnel) and TRACE among
//     them.
func checkProtocol(r *http.Request) (status int, desc string) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodDelete, http.MethodOptions:
	default:
		return http.StatusMethodNotAllowed, "the MCP endpoint accepts only " + allowedMethodsHeader
	}
	if _, ok := r.Header["Upgrade"]; ok || hasConnectionToken(r.Header, "upgrade") {
		return http.StatusBadRequest, "protocol upgrades (Upgrade, Connection: upgrade) are not supported; MCP over HTTP needs none"
	}
	if _, ok := r.Header["Http2-Settings"]; ok {
		return http.StatusBadRequest, "HTTP/2 upgrades (HTTP2-Settings) are not supported"
	}
	return 0, ""
}

// hasConnectionToken reports whether any Connection header lists token
// (case-insensitive; RFC 9110 §7.6.1: a comma-separated list, optional
// whitespace around the items).
func hasConnectionToken(h http.Header, token string) bool {
	for _, v := range h["Connection"] {
		for item := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.Trim(item, " \t"), token) {
				return true
			}
		}
	}
	return false
}
