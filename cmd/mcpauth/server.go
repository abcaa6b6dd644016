package main

// server.go holds what "mcpauth serve" and "mcpauth proxy" share: the
// configuration from flags and MCPAUTH_* variables, the verifier, the public
// routes (health, RFC 9728 metadata, demo JWKS), CORS, outcome counting and
// the HTTP server's lifecycle.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/metadata"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/static"
	"github.com/mcpauth/mcpauth/testkeys"
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

const (
	defaultAddr = "127.0.0.1:8080"
	// mcpPath is the MCP endpoint, appended to the base URL.
	mcpPath    = "/mcp"
	healthPath = "/healthz"
	// demoJWKSPath serves the demo's ephemeral public key.
	demoJWKSPath = testkeys.JWKSPath
	// demoScope is required (and granted to the demo token) in demo mode
	// unless MCPAUTH_JWT_REQUIRED_SCOPES says otherwise.
	demoScope = "mcp:tools"

	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
	// minMaxHeaderBytes bounds request headers; a larger Authorization
	// header is answered 431 by net/http before any handler runs.
	minMaxHeaderBytes = 64 << 10
	shutdownGrace     = 10 * time.Second
	// demoReadyTimeout bounds the demo's self-check of its own token.
	demoReadyTimeout = 10 * time.Second
)

// CORS for the MCP endpoint. Browsers send preflights without credentials;
// the MCP headers below must be allowed for a browser-based client to work,
// and WWW-Authenticate exposed so that it can discover the metadata.
const (
	corsAllowMethods  = "GET, POST, DELETE, OPTIONS"
	corsAllowHeaders  = "Authorization, Content-Type, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID"
	corsExposeHeaders = "Mcp-Session-Id, MCP-Protocol-Version, WWW-Authenticate"
	corsMaxAge        = "600"
)

// verifierMode says which verifier the server runs with.
type verifierMode int

const (
	modeDemo   verifierMode = iota // ephemeral key, served and verified locally
	modeJWT                        // MCPAUTH_JWT_PUBLIC_KEY or MCPAUTH_JWT_JWKS_URI
	modeStatic                     // MCPAUTH_STATIC_TOKENS_FILE
)

func (m verifierMode) String() string {
	switch m {
	case modeJWT:
		return "jwt"
	case modeStatic:
		return "static"
	default:
		return "demo"
	}
}

// serverConfig is the validated configuration of serve or proxy.
type serverConfig struct {
	command      string // "serve" or "proxy"
	addr         string
	baseURL      string // MCPAUTH_JWT_BASE_URL without trailing slash; "" for the listen address
	settings     verify.Settings
	mode         verifierMode
	staticTokens map[string]static.Token
	authServers  []string // MCPAUTH_AUTHORIZATION_SERVERS; nil means the issuers
	upstream     *url.URL // proxy only
	logLevel     slog.Level

	logger *slog.Logger
	stdout io.Writer // demo banner

	// Seams for tests; zero values mean time.Now and shutdownGrace.
	now             func() time.Time
	shutdownTimeout time.Duration
}

// errConfig marks errors that are configuration mistakes (exit 2).
var errConfig = errors.New("configuration error")

func configErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errConfig, fmt.Sprintf(format, args...))
}

