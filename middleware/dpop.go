package middleware

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/dpop"
)

// WithDPoP makes the middleware verify DPoP proofs (RFC 9449) with v, for
// the DPoP scheme (Authorization: DPoP <token> with a DPoP header), in v's
// mode:
//
//   - dpop.Allow: Bearer tokens as before; DPoP-bound tokens (cnf.jkt) only
//     with the DPoP scheme and a valid proof, so a bound token presented as
//     Bearer is refused (RFC 9449 §7.1). Challenges offer both schemes.
//   - dpop.Require: only DPoP-bound tokens with the DPoP scheme and a valid
//     proof. Challenges offer only DPoP.
//   - dpop.Off: as without this option: the DPoP scheme counts as no
//     credentials, and Bearer tokens are accepted whether bound or not.
//
// publicBaseURL is the scheme and host clients address (with an optional
// path prefix that a reverse proxy strips): a proof's htu must name it
// followed by the request path (dpop.RequestURI). It is configuration, never
// taken from the request, whose Host and X-Forwarded-* headers are chosen by
// the client. It must be an absolute http or https URL without user
// information, query or fragment.
//
// An accepted request's token has DPoPThumbprint set. Refused proofs get 401
// with WWW-Authenticate: DPoP error="invalid_dpop_proof" (or
// error="use_dpop_nonce" with a DPoP-Nonce header when v requires nonces);
// a replay store that cannot answer gives 503. nil v is a configuration
// error.
func WithDPoP(v *dpop.Verifier, publicBaseURL string) Option {
	return func(o *options) { o.dpop, o.dpopBase, o.dpopSet = v, publicBaseURL, true }
}

// dpopHeaderKey is the DPoP header's name in canonical form
// (http.CanonicalHeaderKey("DPoP")): indexing the header map with it saves
// canonicalising "DPoP" on every request.
const dpopHeaderKey = "Dpop"

// Fixed descriptions of the DPoP responses.
const (
	descInvalidProof = "the DPoP proof is invalid"
	descUseNonce     = "the DPoP proof must carry the server's nonce from the DPoP-Nonce header"
	descDowngrade    = "the access token is DPoP-bound: send it with the DPoP scheme and a DPoP proof"
	descDPoPRequired = "a DPoP-bound access token with the DPoP scheme and a DPoP proof is required"
	descUnbound      = "the access token is not DPoP-bound; send it with the Bearer scheme"
)

// OAuth error codes of RFC 9449 §7.1 and §9.
const (
	codeInvalidProof = "invalid_dpop_proof"
	codeUseNonce     = "use_dpop_nonce"
)

// dpopConfig is the validated DPoP part of a config.
type dpopConfig struct {
	v    *dpop.Verifier
	base *url.URL

	invalidProof *response
	useNonce     *response
	downgrade    *response // a bound token as Bearer
	required     *response // a Bearer token where DPoP is required
	unbound      *response // an unbound token with the DPoP scheme

	uri atomic.Pointer[uriMemo] // the last request path's htu (requestURI)
}

// uriMemo is a request path and the URI a proof for it must name.
type uriMemo struct {
	path, rawPath string // the request URL's Path and RawPath
	uri           string // dpop.RequestURI for them
}

// maxMemoPath bounds the request paths whose URI is remembered.
const maxMemoPath = 512

// requestURI returns dpop.RequestURI(d.base, r), remembering the last
// result: an MCP server's clients address one endpoint, so the URI is
// built once rather than for every request. The URI is a function of the
// fixed base URL and of the request URL's Path and RawPath (from which
// EscapedPath derives the escaped path), so a hit, which needs both to be
// equal, gives exactly what RequestURI would; only successes are
// remembered.
func (d *dpopConfig) requestURI(r *http.Request) (string, error) {
	u := r.URL
	if u == nil || len(u.Path)+len(u.RawPath) > maxMemoPath {
		return dpop.RequestURI(d.base, r)
	}
	if e := d.uri.Load(); e != nil && e.path == u.Path && e.rawPath == u.RawPath {
		return e.uri, nil
	}
	uri, err := dpop.RequestURI(d.base, r)
	if err != nil {
		return "", err
	}
	d.uri.Store(&uriMemo{path: strings.Clone(u.Path), rawPath: strings.Clone(u.RawPath), uri: uri})
	return uri, nil
}

