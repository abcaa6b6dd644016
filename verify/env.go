package verify

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/mcpauth/mcpauth"
)

// Environment variable prefixes understood by [SettingsFromEnv].
const (
	// EnvPrefix is mcpauth's own prefix.
	EnvPrefix = "MCPAUTH_JWT_"
	// FastMCPEnvPrefix is FastMCP's prefix; a FastMCP deployment's
	// environment carries over unchanged.
	FastMCPEnvPrefix = "FASTMCP_SERVER_AUTH_JWT_"
)

// rawEnv holds the settings variables as text; each is converted by hand
// so that every error names its variable.
type rawEnv struct {
	PublicKey        string `env:"PUBLIC_KEY"`
	JWKSURI          string `env:"JWKS_URI"`
	Issuer           string `env:"ISSUER"`
	Audience         string `env:"AUDIENCE"`
	Algorithm        string `env:"ALGORITHM"`
	RequiredScopes   string `env:"REQUIRED_SCOPES"`
	BaseURL          string `env:"BASE_URL"`
	Leeway           string `env:"LEEWAY"`
	MaxTokenBytes    string `env:"MAX_TOKEN_BYTES"`
	RequireATJWT     string `env:"REQUIRE_AT_JWT"`
	JWKSRefresh      string `env:"JWKS_REFRESH_INTERVAL"`
	JWKSRateLimit    string `env:"JWKS_REFRESH_RATE_LIMIT"`
	JWKSTimeout      string `env:"JWKS_TIMEOUT"`
	JWKSMaxBodyBytes string `env:"JWKS_MAX_BODY_BYTES"`
	InsecureHTTPJWKS string `env:"INSECURE_ALLOW_HTTP_JWKS"`
	CacheSize        string `env:"CACHE_SIZE"`
	CacheMaxAge      string `env:"CACHE_MAX_AGE"`
	ProvidersFile    string `env:"PROVIDERS_FILE"`
}

// EnvVariables returns the names SettingsFromEnv reads for prefix, in a
// stable order.
func EnvVariables(prefix string) []string {
	t := reflect.TypeFor[rawEnv]()
	out := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		out = append(out, prefix+t.Field(i).Tag.Get("env"))
	}
	return out
}

// SettingsFromEnv reads [Settings] from the process environment. Variables
// are the prefix followed by:
//
//	PUBLIC_KEY               PEM public key or certificate, or the HMAC secret for HS*
//	JWKS_URI                 JWK Set URL
//	ISSUER                   accepted issuers, comma-separated
//	AUDIENCE                 accepted audiences, comma-separated
//	ALGORITHM                algorithm allow-list, comma-separated (RS256 ... EdDSA, Ed25519; HS*)
//	REQUIRED_SCOPES          scopes, comma- or space-separated
//	BASE_URL                 public base URL of the server
//	LEEWAY                   clock skew as a Go duration ("30s"; "0s" for none)
//	MAX_TOKEN_BYTES          token size cap in bytes
//	REQUIRE_AT_JWT           true to require typ at+jwt (RFC 9068)
//	JWKS_REFRESH_INTERVAL    Go duration
//	JWKS_REFRESH_RATE_LIMIT  Go duration
//	JWKS_TIMEOUT             Go duration
//	JWKS_MAX_BODY_BYTES      bytes
//	INSECURE_ALLOW_HTTP_JWKS true to allow a plain-http JWKS on a non-loopback host
//	CACHE_SIZE               verified-token cache entries (unset: no cache)
//	CACHE_MAX_AGE            Go duration a cached token is served at most (default 5m)
//	PROVIDERS_FILE           JSON file of further providers (see LoadProviders)
//
// List variables also accept a JSON array (FastMCP's form). Use [EnvPrefix]
// or [FastMCPEnvPrefix]. An unknown variable with the prefix (a typo) or a
// malformed value is an error matching [mcpauth.ErrInvalidConfig] that names the
// variable. Completeness (a key source, issuers, audiences) is checked by
// [NewJWTVerifier].
func SettingsFromEnv(prefix string) (Settings, error) {
	m := make(map[string]string)
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, prefix) {
			m[k] = v
		}
	}
	return SettingsFromMap(prefix, m)
}

