package middleware

import (
	"io"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/policy"
)

// WithPolicy authorizes each MCP operation with p, after the token is
// verified and before the next handler runs: it reads the request body (up
// to p.MaxBodyBytes()), decides with [policy.Policy.Check] and hands the
// next handler a body identical, byte for byte, to the one the client sent.
//
// A token lacking a scope the operation needs gets 403 with
// WWW-Authenticate: Bearer error="insufficient_scope", scope= every scope
// the operation needs (the required scopes of [WithRequiredScopes] and of
// the verifier, and the policy's for every message of a batch),
// resource_metadata=…, and a JSON-RPC error body carrying the request's id,
// so that MCP clients can step up. An operation the policy denies whatever
// the scopes gets 403 without a challenge; an unreadable body the policy
// needs, or Mcp-Method / Mcp-Name disagreeing with the body, 400 (JSON-RPC
// -32700, -32600 or -32020); a body above the cap that the policy needs,
// 413. Every refusal is logged with its reason (never the token) and
// reported to [WithObserver]. See package policy for how the body is read.
//
// The policy's scope hierarchy (Implies) and scope prefix apply to every
// scope check of the middleware: the required scopes, [RequireScopes] and
// the operation scopes. The token handed to the next handler
// ([AccessTokenFrom]) carries its effective scopes in Scopes: the granted
// ones without the prefix, then those they imply, so that a tool handler's
// HasScopes sees the hierarchy too. Scopes a verifier checks itself (such
// as verify.Settings.RequiredScopes) are checked before the hierarchy
// applies; give them to WithRequiredScopes instead.
//
// nil (the default) means no operation policy.
func WithPolicy(p *policy.Policy) Option {
	return func(o *options) { o.policy, o.policyFromHeaders = p, false }
}

// WithPolicyFromHeaders is [WithPolicy] for an auth service that a gateway
// asks about requests whose body it never sees (nginx auth_request,
// forward-auth, Envoy ext_authz): each operation is decided from the
// Mcp-Method and Mcp-Name headers with [policy.Policy.CheckHeaders], and the
// body, if any, is not read. Refusals are answered as by WithPolicy; a POST
// whose operation the headers do not tell (no Mcp-Method, a protocol
// version before 2026-07-28, no Mcp-Name for a tool, prompt or resource) is
// refused with 400 when p has operation rules.
//
// WARNING: the headers are the client's word. This is sound only when the
// MCP server that finally receives the request refuses every request whose
// Mcp-Method or Mcp-Name disagrees with its body, as servers of MCP
// 2026-07-28 and later must; in front of any other server a client names a
// harmless tool in the header and calls another in the body. Wherever the
// body can be read, use WithPolicy.
//
// nil (the default) means no operation policy. The last of WithPolicy and
// WithPolicyFromHeaders wins.
func WithPolicyFromHeaders(p *policy.Policy) Option {
	return func(o *options) { o.policy, o.policyFromHeaders = p, p != nil }
}

// setPolicy applies the policy's scope forms to the configuration: required
// scopes compared without the prefix, challenge scopes advertised with it and
// without offline_access.
func (c *config) setPolicy(p *policy.Policy) {
	c.policy = p
	if p != nil {
		c.scopes = p.Canonical(c.scopes)
	}
	c.challengeScopes = c.advertised(c.challengeScopes)
}

// advertised returns scopes in the form clients request them.
func (c *config) advertised(scopes []string) []string {
	return c.policy.Advertised(scopes)
}

// grants reports whether at has every one of scopes, under the policy's
// hierarchy and prefix when there is a policy.
func (c *config) grants(at *mcpauth.AccessToken, scopes []string) bool {
	if c.policy == nil {
		return at.HasScopes(scopes...)
	}
	return c.policy.Grants(at.Scopes, scopes...)
}

// effective returns at with its effective scopes under the policy: a copy
// when they differ from the granted ones.
func (c *config) effective(at *mcpauth.AccessToken) *mcpauth.AccessToken {
	if c.policy == nil {
		return at
	}
	var buf [len(effectiveToken{}.scopes)]string
	s, changed := c.policy.AppendEffectiveScopes(buf[:0], at.Scopes)
	if !changed {
		return at
	}
	// One allocation for the copy and, typically, its scopes.
	cp := &effectiveToken{AccessToken: *at}
	if len(s) <= len(cp.scopes) {
		n := copy(cp.scopes[:], s)
		cp.Scopes = cp.scopes[:n:n]
	} else {
		cp.Scopes = slices.Clone(s)
	}
	return &cp.AccessToken
}

// effectiveToken is an access token with room for a few effective scopes.
type effectiveToken struct {
	mcpauth.AccessToken
	scopes [3]string
}

