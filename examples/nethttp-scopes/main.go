package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/verify"
)

// Scopes of the API.
const (
	scopeRead  = "notes:read"
	scopeWrite = "notes:write"
	scopeAdmin = "notes:admin"
)

// maxNoteBytes caps the body of POST /notes.
const maxNoteBytes = 4 << 10

// note is one stored note.
type note struct {
	Author string `json:"author"`
	Text   string `json:"text"`
}

// store is an in-memory list of notes, safe for concurrent use.
type store struct {
	mu    sync.Mutex
	notes []note
}

// newHandler returns the API: /healthz in the open, /notes behind v with a
// scope per method. opts are passed to middleware.New.
func newHandler(v mcpauth.TokenVerifier, opts ...middleware.Option) (http.Handler, error) {
	if v == nil {
		return nil, errors.New("no token verifier")
	}
	s := &store{}
	api := http.NewServeMux()
	api.Handle("GET /notes", middleware.RequireScopes(scopeRead)(http.HandlerFunc(s.list)))
	api.Handle("POST /notes", middleware.RequireScopes(scopeWrite)(http.HandlerFunc(s.add)))
	api.Handle("DELETE /notes", middleware.RequireScopes(scopeWrite, scopeAdmin)(http.HandlerFunc(s.clear)))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok\n")
	})
	// Everything else needs a valid token, even paths the API does not
	// know: an unauthenticated caller learns nothing about the routes.
	mux.Handle("/", middleware.New(v, opts...)(api))
	return mux, nil
}

func (s *store) list(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	notes := append([]note{}, s.notes...)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, notes)
}

func (s *store) add(w http.ResponseWriter, r *http.Request) {
	// RequireScopes let the request through, so the token is there.
	at, _ := middleware.AccessTokenFrom(r.Context())
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxNoteBytes))
	if err != nil {
		http.Error(w, "note too large", http.StatusRequestEntityTooLarge)
		return
	}
	n := note{Author: at.Subject, Text: strings.TrimSpace(string(body))}
	if n.Author == "" {
		n.Author = at.ClientID
	}
	s.mu.Lock()
	s.notes = append(s.notes, n)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, n)
}

func (s *store) clear(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	s.notes = nil
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func main() {
	addr := flag.String("addr", envOr("MCPAUTH_ADDR", "127.0.0.1:8081"), "listen address (env MCPAUTH_ADDR)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr); err != nil {
		slog.Error("nethttp-scopes", "err", err)
		os.Exit(1)
	}
}

// run configures and serves until ctx ends.
func run(ctx context.Context, addr string) error {
	s, err := verify.SettingsFromEnv(verify.EnvPrefix)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if s.BaseURL == "" {
		s.BaseURL = "http://" + ln.Addr().String()
	}
	if len(s.Audiences) == 0 {
		s.Audiences = []string{s.BaseURL}
	}
	var demoKey *testkeys.KeyPair
	if s.PublicKey == "" && s.JWKSURI == "" {
		// Demo: an ephemeral key whose public half is configured as PEM,
		// exactly as MCPAUTH_JWT_PUBLIC_KEY would be.
		if demoKey, err = testkeys.GenerateRSAKeyPair(); err != nil {
			return err
		}
		s.PublicKey = demoKey.PublicKeyPEM()
		if len(s.Issuers) == 0 {
			s.Issuers = []string{testkeys.DefaultIssuer}
		}
	}
	v, err := verify.NewJWTVerifier(s)
	if err != nil {
		return err
	}
	defer v.Close()
	h, err := newHandler(v, middleware.WithRealm("notes"))
	if err != nil {
		return err
	}
	if demoKey != nil {
		slog.Warn("demo mode: verifying tokens signed by an ephemeral key; set MCPAUTH_JWT_PUBLIC_KEY (or MCPAUTH_JWT_JWKS_URI) and MCPAUTH_JWT_ISSUER for real use")
		for _, scopes := range [][]string{{scopeRead}, {scopeRead, scopeWrite}, {scopeRead, scopeWrite, scopeAdmin}} {
			tok, err := demoKey.CreateToken(testkeys.TokenOptions{Issuer: s.Issuers[0], Audience: s.Audiences, Scopes: scopes})
			if err != nil {
				return err
			}
			fmt.Printf("Token with %q (valid 1h):\n  %s\n\n", strings.Join(scopes, " "), tok)
		}
		fmt.Printf("Try:\n  curl -i -H \"Authorization: Bearer $TOKEN\" %s/notes\n  curl -i -H \"Authorization: Bearer $TOKEN\" -d 'hello' %s/notes\n\n", s.BaseURL, s.BaseURL)
	}

	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	slog.Info("listening", "url", s.BaseURL)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// envOr returns the environment variable key, or def when it is unset or
// empty.
func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
