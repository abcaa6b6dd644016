package main

// routes.go decides which verifier and which routes a server has: the
// protected MCP endpoint, health, RFC 9728 metadata and the demo JWKS.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/chain"
	"github.com/mcpauth/mcpauth/internal/urlrule"
	"github.com/mcpauth/mcpauth/introspect"
	"github.com/mcpauth/mcpauth/metadata"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/resource"
	"github.com/mcpauth/mcpauth/static"
	"github.com/mcpauth/mcpauth/verify"
)

// Routes besides the metadata.
const (
	// mcpPath is the MCP endpoint, appended to the base URL.
	mcpPath    = "/mcp"
	healthPath = "/healthz"
)

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
	obs         *observers // metrics and tracer, each nil when off
	demo        *demoInfo
	handler     http.Handler
	// h2c serves HTTP/2 without TLS besides HTTP/1 (authz's gRPC checks).
	h2c bool
}

// newSite builds the verifier and the routes.
func newSite(ctx context.Context, cfg *serverConfig, logger *slog.Logger, listenURL string) (*site, error) {
	st := &site{listenURL: listenURL, baseURL: cfg.baseURL, closeFn: func() {}, outcomes: newOutcomeCounter(logger)}
	if st.baseURL == "" {
		st.baseURL = listenURL
	}
	st.resource = st.baseURL + mcpPath

	authServers := cfg.authServers
	var jwksHandler http.Handler
	var required []string // checked by the middleware (with a policy)
	// The verifiers whose statistics the metrics report.
	var (
		jwtVerifier   *verify.JWTVerifier
		introspection *introspect.Verifier
	)
	switch cfg.mode {
	case modeStatic:
		logger.Warn("mcpauth: using static tokens; they are for development only, use JWT verification in production",
			slog.String("file_variable", envStaticTokens), slog.Int("tokens", len(cfg.staticTokens)))
		var vs []string
		vs, required = requiredScopesWithPolicy(cfg.policy, cfg.settings.RequiredScopes)
		opts := []static.Option{static.WithRequiredScopes(vs...)}
		if cfg.now != nil {
			opts = append(opts, static.WithClock(cfg.now))
		}
		v, err := static.NewTokenVerifier(cfg.staticTokens, opts...)
		if err != nil {
			return nil, configErrorf("%s: %v", envStaticTokens, err)
		}
		st.verifier = v
	case modeIntrospection:
		s := cfg.settings
		if len(s.Audiences) == 0 {
			s.Audiences = []string{st.resource}
		}
		iv, err := newIntrospectionVerifier(cfg.introspection, s, introspectionOptions(cfg, logger)...)
		if err != nil {
			return nil, err
		}
		st.verifier, introspection = iv, iv
		if authServers == nil {
			authServers = []string{iv.Issuer()}
		}
	case modeJWT, modeDemo:
		s := cfg.settings
		if cfg.mode == modeDemo {
			d, h, err := newDemo(st, cfg.dpop.config)
			if err != nil {
				return nil, err
			}
			st.demo, jwksHandler = d, h
			s = d.verifierSettings(s, listenURL)
		}
		if len(s.Audiences) == 0 {
			s.Audiences = []string{st.resource}
		}
		s.RequiredScopes, required = requiredScopesWithPolicy(cfg.policy, s.RequiredScopes)
		opts := []verify.Option{verify.WithLogger(logger), verify.WithContext(ctx)}
		if cfg.now != nil {
			opts = append(opts, verify.WithClock(cfg.now))
		}
		v, err := verify.NewJWTVerifier(s, opts...)
		if err != nil {
			return nil, fmt.Errorf("%s* settings: %w", verify.EnvPrefix, err)
		}
		st.verifier, st.closeFn = v, func() { v.Close() }
		jwtVerifier = v
		if authServers == nil {
			authServers = v.Issuers() // every provider's issuer
		}
		if cfg.introspection != nil {
			iv, err := newIntrospectionVerifier(cfg.introspection, s, introspectionOptions(cfg, logger)...)
			if err != nil {
				v.Close()
				return nil, err
			}
			introspection = iv
			if st.verifier, err = chainWithIntrospection(v, iv, chain.WithLogger(logger)); err != nil {
				v.Close()
				return nil, err
			}
			if iss := iv.Issuer(); cfg.authServers == nil && iss != "" && !slices.Contains(authServers, iss) {
				authServers = append(authServers, iss)
			}
		}
		if st.demo != nil {
			if st.demo.token, err = st.demo.mint(); err != nil {
				v.Close()
				return nil, fmt.Errorf("demo: minting the token: %w", err)
			}
			if err := st.demo.saveClientKey(); err != nil {
				v.Close()
				return nil, err
			}
			closeJWT, demo := st.closeFn, st.demo
			st.closeFn = func() { closeJWT(); demo.cleanup() }
		}
	}

	scopes := required
	if sr, ok := st.verifier.(mcpauth.ScopeRequirer); ok {
		scopes = append(sr.RequiredScopes(), required...)
	}
	scopes = supportedScopes(cfg.policy, scopes)
	dv, closeDPoP, err := newDPoPVerifier(ctx, cfg, st.resource, logger)
	if err != nil {
		st.closeFn()
		return nil, err
	}
	closeVerifiers := st.closeFn
	st.closeFn = func() { closeVerifiers(); closeDPoP() }
	res, err := resource.New(resource.Config{
		URL:                  st.resource,
		AuthorizationServers: authServers,
		Scopes:               scopes,
		// Proofs name the resource's public URL (BASE_URL, or the
		// listen address): never a Host or X-Forwarded-* header.
		DPoP: dv,
	})
	if err != nil {
		st.closeFn()
		return nil, configErrorf("protected resource metadata: %v", err)
	}
	if st.obs, err = newObservers(ctx, cfg, jwtVerifier, introspection); err != nil {
		st.closeFn()
		return nil, err
	}
	closeVerifier := st.closeFn
	st.closeFn = func() {
		closeVerifier()
		if err := st.obs.tracer.Shutdown(); err != nil {
			logger.Warn("mcpauth: spans not exported at shutdown", slog.String("error", err.Error()))
		}
	}
	st.metadataURL = res.MetadataURL()
	// checkBaseURL allows only path characters that need no escaping.
	resourcePath := res.Path()

	verifier := st.verifier
	if cfg.command == "proxy" || cfg.command == "authz" {
		// A token whose identity the identity headers cannot carry is
		// refused, never forwarded with an incomplete identity.
		verifier = forwardableIdentity{st.verifier}
	}
	mwOpts := []middleware.Option{
		res.MiddlewareOption(),
		middleware.WithLogger(logger),
		middleware.WithObserver(st.obs.observer(st.outcomes)),
	}
	if cfg.command != "authz" {
		// authz never approves a request without a token: the gateway
		// answers CORS preflights itself.
		mwOpts = append(mwOpts, middleware.WithCORSPreflight())
	}
	authn := middleware.New(verifier, append(mwOpts, policyOptions(cfg.policy, required, cfg.policyFromHeaders)...)...)
	if cfg.command == "authz" {
		authn = st.obs.protect("", authn) // the path is the original request's
	} else {
		authn = st.obs.protect(resourcePath, authn)
	}

	mux := http.NewServeMux()
	mux.HandleFunc(healthPath, health)
	mux.Handle(res.MetadataPath(), res.MetadataHandler())
	if res.MetadataPath() != metadata.WellKnownPrefix {
		mux.Handle(metadata.WellKnownPrefix, res.MetadataHandler())
	}
	if jwksHandler != nil {
		mux.Handle(demoJWKSPath, jwksHandler)
	}
	st.handler = mux
	switch cfg.command {
	case "authz":
		// Every other path is a check; gRPC too.
		var stop func()
		st.handler, stop = newAuthzHandler(mux, authn, cfg.trustedProxies, logger)
		closeVerifier := st.closeFn
		st.closeFn = func() { stop(); closeVerifier() }
		st.h2c = true
	case "proxy":
		protected := withCORS(authn(answerPreflight(st.obs.instrument(newProxy(cfg.upstream, resourcePath, cfg.trustedProxies, logger)))))
		mux.Handle(resourcePath, protected)
		mux.Handle(resourcePath+"/", protected)
	default:
		endpoint := newMCPHandler(logger, cfg.baseURL != "" && !urlrule.IsLoopbackHost(hostnameOf(cfg.baseURL)))
		mux.Handle(resourcePath, withCORS(authn(answerPreflight(endpoint))))
	}
	return st, nil
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
