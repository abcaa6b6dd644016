package middleware

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
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
	return func(o *options) { o.policy = p }
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
	s := c.policy.EffectiveScopes(at.Scopes)
	if len(s) == len(at.Scopes) && (len(s) == 0 || &s[0] == &at.Scopes[0]) {
		return at
	}
	cp := *at
	cp.Scopes = s
	return &cp
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
	rd := decision{resp: resp, reason: pd.Reason, clientID: d.clientID, level: slog.LevelInfo, err: pd.Err}
	c.reject(w, r, &rd, observe, start)
	return false
}

// checkPolicy reads r's body within the policy's cap, puts an identical
// body back in r and decides.
func (c *config) checkPolicy(r *http.Request, at *mcpauth.AccessToken) policy.Decision {
	p := c.policy
	if r.Body == nil || r.Body == http.NoBody {
		return p.Check(nil, r.Header, at.Scopes)
	}
	limit := p.MaxBodyBytes()
	if r.ContentLength > limit {
		return p.CheckOversized(r.Header)
	}
	size := r.ContentLength
	if size < 0 || size > 64<<10 {
		size = 512 // unknown or large: grow as the bytes arrive
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+1))
	_, err := buf.ReadFrom(io.LimitReader(r.Body, limit+1))
	b := buf.Bytes()
	if err != nil {
		// What was read cannot be passed on as the client sent it.
		r.Body = restoredBody{Reader: io.MultiReader(bytes.NewReader(b), errReader{err}), body: r.Body}
		return p.CheckUnreadable()
	}
	if int64(len(b)) > limit {
		r.Body = restoredBody{Reader: io.MultiReader(bytes.NewReader(b), r.Body), body: r.Body}
		return p.CheckOversized(r.Header)
	}
	r.Body = restoredBody{Reader: bytes.NewReader(b), body: r.Body}
	return p.Check(b, r.Header, at.Scopes)
}

// restoredBody is the request body after the policy read it: the bytes
// read, then whatever was not, closing the original.
type restoredBody struct {
	io.Reader
	body io.ReadCloser
}

// Close closes the original body.
func (b restoredBody) Close() error { return b.body.Close() }

// errReader returns err once the bytes before it are read.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
