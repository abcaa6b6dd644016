package middleware

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/dpop"
	"github.com/mcpauth/mcpauth/internal/scopetoken"
	"github.com/mcpauth/mcpauth/internal/urlrule"
	"github.com/mcpauth/mcpauth/policy"
)

// DefaultRetryAfter is the Retry-After of 503 responses unless
// [WithRetryAfter] says otherwise.
const DefaultRetryAfter = 10 * time.Second

// Option configures [NewChecked] and [New]. An invalid value is an error
// of NewChecked (New panics with it).
type Option func(*options)

// options holds option values as given; newConfig validates them.
type options struct {
	scopes            []string
	resourceMetadata  string
	realm             string
	logger            *slog.Logger
	retryAfter        time.Duration
	retryAfterSet     bool
	observer          func(*http.Request, Outcome)
	corsPreflight     bool
	policy            *policy.Policy
	policyFromHeaders bool
	dpop              *dpop.Verifier
	dpopBase          string
	dpopSet           bool
}

// WithRequiredScopes requires every one of scopes on every request behind
// the middleware, in addition to any scopes the verifier enforces. A token
// lacking one gets a 403 insufficient_scope. Calls accumulate. Each scope
// must be an RFC 6749 scope token (non-empty printable ASCII without space,
// '"' or '\'); anything else is a configuration error.
func WithRequiredScopes(scopes ...string) Option {
	scopes = slices.Clone(scopes)
	return func(o *options) { o.scopes = append(o.scopes, scopes...) }
}

// WithResourceMetadata sets the URL of the RFC 9728 protected resource
// metadata document, sent as resource_metadata in every WWW-Authenticate
// challenge so that MCP clients can discover the authorization server. It is
// typically https://host/.well-known/oauth-protected-resource followed by the
// MCP endpoint's path; resource.Resource.MiddlewareOption derives it from
// the resource URL. The URL must be absolute http or https, with a host,
// without user information or fragment, and made only of printable ASCII
// other than space, '"' and '\'; anything else is a configuration error.
// The empty string (the default) omits the parameter.
func WithResourceMetadata(rawURL string) Option {
	return func(o *options) { o.resourceMetadata = rawURL }
}

// WithRealm sets the realm parameter of WWW-Authenticate challenges. It must
// be printable ASCII without '"' or '\'; anything else is a configuration
// error. The empty string (the default) omits the parameter.
func WithRealm(realm string) Option {
	return func(o *options) { o.realm = realm }
}

// WithLogger sets the logger for rejected requests. nil (the default) means
// slog.Default() as of the call to New.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithRetryAfter sets the Retry-After of 503 responses sent when the
// verifier has no keys (mcpauth.ErrKeySourceUnavailable). It is rendered in
// whole seconds, rounded up. It must be positive. The default is
// [DefaultRetryAfter].
func WithRetryAfter(d time.Duration) Option {
	return func(o *options) { o.retryAfter, o.retryAfterSet = d, true }
}

// WithObserver registers a function called with the [Outcome] of every
// authentication decision, for counting with Prometheus, OpenTelemetry or
// the like. It runs synchronously on the request's goroutine, so it should
// be fast. nil (the default) means no observer.
//
// It is called once per request decided by the middleware (not for CORS
// preflights passed through by [WithCORSPreflight]) and once more when
// [RequireScopes] refuses an accepted token.
func WithObserver(f func(r *http.Request, o Outcome)) Option {
	return func(o *options) { o.observer = f }
}

// WithCORSPreflight lets CORS preflight requests through without
// authentication: OPTIONS requests with Origin and
// Access-Control-Request-Method headers and no Authorization header, which
// browsers send without credentials. The next handler (a CORS handler) must
// answer them; [AccessTokenFrom] reports no token for them, and
// [RequireScopes] lets them through too.
//
// By default preflights are authenticated like any other request, and so are
// refused.
func WithCORSPreflight() Option {
	return func(o *options) { o.corsPreflight = true }
}

// Outcome describes one authentication decision. It never contains the
// token.
type Outcome struct {
	// Accepted reports whether the request was passed to the next handler
	// with an access token.
	Accepted bool
	// Status is the HTTP status the middleware wrote, or 0 when Accepted.
	Status int
	// Reason classifies a rejection: a [mcpauth.Reason] from the verifier
	// (see mcpauth.ReasonOf), mcpauth.ReasonInsufficientScope for missing
	// scopes, [ReasonNoCredentials] or [ReasonInvalidRequest]. It is empty
	// when Accepted.
	Reason mcpauth.Reason
	// ClientID is the client of an accepted token, or of a valid token
	// refused for missing scopes; otherwise empty.
	ClientID string
	// Scopes are the scopes of the token whose client is ClientID (accepted,
	// or refused after verification), as [AccessTokenFrom] gives them to
	// the next handler (with [WithPolicy], the implied ones too); otherwise
	// nil. The slice is shared with the access token: do not modify it.
	Scopes []string
	// Duration is the time taken by the decision, including the verifier but
	// not the next handler.
	Duration time.Duration
}

// Reasons reported by the middleware itself, in log records and [Outcome].
const (
	// ReasonNoCredentials: no Authorization header with the Bearer scheme.
	ReasonNoCredentials mcpauth.Reason = "no_credentials"
	// ReasonInvalidRequest: a malformed Authorization header (400).
	ReasonInvalidRequest mcpauth.Reason = "invalid_request"
)

// isQuotedChar reports whether c may appear in an RFC 6750 quoted parameter
// value: %x20-21 / %x23-5B / %x5D-7E.
func isQuotedChar(c byte) bool {
	return c == ' ' || scopetoken.IsChar(c)
}

// checkResourceMetadata validates a resource_metadata URL.
func checkResourceMetadata(s string) error {
	u, p := urlrule.Check(s, urlrule.Rules{NoUserInfo: true, Quotable: true})
	switch {
	case p == nil:
		return nil
	case u == nil:
		return fmt.Errorf("resource metadata URL %s", p.Text)
	}
	return fmt.Errorf("%q %s", u.Redacted(), p.Text)
}

// checkRealm validates a realm.
func checkRealm(s string) error {
	for i := 0; i < len(s); i++ {
		if !isQuotedChar(s[i]) {
			return fmt.Errorf("%q contains a character not allowed ('\"', '\\', control or non-ASCII)", s)
		}
	}
	return nil
}
