package introspect

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/scopetoken"
)

// Defaults and limits of [Config] fields.
const (
	// DefaultTimeout bounds each introspection call when Config.Timeout is
	// zero.
	DefaultTimeout = 5 * time.Second
	// DefaultMaxBodyBytes caps the introspection response (and the
	// discovery document) when Config.MaxBodyBytes is zero.
	DefaultMaxBodyBytes = 64 << 10
	// DefaultMaxTokenBytes caps the tokens sent to the endpoint when
	// Config.MaxTokenBytes is zero; larger tokens are refused unsent.
	DefaultMaxTokenBytes = 16 << 10
	// DefaultCacheMaxAge is how long an active token is served from the
	// cache at most when Config.CacheMaxAge is zero. It is short because the
	// point of introspection is to notice revocation.
	DefaultCacheMaxAge = 60 * time.Second
	// DefaultNegativeCacheMaxAge is how long a refused token is answered
	// from the cache when Config.NegativeCacheMaxAge is zero.
	DefaultNegativeCacheMaxAge = 5 * time.Second
	// MaxNegativeCacheMaxAge bounds Config.NegativeCacheMaxAge: a token
	// refused because of a transient state of the authorization server must
	// not stay refused for long.
	MaxNegativeCacheMaxAge = 10 * time.Second
	// MaxCacheSize bounds Config.CacheSize.
	MaxCacheSize = 1 << 20
	// DiscoveryRetryInterval is the minimum time between two attempts to
	// discover the endpoint; meanwhile tokens are answered with
	// [mcpauth.ErrKeySourceUnavailable] without a fetch.
	DiscoveryRetryInterval = 5 * time.Second
)

// AuthMethod is how the resource server authenticates to the introspection
// endpoint (RFC 7662 §2.1; RFC 6749 §2.3.1).
type AuthMethod string

// Client authentication methods.
const (
	// ClientSecretBasic sends the client id and secret, each
	// form-urlencoded, in an HTTP Basic Authorization header. It is the
	// default.
	ClientSecretBasic AuthMethod = "client_secret_basic"
	// ClientSecretPost sends client_id and client_secret as form
	// parameters in the request body.
	ClientSecretPost AuthMethod = "client_secret_post"
)

// Config configures a [Verifier]. [New] validates it once. Every field says
// what its zero value means.
type Config struct {
	// Endpoint is the introspection endpoint URL (RFC 7662 §2). It must be
	// https, or plain http on a loopback host (localhost, 127.0.0.0/8, ::1):
	// the client secret and every token travel in it. Empty means: discovered from the
	// introspection_endpoint of Issuer's metadata (OpenID Connect Discovery,
	// then RFC 8414), fetched from the configured issuer only.
	Endpoint string
	// Issuer is the authorization server's issuer identifier. When set, a
	// response's iss member, if present, must equal it exactly. Empty means
	// iss is not checked, and then Endpoint is required.
	Issuer string
	// Audiences lists the accepted audiences: the response's aud member
	// must name at least one of them (MCP requires tokens issued for this
	// server). At least one is required.
	Audiences []string
	// ClientID and ClientSecret are the resource server's credentials at the
	// introspection endpoint. Both are required.
	ClientID     string
	ClientSecret string
	// AuthMethod selects how the credentials are sent. Empty means
	// ClientSecretBasic.
	AuthMethod AuthMethod
	// RequiredScopes must all be granted by every accepted token; a token
	// lacking one is refused with an [*mcpauth.InsufficientScopeError].
	RequiredScopes []string
	// Timeout bounds each call to the endpoint (and each discovery fetch),
	// from connecting to reading the last byte. Zero means DefaultTimeout
	// (5s).
	Timeout time.Duration
	// MaxBodyBytes caps the response body; a larger one is an endpoint
	// failure. Zero means DefaultMaxBodyBytes (64 KiB).
	MaxBodyBytes int64
	// MaxTokenBytes caps the tokens sent to the endpoint. Zero means
	// DefaultMaxTokenBytes (16 KiB).
	MaxTokenBytes int
	// CacheSize enables the result cache with room for this many tokens,
	// at most MaxCacheSize. Zero means no cache: every request is
	// introspected (concurrent requests for one token still share a call).
	CacheSize int
	// CacheMaxAge bounds how long an active token is answered from the
	// cache; an entry never outlives the token's exp either. Zero means
	// DefaultCacheMaxAge (60s). It is an error to set it without CacheSize.
	CacheMaxAge time.Duration
	// NegativeCacheMaxAge is how long a token the endpoint declared
	// inactive (or that failed a check) is refused from the cache. Zero
	// means DefaultNegativeCacheMaxAge (5s), or CacheMaxAge when that is
	// shorter; negative means refusals are never cached. At most
	// MaxNegativeCacheMaxAge. Endpoint failures are never cached.
	NegativeCacheMaxAge time.Duration
	// DPoPBound accepts DPoP-bound tokens (RFC 9449 §6.2): an answer whose
	// cnf member is an object with exactly one member, jkt, a base64url
	// SHA-256 key thumbprint, and whose token_type, if present, is DPoP.
	// The token is then accepted only with the DPoP scheme and a proof by
	// that key, which the middleware checks (middleware.WithDPoP in mode
	// allow or require; it refuses to be built around such a verifier
	// without it, see mcpauth.DPoPBindingDeferrer). False (the default)
	// refuses every token bound to a key (a cnf member, or token_type DPoP),
	// since nothing would check the proof.
	DPoPBound bool
}

