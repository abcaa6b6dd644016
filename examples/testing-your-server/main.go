package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/verify"
)

// scopeHello is the scope GET /hello requires.
const scopeHello = "hello:read"

// newHandler returns the server's routes, protected by v. opts are passed
// to middleware.New after the server's own (tests add an observer).
func newHandler(v mcpauth.TokenVerifier, opts ...middleware.Option) (http.Handler, error) {
	if v == nil {
		return nil, errors.New("no token verifier")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		at, _ := middleware.AccessTokenFrom(r.Context())
		fmt.Fprintf(w, "hello, %s\n", at.Subject)
	})
	protect := middleware.New(v, append([]middleware.Option{middleware.WithRequiredScopes(scopeHello)}, opts...)...)
	return protect(mux), nil
}

func main() {
	addr := flag.String("addr", envOr("MCPAUTH_ADDR", "127.0.0.1:8083"), "listen address (env MCPAUTH_ADDR)")
	flag.Parse()
	if err := run(*addr); err != nil {
		slog.Error("testing-your-server", "err", err)
		os.Exit(1)
	}
}

// run serves until the process is stopped.
func run(addr string) error {
	s, err := verify.SettingsFromEnv(verify.EnvPrefix)
	if err != nil {
		return err
	}
	v, err := verify.NewJWTVerifier(s)
	if err != nil {
		return fmt.Errorf("%w (see the MCPAUTH_JWT_* variables: %v)", err, verify.EnvVariables(verify.EnvPrefix))
	}
	defer v.Close()
	h, err := newHandler(v)
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	slog.Info("listening", "addr", addr)
	return srv.ListenAndServe()
}

// envOr returns the environment variable key, or def when it is unset or
// empty.
func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
