package jwks

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/urlrule"
)

// Defaults applied when the corresponding [Options] field is zero.
const (
	DefaultTimeout          = 10 * time.Second
	DefaultMaxBodyBytes     = 1 << 20
	DefaultRefreshInterval  = time.Hour
	DefaultRefreshRateLimit = 30 * time.Second
	// maxInitialBackoff is the first retry delay after a failed fetch; the
	// delay doubles up to the refresh rate limit.
	maxInitialBackoff = time.Second
)

// Options configures a [Set]. The zero value is usable: every field documents
// what its zero value means.
type Options struct {
	// HTTPClient sends the requests. Nil means a new client with no timeout
	// of its own (Timeout applies). The client is copied and its
	// CheckRedirect replaced: redirects are never followed, so a 3xx
	// response is a failed fetch.
	HTTPClient *http.Client
	// Timeout bounds each fetch, from connecting to reading the last byte.
	// Zero means DefaultTimeout (10s).
	Timeout time.Duration
	// MaxBodyBytes caps the JWK Set document; a larger body is a failed
	// fetch. Zero means DefaultMaxBodyBytes (1 MiB).
	MaxBodyBytes int64
	// RefreshInterval is the time between periodic refreshes after a
	// successful fetch. Zero means DefaultRefreshInterval (1h).
	RefreshInterval time.Duration
	// RefreshRateLimit is the minimum time between two refreshes triggered by
	// lookups (an unknown kid, or no key set yet), measured with Now. It also
	// caps the retry backoff after a failed fetch. Zero means
	// DefaultRefreshRateLimit (30s).
	RefreshRateLimit time.Duration
	// InsecureAllowHTTPJWKS allows a plain-http URL (of the JWK Set, or of
	// the issuer for [NewFromIssuer]) whose host is not loopback. It has the
	// name of verify.Settings.InsecureAllowHTTPJWKS, which sets it.
	// Keys fetched over plain http can be replaced by anyone on the network
	// path. Plain http to localhost, 127.0.0.0/8 or ::1 is always allowed.
	InsecureAllowHTTPJWKS bool
	// Algorithms is the allow-list of JWS algorithms (exact names). Empty
	// means [DefaultAlgorithms]: RS256 RS384 RS512 PS256 PS384 PS512 ES256
	// ES384 ES512 EdDSA Ed25519 ("Ed25519" is the RFC 9864 fully-specified
	// name of EdDSA over Ed25519; Ed448 is not supported). Symmetric
	// algorithms (HS*) and "none" are refused. Each key is further pinned to
	// its own JWK alg or to what its key type and curve allow.
	Algorithms []string
	// Clock is the clock used for the refresh rate limit and LastRefresh. Nil
	// means time.Now.
	Clock func() time.Time
	// Logger receives refresh failures (Warn), skipped keys (Warn for
	// invalid or dangerous keys, Debug for keys not meant for signature
	// verification) and successful refreshes (Debug). Nil means
	// slog.Default(). It never receives key material or token data.
	Logger *slog.Logger
}

// config is the validated form of Options.
type config struct {
	uri         string // JWK Set URL as given, validated; "" until discovered
	redacted    string // for logs and errors: password replaced
	source      string // Stats.Source: the URL or issuer given, redacted; never changes
	issuer      string // set for NewFromIssuer: discover uri from its metadata
	insecure    bool   // Options.InsecureAllowHTTPJWKS
	client      *http.Client
	timeout     time.Duration
	maxBody     int64
	interval    time.Duration
	rateLimit   time.Duration
	minBackoff  time.Duration
	maxBackoff  time.Duration
	allowed     algSet
	now         func() time.Time
	logger      *slog.Logger
	insecureURL bool
}

// noRedirects makes the client return a 3xx response as is instead of
// following it; the fetch then fails on the status.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{mcpauth.ErrInvalidConfig}, args...)...)
}

// newConfig validates uri and opts.
func newConfig(uri string, opts Options) (*config, error) {
	c := &config{
		insecure:  opts.InsecureAllowHTTPJWKS,
		timeout:   opts.Timeout,
		maxBody:   opts.MaxBodyBytes,
		interval:  opts.RefreshInterval,
		rateLimit: opts.RefreshRateLimit,
		now:       opts.Clock,
		logger:    opts.Logger,
	}
	u, err := checkURL(uri, opts.InsecureAllowHTTPJWKS)
	if err != nil {
		return nil, err
	}
	c.uri = u.String()
	c.redacted = u.Redacted()
	c.source = c.redacted
	c.insecureURL = u.Scheme == "http" && !urlrule.IsLoopbackHost(u.Hostname())

	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"Timeout", &c.timeout, DefaultTimeout},
		{"RefreshInterval", &c.interval, DefaultRefreshInterval},
		{"RefreshRateLimit", &c.rateLimit, DefaultRefreshRateLimit},
	} {
		if *d.v < 0 {
			return nil, invalidf("%s must not be negative (got %s)", d.name, *d.v)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if c.maxBody < 0 {
		return nil, invalidf("MaxBodyBytes must not be negative (got %d)", c.maxBody)
	}
	if c.maxBody == 0 {
		c.maxBody = DefaultMaxBodyBytes
	}
	c.maxBackoff = min(c.rateLimit, c.interval)
	c.minBackoff = min(maxInitialBackoff, c.maxBackoff)

	if len(opts.Algorithms) == 0 {
		c.allowed = allAlgs
	}
	for _, name := range opts.Algorithms {
		id, ok := parseAlg(name)
		switch {
		case ok:
			c.allowed |= 1 << id
		case strings.EqualFold(name, "none"):
			return nil, invalidf(`algorithm "none" is never allowed`)
		case unsupportedHint(name) != "":
			return nil, invalidf("algorithm %q: %s; allowed: %s", name, unsupportedHint(name), allAlgs)
		case isSymmetricOrNone(name):
			return nil, invalidf("symmetric algorithm %q cannot be used with a JWK Set; allowed: %s", name, allAlgs)
		default:
			return nil, invalidf("unsupported algorithm %q; allowed: %s", name, allAlgs)
		}
	}

	if c.now == nil {
		c.now = time.Now
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	if opts.HTTPClient != nil {
		cp := *opts.HTTPClient
		c.client = &cp
	} else {
		c.client = &http.Client{}
	}
	c.client.CheckRedirect = noRedirects
	return c, nil
}

// checkURL validates a JWK Set URL. Error messages never contain the URL's
// password.
func checkURL(raw string, insecureHTTP bool) (*url.URL, error) {
	u, p := urlrule.Check(raw, urlrule.Rules{HTTPS: true, InsecurePlainHTTP: insecureHTTP})
	switch {
	case p == nil:
		return u, nil
	case p.PlainHTTP:
		return nil, &plainHTTPError{fmt.Sprintf("JWK Set URL %q %s; use https (or set InsecureAllowHTTPJWKS)", u.Redacted(), p.Text)}
	case u == nil:
		return nil, invalidf("JWK Set URL %s", p.Text)
	}
	return nil, invalidf("JWK Set URL %q %s", u.Redacted(), p.Text)
}

// plainHTTPError matches both mcpauth.ErrInvalidConfig and ErrPlainHTTP
// while its text says it once.
type plainHTTPError struct{ msg string }

func (e *plainHTTPError) Error() string   { return mcpauth.ErrInvalidConfig.Error() + ": " + e.msg }
func (e *plainHTTPError) Unwrap() []error { return []error{mcpauth.ErrInvalidConfig, ErrPlainHTTP} }
