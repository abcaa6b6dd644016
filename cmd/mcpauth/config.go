package main

// config.go decides the configuration of serve and proxy: flags and MCPAUTH_*
// variables (and FastMCP's FASTMCP_SERVER_AUTH_JWT_* ones), validated into a
// serverConfig, and which verifier mode runs.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/cmd/mcpauth/internal/observe"
	"github.com/mcpauth/mcpauth/dpop"
	"github.com/mcpauth/mcpauth/policy"
	"github.com/mcpauth/mcpauth/static"
	"github.com/mcpauth/mcpauth/verify"
)

// Variables read by serve and proxy besides the verify.EnvPrefix ones.
const (
	envAddr         = "MCPAUTH_ADDR"
	envStaticTokens = "MCPAUTH_STATIC_TOKENS_FILE"
	envAuthServers  = "MCPAUTH_AUTHORIZATION_SERVERS"
	envLogLevel     = "MCPAUTH_LOG_LEVEL"
	envUpstream     = "MCPAUTH_UPSTREAM" // proxy only
	envBaseURL      = verify.EnvPrefix + "BASE_URL"
	envAudience     = verify.EnvPrefix + "AUDIENCE"
	envIssuer       = verify.EnvPrefix + "ISSUER"
	envPublicKey    = verify.EnvPrefix + "PUBLIC_KEY"
	envJWKSURI      = verify.EnvPrefix + "JWKS_URI"
	envScopes       = verify.EnvPrefix + "REQUIRED_SCOPES"
	envAlgorithm    = verify.EnvPrefix + "ALGORITHM"
	envOwnPrefix    = "MCPAUTH_"
)

// defaultAddr is the listen address when neither -addr nor MCPAUTH_ADDR is set.
const defaultAddr = "127.0.0.1:8080"

// verifierMode says which verifier the server runs with.
type verifierMode int

const (
	modeDemo          verifierMode = iota // ephemeral key, served and verified locally
	modeJWT                               // MCPAUTH_JWT_PUBLIC_KEY or MCPAUTH_JWT_JWKS_URI
	modeStatic                            // MCPAUTH_STATIC_TOKENS_FILE
	modeIntrospection                     // MCPAUTH_INTROSPECTION_* without a JWT key source
)

func (m verifierMode) String() string {
	switch m {
	case modeJWT:
		return "jwt"
	case modeStatic:
		return "static"
	case modeIntrospection:
		return "introspection"
	default:
		return "demo"
	}
}

// serverConfig is the validated configuration of serve or proxy.
type serverConfig struct {
	command       string // "serve" or "proxy"
	addr          string
	baseURL       string // MCPAUTH_JWT_BASE_URL without trailing slash; "" for the listen address
	settings      verify.Settings
	mode          verifierMode
	staticTokens  map[string]static.Token
	introspection *introspectionSettings // nil unless MCPAUTH_INTROSPECTION_* are set; with modeJWT, a chain
	authServers   []string               // MCPAUTH_AUTHORIZATION_SERVERS; nil means the issuers
	upstream      *url.URL               // proxy only
	// trustedProxies are the gateways whose forwarding headers the proxy
	// keeps (MCPAUTH_TRUSTED_PROXIES); proxy only.
	trustedProxies []netip.Prefix
	logLevel       slog.Level
	policy         *policy.Policy // MCPAUTH_POLICY_FILE; nil for none
	// policyFromHeaders decides operations from Mcp-Method and Mcp-Name
	// (authz with MCPAUTH_UPSTREAM_VALIDATES_MCP_HEADERS).
	policyFromHeaders bool
	// dpop is the DPoP configuration (MCPAUTH_DPOP*).
	dpop *dpopSettings
	// metricsAddr is MCPAUTH_METRICS_ADDR: the Prometheus endpoint's
	// listen address, "" for none.
	metricsAddr string
	// tracing is what the OTEL_* variables say; nil means no traces.
	tracing *observe.TracingConfig

	logger *slog.Logger
	stdout io.Writer // demo banner

	// Seams for tests; zero values mean time.Now, shutdownGrace and
	// defaultReadTimeouts.
	now             func() time.Time
	shutdownTimeout time.Duration
	readTimeouts    readTimeouts
	// metricsListening, when set, is called with the metrics URL once the
	// metrics listener is open.
	metricsListening func(url string)
}

