package main

// proxy_path.go: which request paths "mcpauth proxy" forwards. The proxy
// authorizes the MCP endpoint and the paths below it; the upstream must
// resolve the forwarded path to the same place. Servers disagree on what a
// path means: Tomcat drops path parameters (/mcp/..;/admin is /admin),
// decodes %2e before resolving dot segments, merges slashes; IIS and others
// take backslashes or %5c for '/'; some decode twice (%252e). Rather than
// predict every server's resolution, the proxy forwards only paths that
// need none: canonical, unencoded, and the same to every server.

import (
	"net/http"
	"strings"
)

// checkPath returns "" when the request's path may be forwarded as it
// is, otherwise why it is refused. A forwardable path:
//   - has no percent-encoding at all ('%' never appears), so no server can
//     decode it into a dot, a slash, a backslash or a path parameter, once
//     or twice;
//   - holds only letters, digits and - . _ ~ ! $ & ' ( ) * + , = : @
//     besides '/': no ';' (path parameters), '\', spaces, control or
//     non-ASCII bytes;
//   - has no empty segment ("//") except a trailing slash, and no segment
//     made only of dots (".", "..", "..."), which some servers resolve.
//
// The query is not part of the check: servers resolve paths without it.
func checkPath(r *http.Request) string {
	p := r.URL.EscapedPath()
	if p != r.URL.Path || !strings.HasPrefix(p, "/") {
		// EscapedPath differs from the decoded path exactly when the
		// request had percent-encoding or bytes that need it.
		return "the request path must not be percent-encoded or contain characters that need encoding"
	}
	for i := 0; i < len(p); i++ {
		if !isPlainPathByte(p[i]) {
			return "the request path may only hold letters, digits, '/' and - . _ ~ ! $ & ' ( ) * + , = : @ (no ';', '\\' or '%')"
		}
	}
	segs := strings.Split(p[1:], "/")
	for i, seg := range segs {
		if seg == "" && i != len(segs)-1 {
			return "the request path has an empty segment (//)"
		}
		if seg != "" && strings.Trim(seg, ".") == "" {
			return "the request path has a dot segment (., .., ...)"
		}
	}
	return ""
}

// isPlainPathByte reports whether c may appear in a forwarded path: '/',
// RFC 3986 unreserved characters, and sub-delims (except ';'), ':' and
// '@', all of which every mainstream server takes literally in a path.
func isPlainPathByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("/-._~!$&'()*+,=:@", c) >= 0
}
