package middleware

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/unreadbody"
)

// New returns middleware that lets a request through only with an access
// token accepted by v, as described in the package documentation, and puts
// the token in the request context for [AccessTokenFrom].
//
// v must be safe for concurrent use. If it implements [mcpauth.ScopeRequirer],
// its RequiredScopes are read once, here, and advertised in challenges.
//
// New is the Must form of [NewChecked]: it panics with NewChecked's error (a
// nil verifier, a nil Option or an invalid option value), as
// regexp.MustCompile does, so that a wrong literal configuration stops the
// program at start-up. Use NewChecked for options built from input. The
// returned function panics on a nil handler.
func New(v mcpauth.TokenVerifier, opts ...Option) func(http.Handler) http.Handler {
	m, err := NewChecked(v, opts...)
	if err != nil {
		panic(err)
	}
	return m
}

// NewChecked is [New] returning configuration errors instead of panicking.
// Every option is validated once, here; the error matches
// [mcpauth.ErrInvalidConfig] and names the option at fault. The returned
// function panics on a nil handler.
func NewChecked(v mcpauth.TokenVerifier, opts ...Option) (func(http.Handler) http.Handler, error) {
	c, err := newConfig(v, opts)
	if err != nil {
		return nil, err
	}
	return func(next http.Handler) http.Handler {
		if next == nil {
			panic("middleware: nil handler")
		}
		return &handler{cfg: c, next: next}
	}, nil
}

// handler carries out decide's decisions.
type handler struct {
	cfg  *config
	next http.Handler
}

// ServeHTTP implements http.Handler.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := h.cfg
	observe := c.observer != nil
	var start time.Time
	if observe {
		start = c.now()
	}
	d := decide(r, c.verifier, c)
	c.setNonce(w)
	switch {
	case d.preflight:
		c.logger.LogAttrs(r.Context(), slog.LevelDebug, "mcpauth: CORS preflight passed through without authentication",
			slog.String("method", r.Method), slog.String("path", urlPath(r)))
		h.next.ServeHTTP(w, r.WithContext(withAuthInfo(r.Context(), authInfo{cfg: c, preflight: true})))
	case d.resp == nil:
		if c.policy != nil && !c.authorize(w, r, &d, observe, start) {
			return
		}
		if observe {
			c.observer(r, Outcome{Accepted: true, ClientID: d.clientID, Scopes: d.scopes, Duration: c.now().Sub(start)})
		}
		h.next.ServeHTTP(w, r.WithContext(withAuthInfo(r.Context(), authInfo{token: d.token, cfg: c})))
	default:
		c.reject(w, r, &d, observe, start)
	}
}

// reject logs and writes a rejection and reports it to the observer.
func (c *config) reject(w http.ResponseWriter, r *http.Request, d *decision, observe bool, start time.Time) {
	var o Outcome
	if observe {
		o = Outcome{Status: d.resp.status, Reason: d.reason, ClientID: d.clientID, Scopes: d.scopes, Duration: c.now().Sub(start)}
	}
	logRejection(c.logger, r, d)
	writeResponse(w, r, d.resp)
	if observe {
		c.observer(r, o)
	}
}

// logRejection logs a rejected request. The record never contains the
// token: the reason, status and fixed description are chosen by the
// middleware and the verifier's error is redacted.
func logRejection(l *slog.Logger, r *http.Request, d *decision) {
	ctx := r.Context()
	if !l.Enabled(ctx, d.level) {
		return
	}
	msg := "mcpauth: request rejected"
	if d.level >= slog.LevelError {
		msg = "mcpauth: request rejected after an unexpected verifier error"
	}
	attrs := make([]slog.Attr, 0, 7)
	attrs = append(attrs,
		slog.String("reason", string(d.reason)),
		slog.Int("status", d.resp.status),
		slog.String("method", r.Method),
		slog.String("path", urlPath(r)),
		slog.String("description", d.resp.desc),
	)
	if d.clientID != "" {
		attrs = append(attrs, slog.String("client_id", d.clientID))
	}
	if d.err != nil {
		attrs = append(attrs, slog.String("error", d.err.Error()))
	}
	l.LogAttrs(ctx, d.level, msg, attrs...)
}

// writeResponse writes a rendered error response at once, without waiting
// for a request body nobody will read, and closes an HTTP/1 connection
// whose request announced one (unreadbody.Abandon).
func writeResponse(w http.ResponseWriter, r *http.Request, resp *response) {
	unreadbody.Abandon(w, r)
	h := w.Header()
	h.Del("WWW-Authenticate")
	if resp.challenge != "" {
		h.Add("WWW-Authenticate", resp.challenge)
	}
	if resp.dpopChallenge != "" {
		h.Add("WWW-Authenticate", resp.dpopChallenge)
	}
	if resp.retryAfter != "" {
		h.Set("Retry-After", resp.retryAfter)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

// urlPath returns the request path for logs.
func urlPath(r *http.Request) string {
	if r.URL == nil {
		return ""
	}
	return r.URL.Path
}