// errConfig marks errors that are configuration mistakes (exit 2).
var errConfig = errors.New("configuration error")

func configErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errConfig, fmt.Sprintf(format, args...))
}

// parseServerConfig reads flags and variables. On failure it prints one
// line naming the flag or variable and returns done with the exit code.
func parseServerConfig(command string, args []string, e env) (cfg *serverConfig, code int, done bool) {
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	addrFlag := fs.String("addr", "", "listen address host:port (default $"+envAddr+" or "+defaultAddr+")")
	var upstreamFlag *string
	if command == "proxy" {
		upstreamFlag = fs.String("upstream", "", "URL of the upstream MCP endpoint (default $"+envUpstream+")")
	}
	fs.Usage = func() {
		io.WriteString(e.stderr, commandHelp(command))
		fs.PrintDefaults()
		io.WriteString(e.stderr, envHelp(command))
	}
	if code, done := parseFlags(fs, args); done {
		return nil, code, true
	}
	if fs.NArg() != 0 {
		return nil, e.failf(exitUsage, "%s takes no arguments", command), true
	}
	// Variable names are read in any letter case, as FastMCP reads its own:
	// a setting that looks like ours is never ignored, nor is one only in
	// FastMCP's .env file.
	if err := checkDotEnv(dotEnvFile, e.environ); err != nil {
		return nil, e.failf(exitUsage, "%s", strings.TrimPrefix(err.Error(), errConfig.Error()+": ")), true
	}
	own, err := e.withPrefix(envOwnPrefix)
	if err != nil {
		return nil, e.failf(exitUsage, "%s", strings.TrimPrefix(err.Error(), mcpauth.ErrInvalidConfig.Error()+": ")), true
	}
	fast, err := e.withPrefix(verify.FastMCPEnvPrefix)
	if err != nil {
		return nil, e.failf(exitUsage, "%s", strings.TrimPrefix(err.Error(), mcpauth.ErrInvalidConfig.Error()+": ")), true
	}
	// With FastMCP's family, name its variables in every message.
	family := func(msg string) string {
		if len(fast) > 0 {
			return strings.ReplaceAll(msg, verify.EnvPrefix, verify.FastMCPEnvPrefix)
		}
		return msg
	}
	intro, err := e.withPrefix(fastMCPIntrospectionPrefix)
	if err != nil {
		return nil, e.failf(exitUsage, "%s", strings.TrimPrefix(err.Error(), mcpauth.ErrInvalidConfig.Error()+": ")), true
	}
	vars, err := withFastMCPSettings(own, fast)
	if err == nil {
		vars, err = withFastMCPIntrospection(vars, intro)
	}
	if err != nil {
		return nil, e.failf(exitUsage, "%s", family(strings.TrimPrefix(err.Error(), errConfig.Error()+": "))), true
	}
	cfg, err = configFromEnv(command, vars, *addrFlag, flagValue(upstreamFlag))
	if err != nil {
		return nil, e.failf(exitUsage, "%s", family(strings.TrimPrefix(err.Error(), errConfig.Error()+": "))), true
	}
	if len(fast) > 0 {
		// The same values, read under FastMCP's names, so that the
		// verifier's errors name the variables that were set.
		if cfg.settings, err = verify.SettingsFromMap(verify.FastMCPEnvPrefix, fast); err != nil {
			return nil, e.failf(exitUsage, "%s", strings.TrimPrefix(err.Error(), mcpauth.ErrInvalidConfig.Error()+": ")), true
		}
	}
	otel, err := e.withPrefix(otelPrefix)
	if err != nil {
		return nil, e.failf(exitUsage, "%s", strings.TrimPrefix(err.Error(), mcpauth.ErrInvalidConfig.Error()+": ")), true
	}
	if cfg.tracing, err = observe.TracingFromEnv(otel); err != nil {
		return nil, e.failf(exitUsage, "%v", err), true
	}
	cfg.logger = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	cfg.stdout = e.stdout
	return cfg, 0, false
}

