package verify

// env.go: Settings from environment variables. envSettings is the one table
// of the variables (names, defaults, meanings); the parser, the help text of
// mcpauth serve and proxy (EnvTable) and the README check all read it.

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
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

// envSettings is the table of the settings variables. Each field is one
// variable and fills the Settings field of the same name: env is the
// variable's name after the prefix, envDefault its default (applied by
// caarlos0/env), def describes the default of a variable without one, and
// help says what it means. Tests check that every field names a Settings
// field, that every envDefault equals the Default… constant the verifier
// applies to a zero field, and that the README lists exactly these
// variables.
type envSettings struct {
	PublicKey              string       `env:"PUBLIC_KEY" def:"none" help:"PEM public key or X.509 certificate (RSA, EC P-256/384/521, Ed25519), or the HMAC secret when ALGORITHM is HS* (at least 32/48/64 bytes)"`
	JWKSURI                envURL       `env:"JWKS_URI" def:"none" help:"JWK Set URL (https; plain http only to a loopback host)"`
	Issuers                envList      `env:"ISSUER" def:"required" help:"accepted issuers, comma-separated (exact match); with no key and no JWKS URI, each issuer's JWK Set is discovered from its own metadata"`
	Audiences              envList      `env:"AUDIENCE" def:"required" help:"accepted audiences, comma-separated; a token must name one"`
	Algorithms             envList      `env:"ALGORITHM" def:"by key type" help:"algorithm allow-list, comma-separated: RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519, or HS256 HS384 HS512"`
	RequiredScopes         envScopes    `env:"REQUIRED_SCOPES" def:"none" help:"scopes every token must grant, comma- or space-separated (or a JSON list)"`
	BaseURL                envBaseURL   `env:"BASE_URL" def:"none" help:"public base URL of the server, such as https://mcp.example.com; the resource is BASE_URL/mcp"`
	Leeway                 envLeeway    `env:"LEEWAY" envDefault:"30s" help:"clock skew allowed for exp, nbf and iat, a Go duration (0s for none, at most 5m)"`
	MaxTokenBytes          envCount     `env:"MAX_TOKEN_BYTES" envDefault:"16384" help:"token size cap in bytes, checked before parsing"`
	RequireAccessTokenType envBool      `env:"REQUIRE_ACCESS_TOKEN_TYPE" envDefault:"false" help:"true to require the typ header at+jwt (RFC 9068)"`
	JWKSRefreshInterval    envDuration  `env:"JWKS_REFRESH_INTERVAL" envDefault:"1h" help:"periodic JWK Set refresh, a Go duration"`
	JWKSRefreshRateLimit   envDuration  `env:"JWKS_REFRESH_RATE_LIMIT" envDefault:"30s" help:"minimum time between refreshes for unknown kids, a Go duration"`
	JWKSTimeout            envDuration  `env:"JWKS_TIMEOUT" envDefault:"10s" help:"timeout of one JWK Set (or discovery) fetch, a Go duration"`
	JWKSMaxBodyBytes       envCount     `env:"JWKS_MAX_BODY_BYTES" envDefault:"1048576" help:"JWK Set (and discovery) document size cap in bytes"`
	InsecureAllowHTTPJWKS  envBool      `env:"INSECURE_ALLOW_HTTP_JWKS" envDefault:"false" help:"true allows a plain-http JWK Set (or issuer) on a non-loopback host"`
	CacheSize              envSize      `env:"CACHE_SIZE" envDefault:"0" help:"entries of the verified-token cache (0: no cache)"`
	CacheMaxAge            envDuration  `env:"CACHE_MAX_AGE" envDefault:"5m" help:"longest a cached verification is reused, a Go duration (needs CACHE_SIZE)"`
	Providers              envProviders `env:"PROVIDERS_FILE" def:"none" help:"JSON file of further providers, each with its own issuer, key source and rules (see verify.LoadProviders)"`
}

// renamedEnv maps former variable names (after the prefix) to their
// current ones, so that an old name gets a precise hint.
var renamedEnv = map[string]string{
	"REQUIRE_AT_JWT": "REQUIRE_ACCESS_TOKEN_TYPE",
}

