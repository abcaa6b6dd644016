package policy

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Request headers of MCP protocol version 2026-07-28 (streamable HTTP,
// "Request Metadata"): they mirror the body's method and target so that
// intermediaries can route without reading the body.
const (
	HeaderMethod = "Mcp-Method"
	HeaderName   = "Mcp-Name"
)

// errHeaderMismatch is the reason of a 400 / -32020 refusal.
var errHeaderMismatch = errors.New("Mcp-Method or Mcp-Name does not match the request body")

// Sentinel form of a header value that is not plain ASCII:
// =?base64?<standard base64 of the UTF-8 value>?= (lower case, exact).
const (
	b64Open  = "=?base64?"
	b64Close = "?="
)

// decodeHeaderValue returns the value an Mcp-Name header stands for: the
// decoded payload of the =?base64?...?= form, or the value itself. ok is
// false for a sentinel whose payload is not base64 of valid UTF-8.
func decodeHeaderValue(v string) (string, bool) {
	inner, ok := strings.CutPrefix(v, b64Open)
	if !ok {
		return v, true
	}
	inner, ok = strings.CutSuffix(inner, b64Close)
	if !ok {
		return v, true // not the exact wrapper: a literal value
	}
	b, err := base64.StdEncoding.Strict().DecodeString(inner)
	if err != nil {
		if b, err = base64.RawStdEncoding.Strict().DecodeString(inner); err != nil {
			return "", false
		}
	}
	if !utf8.Valid(b) {
		return "", false
	}
	return string(b), true
}

// hasMCPHeaders reports whether h carries Mcp-Method or Mcp-Name.
func hasMCPHeaders(h http.Header) bool {
	if h == nil {
		return false
	}
	_, m := h[HeaderMethod]
	_, n := h[HeaderName]
	return m || n
}

// checkHeaders validates Mcp-Method and Mcp-Name, when present, against the
// parsed body: each must be a single header line, and every message must
// have that method and that target (params.name for tools/call and
// prompts/get, params.uri for resources/read). A name header on a message
// without a target is a mismatch too.
func checkHeaders(h http.Header, b *body) error {
	methods, hasMethod := h[HeaderMethod]
	names, hasName := h[HeaderName]
	if !hasMethod && !hasName {
		return nil
	}
	if len(methods) > 1 || len(names) > 1 || b.other || b.len() == 0 {
		return errHeaderMismatch
	}
	var name string
	if hasName {
		var ok bool
		if name, ok = decodeHeaderValue(strings.Trim(names[0], " \t")); !ok {
			return errHeaderMismatch
		}
	}
	for i := 0; i < b.len(); i++ {
		m := b.at(i)
		if hasMethod && (!m.hasMethod || m.badMember == errMethodType || string(m.method) != strings.Trim(methods[0], " \t")) {
			return errHeaderMismatch
		}
		if !hasName {
			continue
		}
		var target []byte
		var ok bool
		switch string(m.method) {
		case MethodToolsCall, MethodPromptsGet:
			target, ok = m.name, m.hasName
		case MethodResourcesRead:
			target, ok = m.uri, m.hasURI
		}
		if !ok || m.badMember != nil || string(target) != name {
			return errHeaderMismatch
		}
	}
	return nil
}
