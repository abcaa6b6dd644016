package dpop

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// sameURI reports whether a proof's htu names the request URI uri (RFC
// 9449 §4.3 step 9): equal after dropping query and fragment and
// normalising both (RFC 3986 §6.2.2, §6.2.3). Byte-equal inputs skip the
// normalisation.
func sameURI(htu, uri string) bool {
	htu, uri = stripQuery(htu), stripQuery(uri)
	if htu == uri {
		return true
	}
	a, err1 := NormalizeURI(htu)
	b, err2 := NormalizeURI(uri)
	return err1 == nil && err2 == nil && a == b
}

// stripQuery drops the query and fragment of a URI.
func stripQuery(s string) string {
	// Two IndexByte scans: faster than IndexAny's set on short URIs.
	if i := strings.IndexByte(s, '?'); i >= 0 {
		s = s[:i]
	}
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	return s
}

// NormalizeURI returns an absolute http or https URI without its query and
// fragment, normalised as RFC 3986 §6.2.2 and §6.2.3 describe: scheme and
// host in lower case, the default port and an empty port dropped, an empty
// path made "/", percent-encodings of unreserved characters decoded and
// the others in upper-case hex, other bytes outside the URI syntax
// percent-encoded, and dot segments removed. It refuses URIs with user
// information, without a host, or with malformed percent-encodings.
func NormalizeURI(s string) (string, error) {
	s = stripQuery(s)
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return "", errors.New("not an absolute URI with an authority")
	}
	scheme = strings.ToLower(scheme)
	var defaultPort string
	switch scheme {
	case "http":
		defaultPort = "80"
	case "https":
		defaultPort = "443"
	default:
		return "", errors.New("the scheme is not http or https")
	}
	authority, path := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		authority, path = rest[:i], rest[i:]
	}
	if strings.ContainsAny(authority, "@%") {
		return "", errors.New("the authority has user information or percent-encoding")
	}
	host, port := authority, ""
	if i := strings.LastIndexByte(authority, ':'); i >= 0 && !strings.Contains(authority[i:], "]") {
		host, port = authority[:i], authority[i+1:]
		for j := 0; j < len(port); j++ {
			if port[j] < '0' || port[j] > '9' {
				return "", errors.New("the port is not a number")
			}
		}
		port = strings.TrimLeft(port, "0")
		if port == "" && len(authority[i+1:]) > 0 {
			port = "0"
		}
	}
	if host == "" {
		return "", errors.New("the URI has no host")
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(scheme)
	b.WriteString("://")
	b.WriteString(strings.ToLower(host))
	if port != "" && port != defaultPort {
		b.WriteByte(':')
		b.WriteString(port)
	}
	p, err := normalizePath(path)
	if err != nil {
		return "", err
	}
	b.WriteString(p)
	return b.String(), nil
}

// normalizePath normalises percent-encodings and removes dot segments.
func normalizePath(path string) (string, error) {
	if path == "" {
		return "/", nil
	}
	var b strings.Builder
	b.Grow(len(path))
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(path); i++ {
		c := path[i]
		switch {
		case c == '%':
			if i+2 >= len(path) || !isHex(path[i+1]) || !isHex(path[i+2]) {
				return "", errors.New("the path has a malformed percent-encoding")
			}
			d := unhex(path[i+1])<<4 | unhex(path[i+2])
			if isUnreserved(d) {
				b.WriteByte(d)
			} else {
				b.WriteByte('%')
				b.WriteByte(hex[d>>4])
				b.WriteByte(hex[d&15])
			}
			i += 2
		case isUnreserved(c) || strings.IndexByte("/!$&'()*+,;=:@", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return removeDotSegments(b.String()), nil
}

// removeDotSegments implements RFC 3986 §5.2.4 for an absolute path.
func removeDotSegments(in string) string {
	if !strings.Contains(in, ".") {
		return in
	}
	var out []string // output segments, each with its leading "/"
	for in != "" {
		switch {
		case strings.HasPrefix(in, "../"):
			in = in[3:]
		case strings.HasPrefix(in, "./"):
			in = in[2:]
		case strings.HasPrefix(in, "/./"):
			in = in[2:]
		case in == "/.":
			in = "/"
		case strings.HasPrefix(in, "/../"):
			in = in[3:]
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		case in == "/..":
			in = "/"
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		case in == "." || in == "..":
			in = ""
		default:
			j := strings.IndexByte(in[1:], '/')
			if j < 0 {
				out = append(out, in)
				in = ""
			} else {
				out = append(out, in[:j+1])
				in = in[j+1:]
			}
		}
	}
	return strings.Join(out, "")
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// isUnreserved reports whether c is an RFC 3986 unreserved character.
func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// RequestURI returns the URI a proof for r must name in htu: the public
// base URL's scheme and authority, its path (a prefix that a reverse proxy
// strips, without a trailing slash), then r's escaped path, normalised by
// [NormalizeURI]. base comes from configuration, never from the request:
// Host and X-Forwarded-* headers are chosen by the client.
func RequestURI(base *url.URL, r *http.Request) (string, error) {
	if base == nil || base.Scheme == "" || base.Host == "" {
		return "", errors.New("dpop: no public base URL")
	}
	path := "/"
	if r.URL != nil {
		path = r.URL.EscapedPath()
	}
	prefix := strings.TrimSuffix(base.EscapedPath(), "/")
	if isNormalScheme(base.Scheme) && isNormalHost(base.Scheme, base.Host) && isNormalPath(prefix) && isNormalPath(path) && path != "" {
		// Already in normal form: NormalizeURI would return it unchanged.
		return base.Scheme + "://" + base.Host + prefix + path, nil
	}
	return NormalizeURI(base.Scheme + "://" + base.Host + prefix + path)
}

// isNormalScheme reports whether s is http or https in lower case.
func isNormalScheme(s string) bool { return s == "http" || s == "https" }

// isNormalHost reports whether host (with an optional port) is in the
// form NormalizeURI produces: a lower-case name or IPv4 address, and a port
// without leading zeros that is not the scheme's default.
func isNormalHost(scheme, host string) bool {
	name, port, hasPort := strings.Cut(host, ":")
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	if !hasPort {
		return true
	}
	if port == "" || port[0] == '0' || (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		return false
	}
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return false
		}
	}
	return true
}

// isNormalPath reports whether p (empty, or starting with "/") is in the
// form NormalizeURI produces: only unreserved characters and "/", and no
// segment starting with a dot (so no dot segments to remove).
func isNormalPath(p string) bool {
	if p != "" && p[0] != '/' {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '/':
			if i+1 < len(p) && p[i+1] == '.' {
				return false
			}
		case !isUnreserved(c):
			return false
		}
	}
	return true
}

// CheckBaseURL validates a public base URL for [RequestURI]: absolute
// http or https, with a host, without user information, query or fragment.
func CheckBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, errors.New("the public base URL is not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("the public base URL is not an absolute http or https URL")
	case u.Host == "" || u.Opaque != "":
		return nil, errors.New("the public base URL has no host")
	case u.User != nil:
		return nil, errors.New("the public base URL has user information")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, errors.New("the public base URL has a query or fragment")
	}
	if _, err := NormalizeURI(u.String()); err != nil {
		return nil, errors.New("the public base URL cannot be normalised: " + err.Error())
	}
	return u, nil
}