// newDPoPConfig validates the WithDPoP option and renders its responses.
// It returns nil when DPoP is off or not configured.
func (c *config) newDPoPConfig(o *options) (*dpopConfig, error) {
	if !o.dpopSet {
		return nil, nil
	}
	if o.dpop == nil {
		return nil, configErr("WithDPoP: nil verifier")
	}
	base, err := dpop.CheckBaseURL(o.dpopBase)
	if err != nil {
		return nil, configErr("WithDPoP: %v", err)
	}
	if o.dpop.Mode() == dpop.Off {
		return nil, nil
	}
	return &dpopConfig{v: o.dpop, base: base}, nil
}

// renderDPoP renders the DPoP-specific responses; c.render must already
// produce both challenges.
func (c *config) renderDPoP() {
	d := c.dpop
	d.invalidProof = c.renderFor(schemeDPoP, http.StatusUnauthorized, codeInvalidProof, descInvalidProof)
	d.useNonce = c.renderFor(schemeDPoP, http.StatusUnauthorized, codeUseNonce, descUseNonce)
	d.downgrade = c.renderFor(schemeDPoP, http.StatusUnauthorized, codeInvalidToken, descDowngrade)
	d.required = c.renderFor(schemeDPoP, http.StatusUnauthorized, codeInvalidToken, descDPoPRequired)
	d.unbound = c.renderFor(schemeDPoP, http.StatusUnauthorized, codeInvalidToken, descUnbound)
}

// bearerAccepted reports whether the Bearer scheme is offered.
func (c *config) bearerAccepted() bool { return c.dpop == nil || c.dpop.v.Mode() != dpop.Require }

// checkDPoP applies DPoP to a request whose token v accepted: it refuses a
// bound token sent as Bearer, and for the DPoP scheme verifies the proof.
// It returns the token to pass on (a copy with DPoPThumbprint set for a
// proven token) or a refusal.
func (c *config) checkDPoP(r *http.Request, scheme authScheme, token string, at *mcpauth.AccessToken) (*mcpauth.AccessToken, *decision) {
	d := c.dpop
	jkt, err := dpop.Confirmation(at)
	if err != nil {
		return nil, &decision{resp: c.invalidToken, reason: mcpauth.ReasonOf(err), clientID: at.ClientID, scopes: at.Scopes, level: slog.LevelInfo, err: err}
	}
	if scheme == schemeBearer {
		if jkt != "" {
			return nil, &decision{resp: d.downgrade, reason: dpop.ReasonDowngrade, clientID: at.ClientID, scopes: at.Scopes, level: slog.LevelInfo}
		}
		return at, nil
	}
	if jkt == "" {
		return nil, &decision{resp: d.unbound, reason: dpop.ReasonUnbound, clientID: at.ClientID, scopes: at.Scopes, level: slog.LevelInfo}
	}
	uri, err := d.requestURI(r)
	if err != nil {
		return nil, &decision{resp: d.invalidProof, reason: dpop.ReasonURI, clientID: at.ClientID, scopes: at.Scopes, level: slog.LevelInfo, err: err}
	}
	proof, err := d.v.Verify(r.Context(), dpop.Request{
		Method:      r.Method,
		URI:         uri,
		Proofs:      r.Header[dpopHeaderKey],
		AccessToken: token,
		Thumbprint:  jkt,
	})
	if err != nil {
		dec := &decision{reason: mcpauth.ReasonOf(err), clientID: at.ClientID, scopes: at.Scopes, level: slog.LevelInfo, err: redactedError{err, token}}
		switch {
		case errors.Is(err, dpop.ErrUseNonce):
			dec.resp = d.useNonce
		case errors.Is(err, dpop.ErrInvalidProof):
			dec.resp = d.invalidProof
		case errors.Is(err, dpop.ErrReplayStoreUnavailable):
			dec.resp, dec.reason, dec.level = c.unavailable, mcpauth.ReasonUnavailable, slog.LevelError
		default:
			dec.resp = c.invalidToken
		}
		return nil, dec
	}
	bound := *at
	bound.DPoPThumbprint = proof.Thumbprint
	return &bound, nil
}

// setNonce sets the DPoP-Nonce header when the verifier issues nonces
// (RFC 9449 §8: on challenges and, to rotate it, on any response).
func (c *config) setNonce(w http.ResponseWriter) {
	if c.dpop == nil {
		return
	}
	if n := c.dpop.v.Nonce(); n != "" {
		w.Header().Set("DPoP-Nonce", n)
	}
}

// Combine returns one Option applying opts in order, for packages that
// hand out a set of options as one (resource.Resource.MiddlewareOption).
// If any of opts is nil it returns nil, which New refuses.
func Combine(opts ...Option) Option {
	for _, o := range opts {
		if o == nil {
			return nil
		}
	}
	opts = append([]Option(nil), opts...)
	return func(o *options) {
		for _, opt := range opts {
			opt(o)
		}
	}
}
