package main

// introspection.go decides the introspection settings of serve, proxy and
// verify: the MCPAUTH_INTROSPECTION_* variables (and FastMCP's
// FASTMCP_SERVER_AUTH_INTROSPECTION_* ones), and how an introspection
// verifier joins the JWT verifier in a chain.

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/chain"
	"github.com/mcpauth/mcpauth/introspect"
	"github.com/mcpauth/mcpauth/verify"
)

// Introspection variables.
const (
	envIntrospectionPrefix     = "MCPAUTH_INTROSPECTION_"
	envIntrospectionURL        = envIntrospectionPrefix + "URL"
	envIntrospectionIssuer     = envIntrospectionPrefix + "ISSUER"
	envIntrospectionClientID   = envIntrospectionPrefix + "CLIENT_ID"
	envIntrospectionSecret     = envIntrospectionPrefix + "CLIENT_SECRET"
	envIntrospectionMethod     = envIntrospectionPrefix + "AUTH_METHOD"
	envIntrospectionTimeout    = envIntrospectionPrefix + "TIMEOUT"
	envIntrospectionScopes     = envIntrospectionPrefix + "REQUIRED_SCOPES"
	envIntrospectionCacheAge   = envIntrospectionPrefix + "CACHE_MAX_AGE"
	fastMCPIntrospectionPrefix = "FASTMCP_SERVER_AUTH_INTROSPECTION_"
)

// introspectionCacheSize is the number of tokens the introspection cache
// holds when it is on.
const introspectionCacheSize = 10000

// introspectionVariables lists the variables with their help text, in
// help order.
var introspectionVariables = []struct{ name, help string }{
	{envIntrospectionURL, "RFC 7662 introspection endpoint (https; plain http only on loopback); opaque tokens go there"},
	{envIntrospectionIssuer, "issuer of the introspected tokens: iss must match; alone, the endpoint is discovered from its metadata"},
	{envIntrospectionClientID, "client id of this server at the endpoint (required with introspection)"},
	{envIntrospectionSecret, "client secret of this server at the endpoint (required with introspection)"},
	{envIntrospectionMethod, "client_secret_basic (default) or client_secret_post"},
	{envIntrospectionTimeout, "timeout of one introspection call, Go duration (default 5s)"},
	{envIntrospectionScopes, "scopes every introspected token must grant (default: " + envScopes + ")"},
	{envIntrospectionCacheAge, "how long an active token is served from the cache, Go duration (default 60s; 0s: no cache)"},
}

// introspectionHelp is the help section of the introspection variables.
func introspectionHelp() string {
	var b strings.Builder
	for _, v := range introspectionVariables {
		fmt.Fprintf(&b, "  %-38s %s\n", v.name, v.help)
	}
	b.WriteString("  (With introspection and a JWT key source, JWS-shaped tokens go to the JWT verifier, others to introspection.)\n")
	return b.String()
}

// fastMCPIntrospection maps FastMCP's introspection names to mcpauth's.
var fastMCPIntrospection = map[string]string{
	"INTROSPECTION_URL": envIntrospectionURL,
	"CLIENT_ID":         envIntrospectionClientID,
	"CLIENT_SECRET":     envIntrospectionSecret,
	"TIMEOUT_SECONDS":   envIntrospectionTimeout,
	"REQUIRED_SCOPES":   envIntrospectionScopes,
	"BASE_URL":          envBaseURL,
}

