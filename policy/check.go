package policy

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/mcpauth/mcpauth"
)

// Reasons of refusals, in [Decision] and in the middleware's log records and
// outcomes. A scope shortfall is [mcpauth.ReasonInsufficientScope].
const (
	// ReasonDenied: an operation that [WithDenyUnlisted] refuses.
	ReasonDenied mcpauth.Reason = "operation_denied"
	// ReasonHeaderMismatch: Mcp-Method or Mcp-Name disagrees with the body.
	ReasonHeaderMismatch mcpauth.Reason = "header_mismatch"
	// ReasonInvalidBody: a body the policy needs but cannot read
	// unambiguously, or a message without the member the policy decides on.
	ReasonInvalidBody mcpauth.Reason = "invalid_body"
	// ReasonBodyTooLarge: a body above [WithMaxBodyBytes] that the policy
	// needs.
	ReasonBodyTooLarge mcpauth.Reason = "body_too_large"
)

// Refusal details for logs.
var (
	errMissingTarget = errors.New("the policy needs params.name or params.uri, which the message lacks")
	errDenied        = errors.New("the policy does not allow the operation")
	errInsufficient  = errors.New("the access token lacks a scope the operation requires")
	errTooLarge      = errors.New("the request body is larger than the policy reads")
	errUnreadable    = errors.New("the request body could not be read")
)

// JSON-RPC error codes of refusals.
const (
	// CodeForbidden is the code of a refusal for scopes (HTTP 403). It is in
	// the range JSON-RPC reserves for implementation-defined server errors.
	CodeForbidden = -32003
	// CodeHeaderMismatch is MCP's HeaderMismatch (2026-07-28), for HTTP 400.
	CodeHeaderMismatch = -32020
	// CodeParseError is JSON-RPC's "Parse error".
	CodeParseError = -32700
	// CodeInvalidRequest is JSON-RPC's "Invalid Request".
	CodeInvalidRequest = -32600
)

// Fixed messages of the JSON-RPC error bodies. They never contain request
// data.
const (
	msgInsufficient = "insufficient scope: the access token lacks a scope this operation requires"
	msgDenied       = "forbidden: the server's policy does not allow this operation"
	msgMismatch     = "header mismatch: Mcp-Method or Mcp-Name does not match the request body"
	msgParse        = "parse error: the request body cannot be read unambiguously"
	msgInvalid      = "invalid request: the server's policy cannot tell which tool, prompt or resource this request is for"
	msgTooLarge     = "request body too large"
	msgUnreadable   = "the request body could not be read"
)

// Decision is the policy's verdict on one request. The zero Decision lets
// the request through.
type Decision struct {
	// Status is 0 when the request may go on, else the HTTP status of the
	// refusal: 400 (unreadable body or header mismatch), 403 (scopes or
	// denied operation) or 413 (body too large).
	Status int
	// Reason classifies a refusal.
	Reason mcpauth.Reason
	// Scopes lists, for a refusal with [mcpauth.ReasonInsufficientScope],
	// every scope the request's operations need by the policy (without the
	// scope prefix): the union over all messages of a batch, not only the
	// missing ones. The server's required scopes are not included.
	Scopes []string
	// Err describes the refusal for logs. Its text is fixed and never
	// contains request data.
	Err error

	code    int
	message string
	ids     [][]byte // raw JSON ids of the refused requests
	batch   bool
}

// Allowed reports whether the request may go on.
func (d *Decision) Allowed() bool { return d.Status == 0 }

// Check decides on one HTTP request to an MCP endpoint, given its whole
// body, its headers and the scopes of its verified access token (as in
// [mcpauth.AccessToken.Scopes]). It does not change body.
//
// An empty body has no operation and is let through. Otherwise the body is
// read strictly (see the package documentation); a body it cannot read is
// refused with 400 when the policy needs it or Mcp-Method / Mcp-Name are
// present, and let through otherwise, for the MCP server to answer. When
// Mcp-Method or Mcp-Name is present it must match every message of the body
// (400, JSON-RPC -32020). Then every message's operation is looked up: a
// message the policy needs to identify but cannot (tools/call without a
// string params.name, …) is refused with 400, a denied operation with 403,
// and a token lacking any scope that any message needs with 403 naming all
// of them.
func (p *Policy) Check(b []byte, h http.Header, granted []string) Decision {
	headers := hasMCPHeaders(h)
	if len(b) == 0 {
		if headers {
			return refuse(http.StatusBadRequest, ReasonHeaderMismatch, errHeaderMismatch, CodeHeaderMismatch, msgMismatch, nil)
		}
		return Decision{}
	}
	var parsed body
	if err := parseBody(b, &parsed); err != nil {
		if p.needsBody || headers {
			return refuse(http.StatusBadRequest, ReasonInvalidBody, err, CodeParseError, msgParse, nil)
		}
		return Decision{}
	}
	if headers {
		if err := checkHeaders(h, &parsed); err != nil {
			return refuse(http.StatusBadRequest, ReasonHeaderMismatch, err, CodeHeaderMismatch, msgMismatch, &parsed, b)
		}
	}
	if !p.needsBody {
		return Decision{}
	}
	denied, missing := false, false
	for i := 0; i < parsed.len(); i++ {
		m := parsed.at(i)
		ms, ts, v := p.required(m)
		switch v {
		case verdictInvalid:
			err := m.badMember
			if err == nil {
				err = errMissingTarget
			}
			return refuse(http.StatusBadRequest, ReasonInvalidBody, err, CodeInvalidRequest, msgInvalid, &parsed, b)
		case verdictDenied:
			denied = true
		}
		missing = missing || !p.grantsAll(granted, ms) || !p.grantsAll(granted, ts)
	}
	switch {
	case denied:
		return refuse(http.StatusForbidden, ReasonDenied, errDenied, CodeForbidden, msgDenied, &parsed, b)
	case missing:
		d := refuse(http.StatusForbidden, mcpauth.ReasonInsufficientScope, errInsufficient, CodeForbidden, msgInsufficient, &parsed, b)
		// Every scope any message needs, so that one step-up is enough.
		for i := 0; i < parsed.len(); i++ {
			ms, ts, _ := p.required(parsed.at(i))
			d.Scopes = union(union(d.Scopes, ms...), ts...)
		}
		return d
	}
	return Decision{}
}

