package policy

import (
	"errors"
	"strings"
)

// errURI is returned for a resource URI that servers could resolve to
// different resources: an encoded '/' or '\', a raw '\', or a malformed
// percent-encoding.
var errURI = errors.New("a resource URI has an encoded '/' or '\\', a '\\', or a malformed %-escape")

// normalizeURI applies RFC 3986 section 6.2.2 syntax-based normalisation, so
// that a policy written for notes://private/ also covers NOTES://private/x,
// notes://%70rivate/x and notes://public/../private/x, which a server may
// resolve to the same resource: the scheme and host are lower-cased,
// percent-encoded unreserved characters decoded, the remaining escapes
// upper-cased, and dot segments removed from the path. The URI the server
// receives is not changed; only the policy's reading is.
func normalizeURI(s string) (string, error) {
	if strings.IndexByte(s, '\\') >= 0 {
		return "", errURI
	}
	if strings.IndexByte(s, '%') >= 0 {
		var err error
		if s, err = normalizeEscapes(s); err != nil {
			return "", err
		}
	}
	scheme, rest := "", s
	if i := schemeEnd(s); i > 0 {
		scheme, rest = strings.ToLower(s[:i+1]), s[i+1:]
	}
	authority := ""
	if strings.HasPrefix(rest, "//") {
		end := len(rest)
		if i := strings.IndexAny(rest[2:], "/?#"); i >= 0 {
			end = 2 + i
		}
		authority, rest = rest[:end], rest[end:]
		userinfo, host := "", authority[2:]
		if i := strings.LastIndexByte(host, '@'); i >= 0 {
			userinfo, host = host[:i+1], host[i+1:]
		}
		authority = "//" + userinfo + strings.ToLower(host)
	}
	path, tail := rest, ""
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		path, tail = rest[:i], rest[i:]
	}
	if strings.Contains(path, ".") {
		path = removeDotSegments(path)
	}
	return scheme + authority + path + tail, nil
}

// schemeEnd returns the index of the ':' ending a URI scheme
// (ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )), or -1.
func schemeEnd(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return i
		default:
			return -1
		}
	}
	return -1
}

// normalizeEscapes decodes %XX escapes of unreserved characters and
// upper-cases the others. An escape of '/' or '\' or a '%' not followed by
// two hex digits is an error.
func normalizeEscapes(s string) (string, error) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(s) {
			return "", errURI
		}
		hi, ok1 := unhex(s[i+1])
		lo, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return "", errURI
		}
		v := hi<<4 | lo
		switch {
		case v == '/' || v == '\\':
			return "", errURI
		case isUnreserved(v):
			b.WriteByte(v)
		default:
			const hex = "0123456789ABCDEF"
			b.WriteByte('%')
			b.WriteByte(hex[v>>4])
			b.WriteByte(hex[v&15])
		}
		i += 2
	}
	return b.String(), nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// isUnreserved reports an RFC 3986 unreserved character.
func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// removeDotSegments is RFC 3986 section 5.2.4.
func removeDotSegments(in string) string {
	var out []string
	abs := strings.HasPrefix(in, "/")
	segs := strings.Split(in, "/")
	if abs {
		segs = segs[1:]
	}
	for i, seg := range segs {
		last := i == len(segs)-1
		switch seg {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, seg)
		}
	}
	res := strings.Join(out, "/")
	if abs {
		res = "/" + res
	}
	return res
}
