package introspect

import (
	"log/slog"
	"net/http"
	"time"
)

// Option adjusts a [Verifier] beyond its [Config]: injected dependencies for
// tests and embedding.
type Option func(*options)

type options struct {
	now    func() time.Time
	client *http.Client
	logger *slog.Logger
}

// WithClock sets the clock used for exp, the cache and the discovery retry
// interval. Nil or unset means time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// WithHTTPClient sets the HTTP client that calls the endpoint and fetches
// the issuer's metadata. The client is copied and its CheckRedirect
// replaced: redirects are never followed. Config.Timeout applies in
// addition to the client's own timeout. Nil or unset means a new client.
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) { o.client = c }
}

// WithLogger sets the logger for discovery events. Nil or unset means
// slog.Default(). Tokens, client secrets and response bodies are never
// logged.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// noRedirects makes the client return a 3xx response as is; the call then
// fails on the status.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