// grantsAll reports whether granted has every one of scopes (normalised).
func (p *Policy) grantsAll(granted, scopes []string) bool {
	for _, s := range scopes {
		if !p.grantsOne(granted, s) {
			return false
		}
	}
	return true
}

// CheckOversized decides on a request whose body is larger than
// [Policy.MaxBodyBytes]: refused with 413 when the policy needs the body or
// Mcp-Method / Mcp-Name are present (they cannot be validated), let through
// otherwise.
func (p *Policy) CheckOversized(h http.Header) Decision {
	if p.needsBody || hasMCPHeaders(h) {
		return refuse(http.StatusRequestEntityTooLarge, ReasonBodyTooLarge, errTooLarge, CodeInvalidRequest, msgTooLarge, nil)
	}
	return Decision{}
}

// CheckUnreadable returns the refusal (400) of a request whose body could
// not be read to the end (the client went away, or a limit set before the
// policy was hit): its body cannot be passed on intact.
func (p *Policy) CheckUnreadable() Decision {
	return refuse(http.StatusBadRequest, ReasonInvalidBody, errUnreadable, CodeParseError, msgUnreadable, nil)
}

// refuse builds a refusal; with a parsed body (and its bytes) it carries the
// ids of its requests.
func refuse(status int, reason mcpauth.Reason, err error, code int, msg string, parsed *body, b ...[]byte) Decision {
	d := Decision{Status: status, Reason: reason, Err: err, code: code, message: msg}
	if parsed != nil {
		d.batch = parsed.batch
		for i := 0; i < parsed.len(); i++ {
			if m := parsed.at(i); m.hasID {
				d.ids = append(d.ids, b[0][m.id.start:m.id.end])
			}
		}
	}
	return d
}

// Body renders the JSON-RPC error response of a refusal: one error object
// carrying the request's id (null when it has none or the body could not be
// read), or for a batch an array with one error per request. scopes, when
// not empty, are the scopes to name in the error's data (as in the
// challenge). It returns nil for an allowed request.
func (d *Decision) Body(scopes []string) []byte {
	if d.Allowed() {
		return nil
	}
	one := func(dst []byte, id []byte) []byte {
		dst = append(dst, `{"jsonrpc":"2.0","id":`...)
		if id == nil {
			dst = append(dst, "null"...)
		} else {
			dst = append(dst, id...)
		}
		dst = append(dst, `,"error":{"code":`...)
		dst = strconv.AppendInt(dst, int64(d.code), 10)
		dst = append(dst, `,"message":`...)
		dst = appendJSONString(dst, d.message)
		dst = append(dst, `,"data":{"reason":`...)
		dst = appendJSONString(dst, string(d.Reason))
		if len(scopes) > 0 {
			dst = append(dst, `,"scope":`...)
			dst = appendJSONString(dst, strings.Join(scopes, " "))
		}
		return append(dst, "}}}"...)
	}
	var out []byte
	if !d.batch || len(d.ids) == 0 {
		var id []byte
		if len(d.ids) == 1 && !d.batch {
			id = d.ids[0]
		}
		return one(out, id)
	}
	out = append(out, '[')
	for i, id := range d.ids {
		if i > 0 {
			out = append(out, ',')
		}
		out = one(out, id)
	}
	return append(out, ']')
}

// appendJSONString appends s as a JSON string; s is printable ASCII
// without '"' or '\' (scope tokens), but anything else is escaped.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			dst = append(dst, `\u00`...)
			dst = append(dst, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
			continue
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}