// envVarOf maps each Settings field read from the environment to its
// variable's name after the prefix.
var envVarOf = func() map[string]string {
	m := make(map[string]string)
	for _, f := range reflect.VisibleFields(reflect.TypeFor[envSettings]()) {
		m[f.Name] = f.Tag.Get("env")
	}
	return m
}()

// EnvVar describes one settings variable, for help texts.
type EnvVar struct {
	// Name is the variable's name, prefix included.
	Name string
	// Field is the Settings field it fills.
	Field string
	// Default is the default as it would be written in the environment
	// (30s, 16384, false), or a word for a variable without one (required,
	// none, by key type).
	Default string
	// Help says what the variable means.
	Help string
}

// EnvTable returns the variables [SettingsFromEnv] reads for prefix, with
// their defaults and meanings, in a stable order. It is the table the parser
// uses; mcpauth serve -h prints it.
func EnvTable(prefix string) []EnvVar {
	fields := reflect.VisibleFields(reflect.TypeFor[envSettings]())
	out := make([]EnvVar, 0, len(fields))
	for _, f := range fields {
		def, ok := f.Tag.Lookup("envDefault")
		if !ok {
			def = f.Tag.Get("def")
		}
		out = append(out, EnvVar{Name: prefix + f.Tag.Get("env"), Field: f.Name, Default: def, Help: f.Tag.Get("help")})
	}
	return out
}

// EnvVariables returns the names SettingsFromEnv reads for prefix, in the
// order of [EnvTable].
func EnvVariables(prefix string) []string {
	var out []string
	for _, v := range EnvTable(prefix) {
		out = append(out, v.Name)
	}
	return out
}

// SettingsFromEnv reads [Settings] from the process environment: the
// variables of [EnvTable] (the prefix followed by PUBLIC_KEY, JWKS_URI,
// ISSUER, AUDIENCE, ALGORITHM, REQUIRED_SCOPES, BASE_URL, LEEWAY, ...), in
// any letter case, as FastMCP reads its own (see [EnvVars]). Use
// [EnvPrefix] or [FastMCPEnvPrefix].
//
// List variables take comma-separated values or a JSON array (FastMCP's
// form); REQUIRED_SCOPES also splits on spaces. A variable that is unset or
// blank takes its default, which is the value the verifier would apply to
// a zero field.
//
// It returns an error matching [mcpauth.ErrInvalidConfig] that names the
// variable for an unknown variable with the prefix (with "did you mean" for
// a near miss or a renamed variable), a variable set in two spellings, or a
// malformed value. Completeness (a key source, issuers, audiences) is
// checked by [NewJWTVerifier], whose errors then also name the variables
// and the fix (MCPAUTH_JWT_ISSUER is required; set
// MCPAUTH_JWT_INSECURE_ALLOW_HTTP_JWKS=true to allow plain http).
func SettingsFromEnv(prefix string) (Settings, error) {
	vars, err := EnvVars(os.Environ(), prefix)
	if err != nil {
		return Settings{}, err
	}
	return SettingsFromMap(prefix, vars)
}