// runServer is the body of "mcpauth serve" and "mcpauth proxy".
func runServer(command string, args []string, e env) int {
	cfg, code, done := parseServerConfig(command, args, e)
	if done {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, cfg, nil); err != nil {
		if errors.Is(err, errConfig) || errors.Is(err, mcpauth.ErrInvalidConfig) {
			return e.failf(exitUsage, "%s", strings.TrimPrefix(err.Error(), errConfig.Error()+": "))
		}
		return e.failf(exitInternal, "%v", err)
	}
	return exitOK
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
	vars, err := withFastMCPSettings(e.withPrefix(envOwnPrefix), e.withPrefix(verify.FastMCPEnvPrefix))
	if err != nil {
		return nil, e.failf(exitUsage, "%s", strings.TrimPrefix(err.Error(), errConfig.Error()+": ")), true
	}
	cfg, err = configFromEnv(command, vars, *addrFlag, flagValue(upstreamFlag))
	if err != nil {
		return nil, e.failf(exitUsage, "%s", strings.TrimPrefix(err.Error(), errConfig.Error()+": ")), true
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
	known := []string{envAddr, envStaticTokens, envAuthServers, envLogLevel}
	if command == "proxy" {
		known = append(known, envUpstream)
	}
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		switch {
		case strings.HasPrefix(k, verify.EnvPrefix) || slices.Contains(known, k):
		case k == envUpstream:
			return nil, configErrorf("%s is read only by mcpauth proxy; unset it for mcpauth %s", k, command)
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
	if v := get(envLogLevel); v != "" {
		if cfg.logLevel, err = parseLogLevel(v); err != nil {
			return nil, configErrorf("%s: %v", envLogLevel, err)
		}
	}
	if s.BaseURL != "" {
		if cfg.baseURL, err = checkBaseURL(envBaseURL, s.BaseURL); err != nil {
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
	hasKey := s.PublicKey != "" || s.JWKSURI != "" || len(s.Issuers) > 0
	switch {
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
		if len(s.Issuers) == 0 {
			return nil, configErrorf("%s is required with %s or %s", envIssuer, envJWKSURI, envPublicKey)
		}
		if cfg.authServers == nil {
			for _, iss := range s.Issuers {
				if err := checkPublicURL(envIssuer, iss); err != nil {
					return nil, configErrorf("%s %q cannot be advertised as an authorization server (not an http or https URL); set %s", envIssuer, iss, envAuthServers)
				}
			}
		}
		cfg.mode = modeJWT
	case command == "proxy":
		return nil, configErrorf("no verifier configured: set %s (or %s) and %s, or %s", envJWKSURI, envPublicKey, envIssuer, envStaticTokens)
	default:
		// Demo: audience and algorithm are the demo's own; a value for them
		// means a production key source was forgotten.
		for _, k := range []string{envAudience, envAlgorithm} {
			if set(k) {
				return nil, configErrorf("%s is set but no key source is: set %s, %s or %s (or unset %s to run the demo)", k, envJWKSURI, envPublicKey, envIssuer, k)
			}
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

// checkAddr validates a host:port listen address.
func checkAddr(name, addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", configErrorf("%s %q is not host:port (for example 127.0.0.1:8080 or :8080)", name, addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", configErrorf("%s %q: port %q is not a number from 0 to 65535", name, addr, port)
	}
	if strings.ContainsAny(host, " /\\@") {
		return "", configErrorf("%s %q: %q is not a host name or IP address", name, addr, host)
	}
	return addr, nil
}

// checkPublicURL accepts an absolute http or https URL with a host and no
// user information, fragment or characters that cannot be quoted in a
// challenge.
func checkPublicURL(name, raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return configErrorf("%s %q is not a URL", name, raw)
	case u.Scheme != "http" && u.Scheme != "https":
		return configErrorf("%s %q is not an absolute http or https URL", name, raw)
	case u.Opaque != "" || u.Hostname() == "":
		return configErrorf("%s %q has no host", name, raw)
	case u.User != nil:
		return configErrorf("%s must not contain user information", name)
	case strings.Contains(raw, "#"):
		return configErrorf("%s %q must not contain a fragment", name, raw)
	case strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r > '~' || r == '"' || r == '\\' }):
		return configErrorf("%s %q contains a space, quote, backslash, control or non-ASCII character", name, raw)
	}
	return nil
}

// checkBaseURL validates the public base URL and returns it without a
// trailing slash. Its path, if any, prefixes the routes, so it is limited to
// characters that need no escaping.
func checkBaseURL(name, raw string) (string, error) {
	if err := checkPublicURL(name, raw); err != nil {
		return "", err
	}
	u, _ := url.Parse(raw)
	if u.RawQuery != "" || u.ForceQuery {
		return "", configErrorf("%s %q must not have a query", name, raw)
	}
	p := strings.TrimSuffix(u.Path, "/")
	if p != "" {
		for seg := range strings.SplitSeq(p[1:], "/") {
			if seg == "" || seg == "." || seg == ".." || strings.ContainsFunc(seg, func(r rune) bool {
				return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r))
			}) {
				return "", configErrorf("%s %q: the path may only hold segments of letters, digits and -._~", name, raw)
			}
		}
	}
	return u.Scheme + "://" + u.Host + p, nil
}

// checkUpstream validates the proxy's upstream URL.
func checkUpstream(name, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, configErrorf("%s %q is not a URL", name, raw)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, configErrorf("%s %q is not an absolute http or https URL", name, raw)
	case u.Opaque != "" || u.Hostname() == "":
		return nil, configErrorf("%s %q has no host", name, raw)
	case u.User != nil:
		return nil, configErrorf("%s must not contain user information", name)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, configErrorf("%s %q must not have a query or fragment", name, raw)
	}
	return u, nil
}