// config is the validated form of Config.
type config struct {
	endpoint       string // "" until discovered
	issuer         string
	audiences      []string
	clientID       string
	clientSecret   string
	method         AuthMethod
	requiredScopes []string
	timeout        time.Duration
	maxBody        int64
	maxToken       int
	cacheSize      int
	cacheMaxAge    time.Duration
	negativeMaxAge time.Duration // <= 0: refusals are not cached
	dpopBound      bool          // accept tokens bound by cnf.jkt
}

// configErr formats an error that matches mcpauth.ErrInvalidConfig.
func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: introspect: %w", mcpauth.ErrInvalidConfig, fmt.Errorf(format, args...))
}

// validate checks c and fills in the defaults.
func (c Config) validate() (*config, error) {
	v := &config{
		issuer:       c.Issuer,
		clientID:     c.ClientID,
		clientSecret: c.ClientSecret,
		method:       c.AuthMethod,
		dpopBound:    c.DPoPBound,
	}
	if c.Endpoint != "" {
		u, err := checkURL("Endpoint", c.Endpoint)
		if err != nil {
			return nil, err
		}
		v.endpoint = u.String()
	}
	if c.Issuer != "" {
		u, err := checkURL("Issuer", c.Issuer)
		if err != nil {
			return nil, err
		}
		if u.RawQuery != "" || u.ForceQuery {
			return nil, configErr("Issuer %q must not have a query (RFC 8414 §2)", u.Redacted())
		}
		if u.User != nil {
			return nil, configErr("Issuer %q must not have user info", u.Redacted())
		}
	}
	if c.Endpoint == "" && c.Issuer == "" {
		return nil, configErr("Endpoint is required, or Issuer to discover it from the issuer's metadata")
	}
	if len(c.Audiences) == 0 {
		return nil, configErr("Audiences: at least one value is required (the resource URL of this server)")
	}
	for _, a := range c.Audiences {
		if a == "" || strings.TrimSpace(a) != a {
			return nil, configErr("Audiences: value %q is empty or has surrounding whitespace", a)
		}
	}
	v.audiences = slices.Clone(c.Audiences)
	if c.ClientID == "" {
		return nil, configErr("ClientID is required: the endpoint authenticates the resource server (RFC 7662 §2.1)")
	}
	if c.ClientSecret == "" {
		return nil, configErr("ClientSecret is required with %s", v.methodOrDefault())
	}
	switch v.method {
	case "":
		v.method = ClientSecretBasic
	case ClientSecretBasic, ClientSecretPost:
	default:
		return nil, configErr("AuthMethod %q is not supported (want %s or %s)", c.AuthMethod, ClientSecretBasic, ClientSecretPost)
	}
	for _, s := range c.RequiredScopes {
		if !scopetoken.Valid(s) {
			return nil, configErr("RequiredScopes: %q is not a scope token (RFC 6749 §3.3)", s)
		}
	}
	v.requiredScopes = slices.Clone(c.RequiredScopes)

	var err error
	if v.timeout, err = positive("Timeout", c.Timeout, DefaultTimeout); err != nil {
		return nil, err
	}
	if v.maxBody, err = positive("MaxBodyBytes", c.MaxBodyBytes, DefaultMaxBodyBytes); err != nil {
		return nil, err
	}
	if v.maxToken, err = positive("MaxTokenBytes", c.MaxTokenBytes, DefaultMaxTokenBytes); err != nil {
		return nil, err
	}
	switch {
	case c.CacheSize < 0 || c.CacheSize > MaxCacheSize:
		return nil, configErr("CacheSize %d is out of range (0 to %d)", c.CacheSize, MaxCacheSize)
	case c.CacheSize == 0 && (c.CacheMaxAge != 0 || c.NegativeCacheMaxAge != 0):
		return nil, configErr("CacheMaxAge or NegativeCacheMaxAge is set but the cache is off (CacheSize is zero)")
	}
	v.cacheSize = c.CacheSize
	if v.cacheMaxAge, err = positive("CacheMaxAge", c.CacheMaxAge, DefaultCacheMaxAge); err != nil {
		return nil, err
	}
	switch {
	case c.NegativeCacheMaxAge < 0:
		v.negativeMaxAge = 0
	case c.NegativeCacheMaxAge > MaxNegativeCacheMaxAge:
		return nil, configErr("NegativeCacheMaxAge %s is longer than the maximum %s", c.NegativeCacheMaxAge, MaxNegativeCacheMaxAge)
	case c.NegativeCacheMaxAge == 0:
		v.negativeMaxAge = min(DefaultNegativeCacheMaxAge, v.cacheMaxAge)
	default:
		v.negativeMaxAge = c.NegativeCacheMaxAge
	}
	return v, nil
}

func (c *config) methodOrDefault() AuthMethod {
	if c.method == "" {
		return ClientSecretBasic
	}
	return c.method
}

// positive returns v, or def when v is zero; a negative v is an error.
func positive[T time.Duration | int | int64](field string, v, def T) (T, error) {
	switch {
	case v < 0:
		if d, ok := any(v).(time.Duration); ok {
			return 0, configErr("%s %s is negative", field, d)
		}
		return 0, configErr("%s %d is negative", field, v)
	case v == 0:
		return def, nil
	}
	return v, nil
}
