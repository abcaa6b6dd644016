package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/static"
	"github.com/mcpauth/mcpauth/verify"
)

// scopeRead is the scope every API request needs.
const scopeRead = "api:read"

// authMetrics holds the collectors fed by the middleware's observer.
type authMetrics struct {
	decisions *prometheus.CounterVec
	duration  *prometheus.HistogramVec
}

// newAuthMetrics creates the collectors and registers them with reg. The
// names and labels are those of the mcpauth command's /metrics, so that
// one dashboard serves both.
func newAuthMetrics(reg prometheus.Registerer) (*authMetrics, error) {
	m := &authMetrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mcpauth_requests_total",
			Help: "Requests decided by the authentication middleware, by outcome (accepted, rejected) and rejection reason (empty when accepted).",
		}, []string{"outcome", "reason"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mcpauth_verification_duration_seconds",
			Help: "Time taken by authentication decisions, token verification included, by outcome.",
			// Verification is CPU-bound and fast; a JWKS fetch is the slow
			// case.
			Buckets: []float64{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		}, []string{"outcome"}),
	}
	for _, c := range []prometheus.Collector{m.decisions, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observe is the middleware.WithObserver hook. It runs on the request's
// goroutine, so it only updates in-memory collectors.
func (m *authMetrics) observe(_ *http.Request, o middleware.Outcome) {
	outcome := "rejected"
	if o.Accepted {
		outcome = "accepted"
	}
	m.decisions.WithLabelValues(outcome, string(o.Reason)).Inc()
	m.duration.WithLabelValues(outcome).Observe(o.Duration.Seconds())
}

// newHandler returns the API protected by v, reporting to reg, and the
// /metrics endpoint serving reg.
//
// /metrics is not authenticated here; in production serve it on an internal
// listener or protect it separately.
func newHandler(v mcpauth.TokenVerifier, reg *prometheus.Registry) (http.Handler, error) {
	if v == nil || reg == nil {
		return nil, errors.New("a token verifier and a registry are required")
	}
	m, err := newAuthMetrics(reg)
	if err != nil {
		return nil, err
	}
	api := http.NewServeMux()
	api.HandleFunc("GET /api/hello", func(w http.ResponseWriter, r *http.Request) {
		at, _ := middleware.AccessTokenFrom(r.Context())
		fmt.Fprintf(w, "hello, %s\n", at.ClientID)
	})
	// The scope is required by New itself, so each request yields exactly
	// one Outcome. (With RequireScopes on a route, a token refused for
	// missing scopes is reported twice: accepted by New, then refused.)
	protect := middleware.New(v,
		middleware.WithRequiredScopes(scopeRead),
		middleware.WithObserver(m.observe),
	)

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.Handle("/", protect(api))
	return mux, nil
}

func main() {
	addr := flag.String("addr", envOr("MCPAUTH_ADDR", "127.0.0.1:8082"), "listen address (env MCPAUTH_ADDR)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr); err != nil {
		slog.Error("metrics", "err", err)
		os.Exit(1)
	}
}

// run configures and serves until ctx ends.
func run(ctx context.Context, addr string) error {
	v, err := newVerifier(addr)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	h, err := newHandler(v, reg)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	slog.Info("listening", "addr", addr)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// newVerifier returns a JWT verifier configured from MCPAUTH_JWT_*, or a
// development verifier with static tokens when no key is configured.
func newVerifier(addr string) (mcpauth.TokenVerifier, error) {
	s, err := verify.SettingsFromEnv(verify.EnvPrefix)
	if err != nil {
		return nil, err
	}
	if s.PublicKey != "" || s.JWKSURI != "" {
		// The verifier lives as long as the process, so it is never closed.
		return verify.NewJWTVerifier(s)
	}
	slog.Warn("no MCPAUTH_JWT_PUBLIC_KEY or MCPAUTH_JWT_JWKS_URI: using static development tokens")
	tokens := map[string]static.Token{
		"dev-token-reader": {ClientID: "reader", Scopes: []string{scopeRead}},
		"dev-token-nobody": {ClientID: "nobody"},
	}
	fmt.Printf("Development tokens: dev-token-reader (%s), dev-token-nobody (no scope)\n", scopeRead)
	fmt.Printf("Try:\n  curl -i -H 'Authorization: Bearer dev-token-reader' http://%s/api/hello\n  curl -s http://%s/metrics | grep mcpauth_\n\n", addr, addr)
	return static.NewTokenVerifier(tokens)
}

// envOr returns the environment variable key, or def when it is unset or
// empty.
func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
