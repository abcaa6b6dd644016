package verify

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/mcpauth/mcpauth"
)

// Option adjusts a [JWTVerifier] beyond its [Settings]: injected
// dependencies for tests and embedding. A nil Option is a configuration
// error; a nil value given to an option means that option's default.
type Option func(*options)

type options struct {
	now        func() time.Time
	httpClient *http.Client
	logger     *slog.Logger
	keySource  mcpauth.KeySource
	ctx        context.Context
}

// WithClock sets the clock used for exp, nbf and iat (and the JWK Set's
// rate limits). nil (the default) means time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// WithHTTPClient sets the HTTP client used to fetch the JWK Set. Redirects
// are refused whatever the client's CheckRedirect says. nil (the default)
// means a new client with the JWKS timeout.
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) { o.httpClient = c }
}

// WithLogger sets the logger for key-source events. nil (the default) means
// slog.Default(). Tokens are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithKeySource verifies tokens with keys from ks instead of
// Settings.PublicKey or Settings.JWKSURI, which must then both be empty.
// Settings.Algorithms must be set: the source must pin each key to the
// algorithms it allows.
func WithKeySource(ks mcpauth.KeySource) Option {
	return func(o *options) { o.keySource = ks }
}

// WithContext sets the context that bounds background work (the JWK Set's
// refresh loop). Cancelling it has the same effect as [JWTVerifier.Close].
// nil (the default) means context.Background().
func WithContext(ctx context.Context) Option {
	return func(o *options) { o.ctx = ctx }
}