// SettingsFromMap is [SettingsFromEnv] over the given variables instead of
// the process environment.
func SettingsFromMap(prefix string, vars map[string]string) (Settings, error) {
	if prefix == "" || strings.ContainsAny(prefix, "= ") {
		return Settings{}, configErr("environment prefix %q is not valid", prefix)
	}
	known := EnvVariables(prefix)
	for k := range vars {
		if strings.HasPrefix(k, prefix) && !slices.Contains(known, k) {
			return Settings{}, configErr("unknown environment variable %s (known: %s)", k, strings.Join(known, ", "))
		}
	}
	var r rawEnv
	if err := env.ParseWithOptions(&r, env.Options{Prefix: prefix, Environment: vars}); err != nil {
		return Settings{}, configErr("%w", err)
	}
	p := envParser{prefix: prefix}
	s := Settings{
		PublicKey:              r.PublicKey,
		JWKSURI:                strings.TrimSpace(r.JWKSURI),
		Issuers:                p.list("ISSUER", r.Issuer, ","),
		Audiences:              p.list("AUDIENCE", r.Audience, ","),
		Algorithms:             p.list("ALGORITHM", r.Algorithm, ","),
		RequiredScopes:         p.list("REQUIRED_SCOPES", r.RequiredScopes, ", "),
		BaseURL:                strings.TrimRight(strings.TrimSpace(r.BaseURL), "/"),
		Leeway:                 p.duration("LEEWAY", r.Leeway, true),
		MaxTokenBytes:          int(p.integer("MAX_TOKEN_BYTES", r.MaxTokenBytes)),
		RequireAccessTokenType: p.boolean("REQUIRE_AT_JWT", r.RequireATJWT),
		JWKSRefreshInterval:    p.duration("JWKS_REFRESH_INTERVAL", r.JWKSRefresh, false),
		JWKSRefreshRateLimit:   p.duration("JWKS_REFRESH_RATE_LIMIT", r.JWKSRateLimit, false),
		JWKSTimeout:            p.duration("JWKS_TIMEOUT", r.JWKSTimeout, false),
		JWKSMaxBodyBytes:       p.integer("JWKS_MAX_BODY_BYTES", r.JWKSMaxBodyBytes),
		InsecureAllowHTTPJWKS:  p.boolean("INSECURE_ALLOW_HTTP_JWKS", r.InsecureHTTPJWKS),
		CacheSize:              int(p.integer("CACHE_SIZE", r.CacheSize)),
		CacheMaxAge:            p.duration("CACHE_MAX_AGE", r.CacheMaxAge, false),
	}
	if path := strings.TrimSpace(r.ProvidersFile); path != "" && p.err == nil {
		var err error
		if s.Providers, err = LoadProviders(path); err != nil {
			p.fail("PROVIDERS_FILE", "%s", strings.TrimPrefix(err.Error(), mcpauth.ErrInvalidConfig.Error()+": "))
		}
	}
	if p.err != nil {
		return Settings{}, p.err
	}
	return s, nil
}

// envParser converts variables, keeping the first error.
type envParser struct {
	prefix string
	err    error
}

func (p *envParser) fail(name, format string, args ...any) {
	if p.err == nil {
		p.err = configErr("%s%s: %s", p.prefix, name, fmt.Sprintf(format, args...))
	}
}

// list splits a list variable on commas (an empty item is an error, not
// silently dropped) or, when seps holds several separators, on any run of
// them; a value starting with "[" is decoded as a JSON array of strings.
func (p *envParser) list(name, v, seps string) []string {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	if strings.HasPrefix(v, "[") {
		var out []string
		if err := json.Unmarshal([]byte(v), &out); err != nil {
			p.fail(name, "not a JSON array of strings")
			return nil
		}
		for _, s := range out {
			if strings.TrimSpace(s) == "" {
				p.fail(name, "has an empty item")
				return nil
			}
		}
		return out
	}
	if seps == "," {
		parts := strings.Split(v, ",")
		for i, s := range parts {
			if parts[i] = strings.TrimSpace(s); parts[i] == "" {
				p.fail(name, "has an empty item")
				return nil
			}
		}
		return parts
	}
	return strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(seps, r) })
}

// duration parses a Go duration. For LEEWAY a zero duration means "no
// leeway", stored as a negative value (see Settings.Leeway).
func (p *envParser) duration(name, v string, leeway bool) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		p.fail(name, "%q is not a Go duration such as 30s or 5m", v)
		return 0
	}
	if d < 0 {
		p.fail(name, "must not be negative")
		return 0
	}
	if d == 0 && leeway {
		return -1
	}
	if d == 0 {
		p.fail(name, "must be positive")
	}
	return d
}

func (p *envParser) integer(name, v string) int64 {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		p.fail(name, "%q is not a positive integer", v)
		return 0
	}
	return n
}

func (p *envParser) boolean(name, v string) bool {
	v = strings.TrimSpace(v)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(name, "%q is not a boolean (true or false)", v)
		return false
	}
	return b
}