// SettingsFromMap is [SettingsFromEnv] over the given variables instead of
// the process environment (names in any letter case, as there).
func SettingsFromMap(prefix string, vars map[string]string) (Settings, error) {
	if prefix == "" || strings.ContainsAny(prefix, "= ") {
		return Settings{}, configErr("environment prefix %q is not valid", prefix)
	}
	prefix = strings.ToUpper(prefix)
	canon, err := canonicalEnv(vars, prefix)
	if err != nil {
		return Settings{}, err
	}
	if err := checkKnown(canon, prefix); err != nil {
		return Settings{}, err
	}
	var e envSettings
	if err := env.ParseWithOptions(&e, env.Options{Prefix: prefix, Environment: canon}); err != nil {
		return Settings{}, envParseError(err, prefix)
	}
	s := Settings{
		PublicKey:              e.PublicKey,
		JWKSURI:                string(e.JWKSURI),
		Issuers:                e.Issuers,
		Audiences:              e.Audiences,
		Algorithms:             e.Algorithms,
		RequiredScopes:         e.RequiredScopes,
		BaseURL:                string(e.BaseURL),
		Leeway:                 time.Duration(e.Leeway),
		MaxTokenBytes:          int(e.MaxTokenBytes),
		RequireAccessTokenType: bool(e.RequireAccessTokenType),
		JWKSRefreshInterval:    time.Duration(e.JWKSRefreshInterval),
		JWKSRefreshRateLimit:   time.Duration(e.JWKSRefreshRateLimit),
		JWKSTimeout:            time.Duration(e.JWKSTimeout),
		JWKSMaxBodyBytes:       int64(e.JWKSMaxBodyBytes),
		InsecureAllowHTTPJWKS:  bool(e.InsecureAllowHTTPJWKS),
		CacheSize:              int(e.CacheSize),
		CacheMaxAge:            time.Duration(e.CacheMaxAge),
		Providers:              e.Providers,
		env:                    prefix,
	}
	if s.CacheSize == 0 {
		// CACHE_MAX_AGE's default applies only to a cache that is on.
		if strings.TrimSpace(canon[prefix+envVarOf["CacheMaxAge"]]) != "" {
			return Settings{}, fromOrigin(configErr("{CacheMaxAge} is set but the cache is off; set {CacheSize} too"), prefix)
		}
		s.CacheMaxAge = 0
	}
	return s, nil
}

// EnvVars returns the variables of environ ("NAME=value" strings, as from
// os.Environ) whose names start with prefix in any letter case, keyed by
// their upper-case names. FastMCP 2.x reads its variables
// case-insensitively, so mcpauth does too: a setting that looks like one of
// ours is never ignored (fastmcp_server_auth_jwt_required_scopes counts as
// FASTMCP_SERVER_AUTH_JWT_REQUIRED_SCOPES). A name set in two spellings is
// an error naming both, since one would silently win.
func EnvVars(environ []string, prefix string) (map[string]string, error) {
	vars := make(map[string]string)
	spelling := make(map[string]string)
	upper := strings.ToUpper(prefix)
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(strings.ToUpper(k), upper) {
			continue
		}
		c := strings.ToUpper(k)
		if first, dup := spelling[c]; dup && first != k {
			a, b := min(first, k), max(first, k)
			return nil, configErr("%s and %s are both set; variable names are read in any letter case (as FastMCP does), so keep one", a, b)
		}
		spelling[c], vars[c] = k, v
	}
	return vars, nil
}

// canonicalEnv keys vars by upper-case name, keeping those with prefix; a
// blank value counts as unset.
func canonicalEnv(vars map[string]string, prefix string) (map[string]string, error) {
	environ := make([]string, 0, len(vars))
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		v := vars[k]
		if strings.TrimSpace(v) == "" {
			v = ""
		}
		environ = append(environ, k+"="+v)
	}
	return EnvVars(environ, prefix)
}

// checkKnown refuses a variable with the prefix that is not in the table,
// suggesting the closest name.
func checkKnown(vars map[string]string, prefix string) error {
	known := EnvVariables(prefix)
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		if slices.Contains(known, k) {
			continue
		}
		if to, ok := renamedEnv[strings.TrimPrefix(k, prefix)]; ok {
			return configErr("environment variable %s was renamed to %s%s", k, prefix, to)
		}
		if s := Suggest(k, known); s != "" {
			return configErr("unknown environment variable %s; did you mean %s?", k, s)
		}
		return configErr("unknown environment variable %s (known: %s)", k, strings.Join(known, ", "))
	}
	return nil
}