func flagValue(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// withFastMCPSettings lets a FastMCP deployment's environment carry over:
// FASTMCP_SERVER_AUTH_JWT_* variables (fast) are validated under their own
// names and then read as the matching MCPAUTH_JWT_* ones. Setting both
// families is an error, since one would silently shadow the other.
func withFastMCPSettings(vars, fast map[string]string) (map[string]string, error) {
	if len(fast) == 0 {
		return vars, nil
	}
	for k := range vars {
		if strings.HasPrefix(k, verify.EnvPrefix) {
			return nil, configErrorf("both %s* and %s* variables are set (%s); use one family", verify.EnvPrefix, verify.FastMCPEnvPrefix, k)
		}
	}
	if _, err := verify.SettingsFromMap(verify.FastMCPEnvPrefix, fast); err != nil {
		return nil, configErrorf("%s", strings.TrimPrefix(err.Error(), mcpauth.ErrInvalidConfig.Error()+": "))
	}
	out := maps.Clone(vars)
	for k, v := range fast {
		out[verify.EnvPrefix+strings.TrimPrefix(k, verify.FastMCPEnvPrefix)] = v
	}
	return out, nil
}

// configFromEnv validates the MCPAUTH_* variables (vars) and the flag
// values (empty when not given, so that the variable applies). logger and
// stdout are left for the caller.
func configFromEnv(command string, vars map[string]string, addrFlag, upstreamFlag string) (*serverConfig, error) {
	known := append(append([]string{envAddr, envMetricsAddr, envStaticTokens, envAuthServers, envLogLevel}, policyVars...), dpopVars...)
	switch command {
	case "proxy":
		known = append(known, envUpstream, envTrustedProxies)
	case "authz":
		known = append(known, envTrustedProxies, envUpstreamValidatesHeaders)
	}
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		switch {
		case strings.HasPrefix(k, verify.EnvPrefix) || strings.HasPrefix(k, envIntrospectionPrefix) || slices.Contains(known, k):
		case k == envUpstream:
			return nil, configErrorf("%s is read only by mcpauth proxy; unset it for mcpauth %s", k, command)
		case k == envUpstreamValidatesHeaders:
			return nil, configErrorf("%s is read only by mcpauth authz; unset it for mcpauth %s", k, command)
		case k == envTrustedProxies:
			return nil, configErrorf("%s is read only by mcpauth proxy and mcpauth authz; unset it for mcpauth %s", k, command)
		case verify.Suggest(k, append(slices.Clone(known), verify.EnvVariables(verify.EnvPrefix)...)) != "":
			return nil, configErrorf("unknown environment variable %s; did you mean %s?", k, verify.Suggest(k, append(slices.Clone(known), verify.EnvVariables(verify.EnvPrefix)...)))
		default:
			return nil, configErrorf("unknown environment variable %s (known: %s, and the %s* settings)", k, strings.Join(known, ", "), verify.EnvPrefix)
		}
	}
	get := func(name string) string { return strings.TrimSpace(vars[name]) }

	cfg := &serverConfig{command: command}
	jwtVars := make(map[string]string)
	for k, v := range vars {
		if strings.HasPrefix(k, verify.EnvPrefix) {
			jwtVars[k] = v
		}
	}
	s, err := verify.SettingsFromMap(verify.EnvPrefix, jwtVars)
	if err != nil {
		return nil, err
	}
	cfg.settings = s
	if cfg.policy, err = policyFromEnv(get); err != nil {
		return nil, err
	}
	if cfg.introspection, err = introspectionFromEnv(vars); err != nil {
		return nil, err
	}
	if cfg.dpop, err = dpopFromEnv(get); err != nil {
		return nil, err
	}
	if cfg.introspection != nil && cfg.dpop.config.Mode != dpop.Off {
		// The middleware checks DPoP proofs: tokens the introspection
		// endpoint reports as DPoP-bound (cnf.jkt) are accepted with a
		// proof by that key, and refused as Bearer. With DPoP off they
		// stay refused, as nothing would check the proof.
		cfg.introspection.cfg.DPoPBound = true
	}

	switch {
	case addrFlag != "":
		cfg.addr, err = checkAddr("-addr", addrFlag)
	case get(envAddr) != "":
		cfg.addr, err = checkAddr(envAddr, get(envAddr))
	default:
		cfg.addr = defaultAddr
	}
	if err != nil {
		return nil, err
	}
	if v := get(envMetricsAddr); v != "" {
		if cfg.metricsAddr, err = checkAddr(envMetricsAddr, v); err != nil {
			return nil, err
		}
		if cfg.metricsAddr == cfg.addr && !strings.HasSuffix(cfg.addr, ":0") {
			return nil, configErrorf("%s %q is the listen address of the server; the metrics need a port of their own", envMetricsAddr, v)
		}
	}
	if v := get(envLogLevel); v != "" {
		if cfg.logLevel, err = parseLogLevel(v); err != nil {
			return nil, configErrorf("%s: %v", envLogLevel, err)
		}
	}
	if s.BaseURL != "" {
		if cfg.baseURL, err = checkBaseURL(envBaseURL, s.BaseURL); err != nil {
			return nil, err
		}
		if err := checkNotEndpoint(envBaseURL, cfg.baseURL); err != nil {
			return nil, err
		}
	}
	if v := get(envAuthServers); v != "" {
		for _, as := range strings.Split(v, ",") {
			as = strings.TrimSpace(as)
			if as == "" {
				return nil, configErrorf("%s has an empty item", envAuthServers)
			}
			if err := checkPublicURL(envAuthServers, as); err != nil {
				return nil, err
			}
			cfg.authServers = append(cfg.authServers, as)
		}
	}

	set := func(name string) bool { return strings.TrimSpace(jwtVars[name]) != "" }
	staticFile := get(envStaticTokens)
	// An issuer alone selects JWT verification too: the JWK Set URL is then
	// discovered from the issuer's metadata (verify.NewJWTVerifier).
	hasKey := hasJWTKeySource(s)
	switch {
	case staticFile != "" && cfg.introspection != nil:
		return nil, configErrorf("%s and %s* are mutually exclusive; set one", envStaticTokens, envIntrospectionPrefix)
	case staticFile != "" && hasKey:
		return nil, configErrorf("%s and the JWT key settings (%s, %s) are mutually exclusive; set one", envStaticTokens, envPublicKey, envJWKSURI)
	case staticFile != "":
		// Static tokens have no signature, issuer or audience: a setting
		// for those would look checked while it is not.
		for _, k := range slices.Sorted(maps.Keys(jwtVars)) {
			if set(k) && k != envBaseURL && k != envScopes {
				return nil, configErrorf("%s cannot be used with %s (static tokens have no key, issuer or audience); only %s and %s apply", k, envStaticTokens, envBaseURL, envScopes)
			}
		}
		tokens, err := static.LoadFile(staticFile)
		if err != nil {
			return nil, configErrorf("%s: %s", envStaticTokens, strings.TrimPrefix(err.Error(), mcpauth.ErrInvalidConfig.Error()+": "))
		}
		cfg.mode, cfg.staticTokens = modeStatic, tokens
	case hasKey:
		if len(s.Issuers) == 0 && (s.PublicKey != "" || s.JWKSURI != "") {
			return nil, configErrorf("%s is required with %s or %s", envIssuer, envJWKSURI, envPublicKey)
		}
		if cfg.authServers == nil {
			for _, iss := range advertisedIssuers(s, cfg.introspection) {
				if err := checkPublicURL(envIssuer, iss); err != nil {
					return nil, configErrorf("%s %q cannot be advertised as an authorization server (not an http or https URL); set %s", envIssuer, iss, envAuthServers)
				}
			}
		}
		cfg.mode = modeJWT
	case cfg.introspection != nil:
		if err := checkIntrospectionAdvertised(cfg); err != nil {
			return nil, err
		}
		cfg.mode = modeIntrospection
	case command == "proxy" || command == "authz":
		return nil, configErrorf("no verifier configured: set %s (or %s) and %s, %s, or %s", envJWKSURI, envPublicKey, envIssuer, envIntrospectionURL, envStaticTokens)
	default:
		if err := checkDemoVariables(set); err != nil {
			return nil, err
		}
		cfg.mode = modeDemo
	}

	if command == "proxy" {
		raw, name := upstreamFlag, "-upstream"
		if raw == "" {
			raw, name = get(envUpstream), envUpstream
		}
		if raw == "" {
			return nil, configErrorf("the upstream MCP server is required: set %s or -upstream", envUpstream)
		}
		if cfg.upstream, err = checkUpstream(name, raw); err != nil {
			return nil, err
		}
		if cfg.trustedProxies, err = parseTrustedProxies(envTrustedProxies, vars[envTrustedProxies]); err != nil {
			return nil, err
		}
	}
	if command == "authz" {
		if err := authzConfig(cfg, vars); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// parseLogLevel accepts debug, info, warn and error in any letter case.
func parseLogLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q is not one of debug, info, warn, error", s)
}

// envHelp documents every variable serve or proxy reads: its own, then the
// settings variables from verify.EnvTable, the table the parser reads.
func envHelp(command string) string {
	var b strings.Builder
	b.WriteString("\nEnvironment (a flag wins over its variable; names are read in any letter case;\nan unknown MCPAUTH_* variable is an error):\n")
	row := func(name, desc string) { fmt.Fprintf(&b, "  %-38s %s\n", name, desc) }
	row(envAddr, "listen address host:port (default "+defaultAddr+")")
	switch command {
	case "proxy":
		row(envUpstream, "URL of the upstream MCP endpoint, http or https (required)")
		row(envTrustedProxies, "gateways whose X-Forwarded-*/Forwarded headers are kept: IPs and CIDRs,")
		row("", "comma-separated (default: none; the proxy sets X-Forwarded-* itself)")
	case "authz":
		row(envTrustedProxies, "gateways whose X-Original-*/X-Forwarded-* headers name the original")
		row("", "request: IPs and CIDRs, comma-separated (default: "+defaultAuthzTrustedProxies+")")
		row(envUpstreamValidatesHeaders, "true: the MCP server refuses requests whose Mcp-Method/Mcp-Name")
		row("", "disagree with the body (MCP 2026-07-28); lets authz enforce a policy")
		row("", "file's operation rules from those headers (default false: refused)")
	}
	row(envMetricsAddr, "host:port of a Prometheus endpoint, GET /metrics, on a listener of its")
	row("", "own (default: none); keep it off the public network")
	row(envLogLevel, "debug, info (default), warn or error; logs go to stderr")
	row("GOGC, GOMEMLIMIT", "Go's garbage collector; with neither set the server runs with")
	row("", fmt.Sprintf("GOGC=%d (see README, Variables of serve, proxy and authz)", serverGCPercent))
	row(envAuthServers, "authorization servers in the metadata, comma-separated (default: the issuers)")
	row(envStaticTokens, "JSON file of static tokens {token: {client_id, scopes, expires_at, sub}};")
	row("", "development only; excludes the JWT key, issuer and audience settings")
	policyHelp(row)
	dpopHelp(row)
	// What serve and proxy do when a setting is unset, where it differs
	// from the library's default.
	serverDefault := map[string]string{
		envIssuer:   "required with a key; alone, the JWK Set is discovered from its metadata",
		envAudience: "the resource URL, BASE_URL/mcp",
		envBaseURL:  "http:// + the listen address",
	}
	for _, v := range verify.EnvTable(verify.EnvPrefix) {
		def := v.Default
		if d, ok := serverDefault[v.Name]; ok {
			def = d
		}
		row(v.Name, v.Help+" (default: "+def+")")
	}
	b.WriteString(introspectionHelp())
	b.WriteString(tracingHelp)
	switch command {
	case "proxy":
		b.WriteString(proxyHeadersHelp)
	case "authz":
		b.WriteString(authzHeadersHelp)
	}
	return b.String()
}