// withFastMCPIntrospection lets FastMCP's FASTMCP_SERVER_AUTH_INTROSPECTION_*
// variables (fast) carry over as the matching MCPAUTH_* ones; TIMEOUT_SECONDS
// becomes a duration. An unknown name, or a variable set in both families, is
// an error.
func withFastMCPIntrospection(vars, fast map[string]string) (map[string]string, error) {
	if len(fast) == 0 {
		return vars, nil
	}
	out := maps.Clone(vars)
	for _, k := range slices.Sorted(maps.Keys(fast)) {
		v := fast[k]
		name, ok := fastMCPIntrospection[strings.TrimPrefix(k, fastMCPIntrospectionPrefix)]
		if !ok {
			return nil, configErrorf("unknown environment variable %s (known: %s* with %s)", k, fastMCPIntrospectionPrefix,
				strings.Join(slices.Sorted(maps.Keys(fastMCPIntrospection)), ", "))
		}
		if _, dup := out[name]; dup {
			return nil, configErrorf("both %s and %s are set; use one", k, name)
		}
		if name == envIntrospectionTimeout {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n <= 0 {
				return nil, configErrorf("%s: %q is not a positive number of seconds", k, v)
			}
			v = strconv.Itoa(n) + "s"
		}
		out[name] = v
	}
	return out, nil
}

// introspectionSettings is what the variables say about introspection.
type introspectionSettings struct {
	cfg    introspect.Config
	scopes bool // REQUIRED_SCOPES was set (else the JWT ones apply)
}

// introspectionFromEnv reads the MCPAUTH_INTROSPECTION_* variables of vars;
// it returns nil when none is set. The audiences (and, unless set, the
// required scopes) are filled in later, as for JWTs. Every error names its
// variable.
func introspectionFromEnv(vars map[string]string) (*introspectionSettings, error) {
	known := make([]string, len(introspectionVariables))
	for i, v := range introspectionVariables {
		known[i] = v.name
	}
	set := false
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		if !strings.HasPrefix(k, envIntrospectionPrefix) {
			continue
		}
		if !slices.Contains(known, k) {
			return nil, configErrorf("unknown environment variable %s (known: %s)", k, strings.Join(known, ", "))
		}
		set = set || strings.TrimSpace(vars[k]) != ""
	}
	if !set {
		return nil, nil
	}
	get := func(name string) string { return strings.TrimSpace(vars[name]) }
	is := &introspectionSettings{cfg: introspect.Config{
		Endpoint:     get(envIntrospectionURL),
		Issuer:       get(envIntrospectionIssuer),
		ClientID:     get(envIntrospectionClientID),
		ClientSecret: vars[envIntrospectionSecret],
		AuthMethod:   introspect.AuthMethod(get(envIntrospectionMethod)),
		CacheSize:    introspectionCacheSize,
	}}
	switch {
	case is.cfg.Endpoint == "" && is.cfg.Issuer == "":
		return nil, configErrorf("%s is required with introspection (or %s, to discover the endpoint from the issuer's metadata)", envIntrospectionURL, envIntrospectionIssuer)
	case is.cfg.ClientID == "":
		return nil, configErrorf("%s is required with introspection: the endpoint authenticates this server", envIntrospectionClientID)
	case is.cfg.ClientSecret == "":
		return nil, configErrorf("%s is required with introspection", envIntrospectionSecret)
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{envIntrospectionTimeout, &is.cfg.Timeout}, {envIntrospectionCacheAge, &is.cfg.CacheMaxAge}} {
		v := get(d.name)
		if v == "" {
			continue
		}
		t, err := time.ParseDuration(v)
		if err != nil || t < 0 {
			return nil, configErrorf("%s: %q is not a Go duration such as 30s or 5m", d.name, v)
		}
		if t == 0 && d.name == envIntrospectionTimeout {
			return nil, configErrorf("%s must be positive", d.name)
		}
		*d.dst = t
	}
	if v, set := vars[envIntrospectionCacheAge]; set && strings.TrimSpace(v) != "" && is.cfg.CacheMaxAge == 0 {
		is.cfg.CacheSize = 0 // 0s: no cache
	}
	if v := get(envIntrospectionScopes); v != "" {
		is.cfg.RequiredScopes = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })
		is.scopes = true
	}
	// Validate now, with a stand-in audience, so that a mistake names its
	// variable before the server starts.
	probe := is.cfg
	probe.Audiences = []string{"https://audience.invalid"}
	if _, err := introspect.New(probe); err != nil {
		return nil, configErrorf("%s", introspectionVariableError(err))
	}
	return is, nil
}