// authorize applies the policy to an accepted request. It returns false
// after writing a refusal; otherwise r.Body holds the same bytes as before.
func (c *config) authorize(w http.ResponseWriter, r *http.Request, d *decision, observe bool, start time.Time) bool {
	pd := c.checkPolicy(r, d.token)
	if pd.Allowed() {
		return true
	}
	var resp *response
	switch {
	case pd.Status == http.StatusForbidden && pd.Reason == mcpauth.ReasonInsufficientScope:
		scopes := union(c.challengeScopes, c.advertised(pd.Scopes))
		resp = c.render(http.StatusForbidden, codeInsufficientScope, descInsufficient, true, scopes)
		resp.body = pd.Body(scopes)
	default:
		resp = &response{status: pd.Status, desc: pd.Err.Error(), body: pd.Body(nil)}
	}
	rd := decision{resp: resp, reason: pd.Reason, clientID: d.clientID, scopes: d.scopes, level: slog.LevelInfo, err: pd.Err}
	c.reject(w, r, &rd, observe, start)
	return false
}

// checkPolicy reads r's body within the policy's cap, puts an identical
// body back in r and decides; with WithPolicyFromHeaders it decides from
// the headers without reading the body.
func (c *config) checkPolicy(r *http.Request, at *mcpauth.AccessToken) policy.Decision {
	p := c.policy
	if c.policyFromHeaders {
		return p.CheckHeaders(r.Method, r.Header, at.Scopes)
	}
	if r.Body == nil || r.Body == http.NoBody {
		return p.Check(nil, r.Header, at.Scopes)
	}
	limit := p.MaxBodyBytes()
	if r.ContentLength > limit {
		return p.CheckOversized(r.Header)
	}
	var rb *restoredBody
	var buf []byte
	if r.ContentLength >= 0 && r.ContentLength < int64(len(smallBody{}.buf)) {
		// A typical message: one allocation for the bytes and the reader.
		sb := new(smallBody)
		rb, buf = &sb.restoredBody, sb.buf[:0]
	} else {
		rb = new(restoredBody)
	}
	b, over, err := readCapped(r.Body, r.ContentLength, limit, buf)
	rb.b, rb.body = b, r.Body
	r.Body = rb
	switch {
	case err != nil:
		// What was read cannot be passed on as the client sent it.
		rb.err = err
		return p.CheckUnreadable()
	case over:
		rb.rest = true
		return p.CheckOversized(r.Header)
	}
	return p.Check(b, r.Header, at.Scopes)
}

// readCapped reads body to its end, or until it has more than limit bytes
// (over). size is the announced length, or -1. buf, when not nil, is empty
// memory to read into, with room for size bytes and one more.
func readCapped(body io.Reader, size, limit int64, buf []byte) (b []byte, over bool, err error) {
	switch {
	case size < 0:
		size = 512 // unknown: grow as the bytes arrive
	case size > 64<<10:
		size = 64 << 10 // large: do not trust the announcement with memory
	}
	if b = buf; b == nil {
		b = make([]byte, 0, size+1) // one spare byte to see the end
	}
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) > limit {
			return b, true, nil
		}
		switch {
		case err == io.EOF:
			return b, false, nil
		case err != nil:
			return b, false, err
		}
	}
}

// restoredBody is the request body after the policy read it: the bytes
// read, then (rest) whatever was not, or err; Close closes the original.
type restoredBody struct {
	b    []byte
	off  int
	rest bool  // the original body continues after b
	err  error // returned after b
	body io.ReadCloser
}

// smallBody is a restoredBody with room for the bytes of a body shorter
// than its buffer (the size makes one 512-byte allocation).
type smallBody struct {
	restoredBody
	buf [440]byte
}

// Read implements io.Reader.
func (rb *restoredBody) Read(p []byte) (int, error) {
	if rb.off < len(rb.b) {
		n := copy(p, rb.b[rb.off:])
		rb.off += n
		return n, nil
	}
	switch {
	case rb.err != nil:
		return 0, rb.err
	case rb.rest:
		return rb.body.Read(p)
	}
	return 0, io.EOF
}

// WriteTo implements io.WriterTo, so that io.Copy hands the bytes read over
// without a buffer of its own.
func (rb *restoredBody) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(rb.b[rb.off:])
	rb.off += n
	total := int64(n)
	switch {
	case err != nil:
		return total, err
	case rb.err != nil:
		return total, rb.err
	case rb.rest:
		m, err := io.Copy(w, onlyReader{rb.body})
		return total + m, err
	}
	return total, nil
}

// onlyReader hides every method of a reader but Read.
type onlyReader struct{ io.Reader }

// Close closes the original body.
func (rb *restoredBody) Close() error { return rb.body.Close() }