// dialableAddr returns a host:port at which this process can reach the
// listener: an unspecified address (0.0.0.0, ::) becomes 127.0.0.1.
func dialableAddr(a net.Addr) string {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return a.String()
	}
	ip := ap.Addr().Unmap()
	if ip.IsUnspecified() {
		ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	return netip.AddrPortFrom(ip, ap.Port()).String()
}

// isLoopbackHost reports whether host (a name or IP, no port) is loopback.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// site is everything built from the configuration once the listen address
// is known.
type site struct {
	listenURL   string
	baseURL     string
	resource    string // baseURL + /mcp: the resource identifier and default audience
	metadataURL string
	verifier    mcpauth.TokenVerifier
	closeFn     func()
	outcomes    *outcomeCounter
	demo        *demoInfo
	handler     http.Handler
}

// serve listens on cfg.addr, sends the listen URL (http://host:port) on
// ready (if non-nil) once requests are answered, and serves until ctx ends;
// it then shuts down gracefully and returns nil. Errors wrapping errConfig
// or mcpauth.ErrInvalidConfig are configuration mistakes.
func serve(ctx context.Context, cfg *serverConfig, ready chan<- string) error {
	logger := cfg.logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.addr, err)
	}
	defer ln.Close()

	// The verifier's background work outlives ctx until the server has
	// drained, so that requests in flight at shutdown are still answered.
	vctx, vcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer vcancel()
	st, err := newSite(vctx, cfg, logger, "http://"+dialableAddr(ln.Addr()))
	if err != nil {
		return err
	}
	defer st.closeFn()

	srv := &http.Server{
		Handler:           st.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		// No ReadTimeout or WriteTimeout: they would cut SSE streams.
		// Unauthenticated requests are answered before any body is read.
		MaxHeaderBytes: maxHeaderBytes(cfg.settings.MaxTokenBytes),
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	if st.demo != nil {
		if err := st.demo.selfCheck(ctx, st.verifier); err != nil {
			srv.Close()
			if ctx.Err() != nil {
				return nil // stopped while starting
			}
			return err
		}
		st.demo.printBanner(cfg.stdout, st)
	}
	logger.Info("mcpauth: listening",
		slog.String("command", cfg.command), slog.String("url", st.listenURL),
		slog.String("resource", st.resource), slog.String("verifier", cfg.mode.String()))
	if ready != nil {
		select {
		case ready <- st.listenURL:
		case <-ctx.Done():
		}
	}

	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	logger.Info("mcpauth: shutting down")
	grace := cfg.shutdownTimeout
	if grace <= 0 {
		grace = shutdownGrace
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Warn("mcpauth: connections still open after the shutdown grace period; closing them", slog.Duration("grace", grace))
		srv.Close()
	}
	st.outcomes.logSummary(logger)
	return nil
}

