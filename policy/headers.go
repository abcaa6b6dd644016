package policy

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/mcpauth/mcpauth"
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

// HeaderProtocolVersion is the request header naming the MCP protocol
// version of a streamable HTTP request.
const HeaderProtocolVersion = "MCP-Protocol-Version"

// HeaderValidationVersion is the first MCP protocol version whose servers
// must refuse a request whose Mcp-Method or Mcp-Name disagrees with its body
// (400, HeaderMismatch). [Policy.CheckHeaders] decides only on requests of
// this version or later.
const HeaderValidationVersion = "2026-07-28"

// ReasonHeadersRequired: [Policy.CheckHeaders] cannot tell the operation of
// a request from its headers (no Mcp-Method, an older protocol version, a
// target that no header carries).
const ReasonHeadersRequired mcpauth.Reason = "mcp_headers_required"

// Refusal details of CheckHeaders.
var (
	errOldVersion    = errors.New("the request does not declare MCP-Protocol-Version " + HeaderValidationVersion + " or later, whose servers validate Mcp-Method and Mcp-Name")
	errNoMethod      = errors.New("the request has no single Mcp-Method header")
	errNoName        = errors.New("the request has no single valid Mcp-Name header for an operation the policy looks up by name")
	errNameNoTarget  = errors.New("the request has Mcp-Name for a method without a target")
	errUntargetable  = errors.New("the operation's target is carried by no header, and the policy looks it up")
	msgHeadersNeeded = "invalid request: this server authorizes each operation from the Mcp-Method and Mcp-Name headers of MCP-Protocol-Version " + HeaderValidationVersion + " or later"
)

// CheckHeaders decides on a request whose body it does not see, from its
// Mcp-Method and Mcp-Name headers alone: the decision of an auth service
// that a gateway (nginx auth_request, forward-auth, Envoy ext_authz) asks
// about a request without sending its body. method is the request's HTTP
// method; granted are the scopes of its verified token.
//
// WARNING: the headers are the client's word. The decision holds only when
// the MCP server behind refuses every request whose Mcp-Method or Mcp-Name
// disagrees with its body, as servers of MCP [HeaderValidationVersion] and
// later must (and refuses JSON-RPC batches, or checks every message). In
// front of any other server a client names a harmless tool in the header
// and calls another in the body. Use [Policy.Check] wherever the body can be
// read.
//
// Requests other than POST carry no JSON-RPC message and are let through,
// as is every request when the policy has nothing to decide on
// ([Policy.NeedsBody] is false). A POST is refused with 400
// ([ReasonHeadersRequired], JSON-RPC -32600) unless it has exactly one
// MCP-Protocol-Version header of [HeaderValidationVersion] or later and
// exactly one Mcp-Method; tools/call, prompts/get and resources/read need
// exactly one Mcp-Name (decoded from =?base64?...?=), other methods none;
// resources/subscribe, whose URI no header carries, is refused when the
// policy has resource rules or denies unlisted operations. Then the
// operation is decided as by Check: 403 [ReasonDenied], or 403
// [mcpauth.ReasonInsufficientScope] with the scopes it needs.
func (p *Policy) CheckHeaders(method string, h http.Header, granted []string) Decision {
	if method != http.MethodPost || !p.needsBody {
		return Decision{}
	}
	headersNeeded := func(err error) Decision {
		return refuse(http.StatusBadRequest, ReasonHeadersRequired, err, CodeInvalidRequest, msgHeadersNeeded, nil)
	}
	if v := h.Values(HeaderProtocolVersion); len(v) != 1 || !isVersionAtLeast(strings.Trim(v[0], " \t"), HeaderValidationVersion) {
		return headersNeeded(errOldVersion)
	}
	methods := h.Values(HeaderMethod)
	if len(methods) != 1 || strings.Trim(methods[0], " \t") == "" {
		return headersNeeded(errNoMethod)
	}
	m := message{hasMethod: true, method: []byte(strings.Trim(methods[0], " \t"))}
	names := h.Values(HeaderName)
	switch string(m.method) {
	case MethodToolsCall, MethodPromptsGet, MethodResourcesRead:
		if len(names) != 1 {
			return headersNeeded(errNoName)
		}
		name, ok := decodeHeaderValue(strings.Trim(names[0], " \t"))
		if !ok || name == "" {
			return headersNeeded(errNoName)
		}
		if string(m.method) == MethodResourcesRead {
			m.hasURI, m.uri = true, []byte(name)
		} else {
			m.hasName, m.name = true, []byte(name)
		}
	case MethodResourcesSubscribe:
		if len(names) != 0 {
			return headersNeeded(errNameNoTarget)
		}
		if p.deny || p.resources.hasDefault || len(p.resources.exact) > 0 || len(p.prefixes) > 0 {
			return headersNeeded(errUntargetable)
		}
	default:
		if len(names) != 0 {
			return headersNeeded(errNameNoTarget)
		}
	}
	var ms, ts []string
	v := verdictOK
	if string(m.method) == MethodResourcesSubscribe {
		ms = p.methods[MethodResourcesSubscribe] // no resource rule applies
	} else {
		ms, ts, v = p.required(&m)
	}
	switch {
	case v == verdictInvalid:
		return headersNeeded(errNoName)
	case v == verdictDenied:
		return refuse(http.StatusForbidden, ReasonDenied, errDenied, CodeForbidden, msgDenied, nil)
	case !p.grantsAll(granted, ms) || !p.grantsAll(granted, ts):
		d := refuse(http.StatusForbidden, mcpauth.ReasonInsufficientScope, errInsufficient, CodeForbidden, msgInsufficient, nil)
		d.Scopes = union(union(nil, ms...), ts...)
		return d
	}
	return Decision{}
}

// isVersionAtLeast reports whether v is an MCP protocol version
// (YYYY-MM-DD) not older than min.
func isVersionAtLeast(v, min string) bool {
	if len(v) != len("2006-01-02") || v[4] != '-' || v[7] != '-' {
		return false
	}
	for i := 0; i < len(v); i++ {
		if i != 4 && i != 7 && (v[i] < '0' || v[i] > '9') {
			return false
		}
	}
	return v >= min
}