// introspectionVariableError rewrites an introspect configuration error to
// name the variable instead of the Config field.
func introspectionVariableError(err error) string {
	msg := strings.TrimPrefix(err.Error(), mcpauth.ErrInvalidConfig.Error()+": introspect: ")
	for field, name := range map[string]string{
		"Endpoint": envIntrospectionURL, "Issuer": envIntrospectionIssuer, "ClientID": envIntrospectionClientID,
		"ClientSecret": envIntrospectionSecret, "AuthMethod": envIntrospectionMethod,
		"RequiredScopes": envIntrospectionScopes, "Timeout": envIntrospectionTimeout, "CacheMaxAge": envIntrospectionCacheAge,
		"Audiences": envAudience,
	} {
		if rest, ok := strings.CutPrefix(msg, field+" "); ok {
			return name + " " + rest
		}
		if rest, ok := strings.CutPrefix(msg, field+":"); ok {
			return name + ":" + rest
		}
	}
	return msg
}

// hasJWTKeySource reports whether s configures JWT verification: a key, a
// JWK Set, an issuer to discover keys from, or providers.
func hasJWTKeySource(s verify.Settings) bool {
	return s.PublicKey != "" || s.JWKSURI != "" || len(s.Issuers) > 0 || len(s.Providers) > 0
}

// newIntrospectionVerifier builds the introspection verifier with the
// audiences (and, unless its own variable is set, the required scopes) of
// the JWT settings s.
func newIntrospectionVerifier(is *introspectionSettings, s verify.Settings, opts ...introspect.Option) (*introspect.Verifier, error) {
	c := is.cfg
	c.Audiences = s.Audiences
	if !is.scopes {
		c.RequiredScopes = s.RequiredScopes
	}
	v, err := introspect.New(c, opts...)
	if err != nil {
		return nil, configErrorf("%s", introspectionVariableError(err))
	}
	return v, nil
}

// chainWithIntrospection routes JWS-shaped tokens to jwt and the others to
// the introspection verifier.
func chainWithIntrospection(jwt mcpauth.TokenVerifier, iv *introspect.Verifier, opts ...chain.Option) (mcpauth.TokenVerifier, error) {
	return chain.ByShape(chain.Step{Name: "jwt", Verifier: jwt}, chain.Step{Name: "introspection", Verifier: iv}, opts...)
}

// advertisedIssuers lists the authorization servers the metadata names by
// default: every JWT issuer and provider, then the introspection issuer.
func advertisedIssuers(s verify.Settings, is *introspectionSettings) []string {
	out := slices.Clone(s.Issuers)
	for _, p := range s.Providers {
		out = append(out, p.Issuer)
	}
	if is != nil && is.cfg.Issuer != "" && !slices.Contains(out, is.cfg.Issuer) {
		out = append(out, is.cfg.Issuer)
	}
	return out
}

// checkIntrospectionAdvertised makes sure the metadata of a server using
// introspection alone names an authorization server, so that clients can
// find where to get a token.
func checkIntrospectionAdvertised(cfg *serverConfig) error {
	if cfg.authServers != nil {
		return nil
	}
	iss := cfg.introspection.cfg.Issuer
	if iss == "" {
		return configErrorf("with introspection alone, set %s or %s: the metadata must name the authorization server", envIntrospectionIssuer, envAuthServers)
	}
	if err := checkPublicURL(envIntrospectionIssuer, iss); err != nil {
		return err
	}
	return nil
}

// introspectionOptions are the verifier options of serve and proxy.
func introspectionOptions(cfg *serverConfig, logger *slog.Logger) []introspect.Option {
	opts := []introspect.Option{introspect.WithLogger(logger)}
	if cfg.now != nil {
		opts = append(opts, introspect.WithClock(cfg.now))
	}
	return opts
}