// maxHeaderBytes allows the configured token size plus room for the other
// headers, and at least minMaxHeaderBytes.
func maxHeaderBytes(maxToken int) int {
	if maxToken <= 0 {
		maxToken = verify.DefaultMaxTokenBytes
	}
	return max(minMaxHeaderBytes, maxToken+32<<10)
}

// newSite builds the verifier and the routes.
func newSite(ctx context.Context, cfg *serverConfig, logger *slog.Logger, listenURL string) (*site, error) {
	st := &site{listenURL: listenURL, baseURL: cfg.baseURL, closeFn: func() {}, outcomes: newOutcomeCounter(logger)}
	if st.baseURL == "" {
		st.baseURL = listenURL
	}
	st.resource = st.baseURL + mcpPath
	var err error
	if st.metadataURL, err = metadata.WellKnownURL(st.resource); err != nil {
		return nil, configErrorf("%s: %v", envBaseURL, err)
	}
	metaPath, _ := metadata.Path(st.resource)
	// checkBaseURL allows only path characters that need no escaping.
	resourcePath := mcpPath
	if u, err := url.Parse(st.resource); err == nil {
		resourcePath = u.Path
	}

	authServers := cfg.authServers
	var jwksHandler http.Handler
	switch cfg.mode {
	case modeStatic:
		logger.Warn("mcpauth: using static tokens; they are for development only, use JWT verification in production",
			slog.String("file_variable", envStaticTokens), slog.Int("tokens", len(cfg.staticTokens)))
		opts := []static.Option{static.WithRequiredScopes(cfg.settings.RequiredScopes...)}
		if cfg.now != nil {
			opts = append(opts, static.WithClock(cfg.now))
		}
		v, err := static.NewTokenVerifier(cfg.staticTokens, opts...)
		if err != nil {
			return nil, configErrorf("%s: %v", envStaticTokens, err)
		}
		st.verifier = v
	case modeJWT, modeDemo:
		s := cfg.settings
		if cfg.mode == modeDemo {
			d, h, err := newDemo(st)
			if err != nil {
				return nil, err
			}
			st.demo, jwksHandler = d, h
			s.JWKSURI = listenURL + demoJWKSPath
			s.Issuers = []string{st.baseURL}
			if len(s.RequiredScopes) == 0 {
				s.RequiredScopes = []string{demoScope}
			}
			d.scopes = s.RequiredScopes
			// The key is this process's own; reaching it over plain http
			// on a non-loopback listen address is no risk.
			if u, _ := url.Parse(listenURL); !isLoopbackHost(u.Hostname()) {
				s.InsecureAllowHTTPJWKS = true
			}
		}
		if len(s.Audiences) == 0 {
			s.Audiences = []string{st.resource}
		}
		if authServers == nil {
			authServers = s.Issuers
		}
		opts := []verify.Option{verify.WithLogger(logger), verify.WithContext(ctx)}
		if cfg.now != nil {
			opts = append(opts, verify.WithClock(cfg.now))
		}
		v, err := verify.NewJWTVerifier(s, opts...)
		if err != nil {
			return nil, fmt.Errorf("%s* settings: %w", verify.EnvPrefix, err)
		}
		st.verifier, st.closeFn = v, func() { v.Close() }
		if st.demo != nil {
			if st.demo.token, err = st.demo.mint(); err != nil {
				v.Close()
				return nil, fmt.Errorf("demo: minting the token: %w", err)
			}
		}
	}

	var scopes []string
	if sr, ok := st.verifier.(mcpauth.ScopeRequirer); ok {
		scopes = sr.RequiredScopes()
	}
	meta, err := metadata.NewHandler(metadata.ProtectedResource{
		Resource:               st.resource,
		AuthorizationServers:   authServers,
		ScopesSupported:        scopes,
		BearerMethodsSupported: []string{"header"},
	})
	if err != nil {
		st.closeFn()
		return nil, configErrorf("protected resource metadata: %v", err)
	}

	authn := middleware.New(st.verifier,
		middleware.WithResourceMetadata(st.metadataURL),
		middleware.WithCORSPreflight(),
		middleware.WithLogger(logger),
		middleware.WithObserver(st.outcomes.observe),
	)
	var endpoint http.Handler
	if cfg.command == "proxy" {
		endpoint = newProxy(cfg.upstream, resourcePath, logger)
	} else {
		endpoint = newMCPHandler(logger, cfg.baseURL != "" && !isLoopbackHost(hostnameOf(cfg.baseURL)))
	}
	protected := withCORS(authn(answerPreflight(endpoint)))

	mux := http.NewServeMux()
	mux.HandleFunc(healthPath, health)
	mux.Handle(metaPath, meta)
	if metaPath != metadata.WellKnownPrefix {
		mux.Handle(metadata.WellKnownPrefix, meta)
	}
	if jwksHandler != nil {
		mux.Handle(demoJWKSPath, jwksHandler)
	}
	mux.Handle(resourcePath, protected)
	if cfg.command == "proxy" {
		mux.Handle(resourcePath+"/", protected)
	}
	st.handler = mux
	return st, nil
}

