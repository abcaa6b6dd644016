package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/resource"
	"github.com/mcpauth/mcpauth/sdkauth"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/verify"
)

// mcpPath is the path of the MCP endpoint below the base URL.
const mcpPath = "/mcp"

// newHandler returns the server's routes: the MCP endpoint at the resource's
// path, protected by v, and its RFC 9728 metadata document outside the
// protection.
func newHandler(v mcpauth.TokenVerifier, res *resource.Resource) (http.Handler, error) {
	if res.Path() == "/" {
		return nil, fmt.Errorf("resource %q must have a path, such as https://mcp.example.com/mcp", res.URL())
	}
	server := mcp.NewServer(&mcp.Implementation{Name: "gosdk-server", Version: "0.1.0"}, nil)
	mcp.AddTool(server, &mcp.Tool{
		Name:        "whoami",
		Description: "Describes the caller's verified access token.",
	}, whoami)
	streamable := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)

	// Protect runs mcpauth's middleware (every 401/403/503 is mcpauth's) and
	// passes the verified token to the SDK as req.Extra.TokenInfo. The
	// verifier's required scopes are advertised in the challenges.
	protect, err := sdkauth.ProtectChecked(v, res.MiddlewareOption())
	if err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	mux.Handle(res.Path(), protect(streamable))
	mux.Handle(res.MetadataPath(), res.MetadataHandler())
	return mux, nil
}

// whoamiOutput is the whoami tool's structured result.
type whoamiOutput struct {
	ClientID  string   `json:"client_id"`
	Subject   string   `json:"subject,omitempty"`
	Issuer    string   `json:"issuer,omitempty"`
	Scopes    []string `json:"scopes"`
	ExpiresAt int64    `json:"expires_at,omitempty"`
}

// whoami reads the caller's access token from the request.
func whoami(_ context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, whoamiOutput, error) {
	at, ok := sdkauth.AccessTokenFrom(req.Extra.TokenInfo)
	if !ok {
		// Only reachable if the MCP handler is mounted without Protect.
		return nil, whoamiOutput{}, errors.New("no access token")
	}
	out := whoamiOutput{
		ClientID: at.ClientID,
		Subject:  at.Subject,
		Issuer:   at.Issuer,
		Scopes:   append([]string{}, at.Scopes...),
	}
	if !at.ExpiresAt.IsZero() {
		out.ExpiresAt = at.ExpiresAt.Unix()
	}
	return nil, out, nil
}

func main() {
	addr := flag.String("addr", envOr("MCPAUTH_ADDR", "127.0.0.1:8080"), "listen address (env MCPAUTH_ADDR)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr); err != nil {
		slog.Error("gosdk-server", "err", err)
		os.Exit(1)
	}
}

// run configures and serves until ctx ends.
func run(ctx context.Context, addr string) error {
	s, err := verify.SettingsFromEnv(verify.EnvPrefix)
	if err != nil {
		return err
	}
	// Listen first, so that the demo's JWKS URL (on this very server) is
	// reachable as soon as the verifier starts fetching it.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if s.BaseURL == "" {
		s.BaseURL = "http://" + ln.Addr().String()
	}
	resourceURL := strings.TrimSuffix(s.BaseURL, "/") + mcpPath

	mux := http.NewServeMux()
	demo := s.PublicKey == "" && s.JWKSURI == ""
	var demoKey *testkeys.KeyPair
	if demo {
		if demoKey, err = testkeys.GenerateRSAKeyPair(); err != nil {
			return err
		}
		jwksHandler, err := testkeys.JWKSHandler(demoKey)
		if err != nil {
			return err
		}
		mux.Handle(testkeys.JWKSPath, jwksHandler)
		s.JWKSURI = "http://" + loopbackAddr(ln.Addr()) + testkeys.JWKSPath
		if len(s.Issuers) == 0 {
			s.Issuers = []string{testkeys.DefaultIssuer}
		}
	}

	res, err := resource.New(resource.Config{
		URL:                  resourceURL,
		AuthorizationServers: s.Issuers,
		Scopes:               s.RequiredScopes,
		Name:                 "mcpauth go-sdk example",
	})
	if err != nil {
		return err
	}
	if len(s.Audiences) == 0 {
		// MCP requires tokens issued for this server: by default the
		// audience is the resource URL (RFC 8707).
		s.Audiences = []string{res.Audience()}
	}
	v, err := verify.NewJWTVerifier(s)
	if err != nil {
		return err
	}
	defer v.Close()
	h, err := newHandler(v, res)
	if err != nil {
		return err
	}
	mux.Handle("/", h)

	if demo {
		token, err := demoKey.CreateToken(testkeys.TokenOptions{
			Issuer:           s.Issuers[0],
			Audience:         s.Audiences,
			Scopes:           s.RequiredScopes,
			AdditionalClaims: map[string]any{"client_id": "demo-client"},
		})
		if err != nil {
			return err
		}
		slog.Warn("demo mode: verifying tokens signed by an ephemeral key; set MCPAUTH_JWT_JWKS_URI, MCPAUTH_JWT_ISSUER (and MCPAUTH_JWT_AUDIENCE) for real use")
		fmt.Printf("MCP endpoint: %s\n\nDemo token (valid 1h):\n\n  TOKEN=%s\n\n", res.URL(), token)
		fmt.Printf("Without a token (401 with resource_metadata):\n\n  curl -i %s\n\n", res.URL())
		fmt.Printf("With the token (200, an MCP initialize):\n\n  curl -i -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \\\n    -d '%s' %s\n\n", initializeRequest, res.URL())
	}

	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	slog.Info("listening", "resource", res.URL())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// initializeRequest is an MCP initialize request, for the demo's curl line.
const initializeRequest = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"0"}}}`

// loopbackAddr returns a host:port on which this process reaches the
// listener at a: a itself, or the IPv4 loopback when a is a wildcard address.
func loopbackAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || tcp.IP.IsUnspecified() {
		_, port, _ := net.SplitHostPort(a.String())
		return net.JoinHostPort("127.0.0.1", port)
	}
	return tcp.String()
}

// envOr returns the environment variable key, or def when it is unset or
// empty.
func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