// Suggest returns the name among known closest to name when it is close
// enough to be a typo (a few edits, or a missing or extra plural s), and ""
// otherwise. It compares upper-case names.
func Suggest(name string, known []string) string {
	best, bestDist := "", 0
	for _, k := range known {
		d := editDistance(strings.ToUpper(name), strings.ToUpper(k))
		if best == "" || d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" || bestDist > max(1, min(3, len(best)/6)) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// envParseError names the variable of the first value that did not parse.
func envParseError(err error, prefix string) error {
	var pe env.ParseError
	if errors.As(err, &pe) {
		return configErr("%s%s: %v", prefix, envVarOf[pe.Name], pe.Err)
	}
	return configErr("%v", err)
}

// envList is a list variable: comma-separated items, or a JSON array of
// strings. An empty item is an error, not silently dropped.
type envList []string

// UnmarshalText implements encoding.TextUnmarshaler.
func (l *envList) UnmarshalText(b []byte) error {
	out, err := parseList(string(b), func(s string) []string { return strings.Split(s, ",") })
	*l = out
	return err
}

// envScopes is REQUIRED_SCOPES: like envList, but also split on spaces.
type envScopes []string

// UnmarshalText implements encoding.TextUnmarshaler.
func (l *envScopes) UnmarshalText(b []byte) error {
	out, err := parseList(string(b), func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
	})
	*l = out
	return err
}

// parseList parses a list variable with split for the plain form.
func parseList(v string, split func(string) []string) ([]string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	var items []string
	if strings.HasPrefix(v, "[") {
		if err := json.Unmarshal([]byte(v), &items); err != nil {
			return nil, errors.New("not a JSON array of strings")
		}
	} else {
		items = split(v)
	}
	for i, s := range items {
		if items[i] = strings.TrimSpace(s); items[i] == "" {
			return nil, errors.New("has an empty item")
		}
	}
	return items, nil
}

// envProviders is PROVIDERS_FILE: the path of a providers file, read
// with LoadProviders.
type envProviders []Provider

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *envProviders) UnmarshalText(b []byte) error {
	path := strings.TrimSpace(string(b))
	if path == "" {
		return nil
	}
	ps, err := LoadProviders(path)
	if err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), mcpauth.ErrInvalidConfig.Error()+": "))
	}
	*p = ps
	return nil
}

// envURL is a URL variable; surrounding spaces are dropped.
type envURL string

// UnmarshalText implements encoding.TextUnmarshaler.
func (u *envURL) UnmarshalText(b []byte) error {
	*u = envURL(strings.TrimSpace(string(b)))
	return nil
}

// envBaseURL is BASE_URL: surrounding spaces and trailing slashes are
// dropped, so that BASE_URL + "/mcp" has one slash.
type envBaseURL string

// UnmarshalText implements encoding.TextUnmarshaler.
func (u *envBaseURL) UnmarshalText(b []byte) error {
	*u = envBaseURL(strings.TrimRight(strings.TrimSpace(string(b)), "/"))
	return nil
}

// envDuration is a positive Go duration.
type envDuration time.Duration

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *envDuration) UnmarshalText(b []byte) error {
	v, err := parseDuration(string(b))
	switch {
	case err != nil:
		return err
	case v == 0:
		return errors.New("must be positive")
	}
	*d = envDuration(v)
	return nil
}

// envLeeway is LEEWAY: a Go duration, where 0s means no leeway at all
// (stored as a negative Settings.Leeway).
type envLeeway time.Duration

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *envLeeway) UnmarshalText(b []byte) error {
	v, err := parseDuration(string(b))
	if err != nil {
		return err
	}
	if v == 0 {
		v = -1
	}
	*d = envLeeway(v)
	return nil
}

// parseDuration parses a non-negative Go duration.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%q is not a Go duration such as 30s or 5m", s)
	case d < 0:
		return 0, errors.New("must not be negative")
	}
	return d, nil
}

// envCount is a positive integer.
type envCount int64

// UnmarshalText implements encoding.TextUnmarshaler.
func (n *envCount) UnmarshalText(b []byte) error {
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || v <= 0 {
		return fmt.Errorf("%q is not a positive integer", strings.TrimSpace(string(b)))
	}
	*n = envCount(v)
	return nil
}

// envSize is a non-negative integer.
type envSize int64

// UnmarshalText implements encoding.TextUnmarshaler.
func (n *envSize) UnmarshalText(b []byte) error {
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || v < 0 {
		return fmt.Errorf("%q is not a non-negative integer", strings.TrimSpace(string(b)))
	}
	*n = envSize(v)
	return nil
}

// envBool is true or false (also 1, 0, t, f in any letter case).
type envBool bool

// UnmarshalText implements encoding.TextUnmarshaler.
func (v *envBool) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	x, err := strconv.ParseBool(strings.ToLower(s))
	if err != nil {
		return fmt.Errorf("%q is not a boolean (true or false)", s)
	}
	*v = envBool(x)
	return nil
}