// hostnameOf returns the host name (no port) of an absolute URL.
func hostnameOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// health answers GET and HEAD with 200 and no authentication.
func health(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, "ok\n")
}

// withCORS lets browsers read every response of the MCP endpoint, including
// the 401 challenges. Bearer tokens are not CORS credentials (cookies are),
// so any origin may be allowed.
func withCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") != "" {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", "*")
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		next.ServeHTTP(w, r)
	})
}

// answerPreflight answers the CORS preflights that middleware.New let
// through (WithCORSPreflight); every other request reaching it carries an
// accepted token. It fails closed on anything else.
func answerPreflight(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := middleware.AccessTokenFrom(r.Context()); ok {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodOptions {
			http.Error(w, `{"error":"server_error","error_description":"the server cannot authorize this request"}`, http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Methods", corsAllowMethods)
		h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		h.Set("Access-Control-Max-Age", corsMaxAge)
		w.WriteHeader(http.StatusNoContent)
	})
}

// outcomeCounter counts authentication outcomes by result ("accepted" or
// the rejection reason), the hook a deployment would feed to Prometheus or
// OpenTelemetry. Each outcome is logged at debug, the totals at shutdown.
type outcomeCounter struct {
	logger *slog.Logger
	mu     sync.Mutex
	counts map[string]int64
}

func newOutcomeCounter(l *slog.Logger) *outcomeCounter {
	return &outcomeCounter{logger: l, counts: make(map[string]int64)}
}

// observe is the middleware.WithObserver hook.
func (c *outcomeCounter) observe(r *http.Request, o middleware.Outcome) {
	key := "accepted"
	if !o.Accepted {
		key = string(o.Reason)
	}
	c.mu.Lock()
	c.counts[key]++
	n := c.counts[key]
	c.mu.Unlock()
	c.logger.LogAttrs(r.Context(), slog.LevelDebug, "mcpauth: authentication outcome",
		slog.String("outcome", key), slog.Int("status", o.Status),
		slog.String("client_id", o.ClientID), slog.Duration("latency", o.Duration),
		slog.Int64("count", n))
}

// snapshot returns a copy of the counts.
func (c *outcomeCounter) snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.counts))
	for k, v := range c.counts {
		out[k] = v
	}
	return out
}

// logSummary logs the totals at info.
func (c *outcomeCounter) logSummary(l *slog.Logger) {
	counts := c.snapshot()
	attrs := make([]slog.Attr, 0, len(counts))
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		attrs = append(attrs, slog.Int64(k, counts[k]))
	}
	l.LogAttrs(context.Background(), slog.LevelInfo, "mcpauth: authentication outcomes", attrs...)
}
