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

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/policy"
	"github.com/mcpauth/mcpauth/resource"
	"github.com/mcpauth/mcpauth/static"
	"github.com/mcpauth/mcpauth/verify"
)

// mcpPath is the path of the MCP endpoint below the base URL.
const mcpPath = "/mcp"

// defaultPolicy is used unless MCPAUTH_POLICY_FILE names another.
var defaultPolicy = policy.Config{
	Tools:   map[string][]string{"delete_notes": {"notes:write"}, policy.Any: {"notes:read"}},
	Methods: map[string][]string{"tools/list": {"notes:read"}},
	Implies: map[string][]string{"notes:admin": {"notes:write"}, "notes:write": {"notes:read"}},
}

// demoTokens are the static tokens of the demo.
var demoTokens = map[string]static.Token{
	"demo-reader": {ClientID: "reader", Scopes: []string{"notes:read"}},
	"demo-writer": {ClientID: "writer", Scopes: []string{"notes:write"}},
	"demo-admin":  {ClientID: "admin", Scopes: []string{"notes:admin"}},
}

// newMCPServer returns the mcp-go server with the notes tools.
func newMCPServer() *server.MCPServer {
	s := server.NewMCPServer("mcpgo-server", "0.1.0", server.WithToolCapabilities(false))
	s.AddTool(mcp.NewTool("search_notes",
		mcp.WithDescription("Searches the notes; reports the caller."),
		mcp.WithString("query", mcp.Description("text to look for")),
	), searchNotes)
	s.AddTool(mcp.NewTool("delete_notes",
		mcp.WithDescription("Deletes notes (the example deletes nothing); deleting all of them also needs notes:admin."),
		mcp.WithBoolean("all", mcp.Description("delete every note")),
	), deleteNotes)
	return s
}

// searchNotes reads the caller's access token from the context.
func searchNotes(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	at, ok := middleware.AccessTokenFrom(ctx)
	if !ok {
		return nil, errors.New("no access token: the handler is not behind mcpauth")
	}
	return mcp.NewToolResultText(fmt.Sprintf("client %s searched for %q with scopes %s",
		at.ClientID, req.GetString("query", ""), strings.Join(at.Scopes, " "))), nil
}

// deleteNotes decides inside the tool: deleting everything needs
// notes:admin on top of the policy's notes:write.
func deleteNotes(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	at, ok := middleware.AccessTokenFrom(ctx)
	if !ok {
		return nil, errors.New("no access token: the handler is not behind mcpauth")
	}
	if req.GetBool("all", false) && !at.HasScopes("notes:admin") {
		return mcp.NewToolResultError("deleting every note needs notes:admin"), nil
	}
	return mcp.NewToolResultText("client " + at.ClientID + " deleted the notes"), nil
}

// newHandler returns the routes: the MCP endpoint behind the middleware
// with the policy, and the RFC 9728 metadata outside it.
func newHandler(v mcpauth.TokenVerifier, p *policy.Policy, res *resource.Resource) (http.Handler, error) {
	authn, err := middleware.NewChecked(v, res.MiddlewareOption(), middleware.WithPolicy(p))
	if err != nil {
		return nil, err
	}
	mcpHandler := server.NewStreamableHTTPServer(newMCPServer(), server.WithStateLess(true))
	mux := http.NewServeMux()
	mux.Handle(res.Path(), authn(mcpHandler))
	mux.Handle(res.MetadataPath(), res.MetadataHandler())
	return mux, nil
}

func main() {
	addr := flag.String("addr", envOr("MCPAUTH_ADDR", "127.0.0.1:8080"), "listen address (env MCPAUTH_ADDR)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr); err != nil {
		slog.Error("mcpgo-server", "err", err)
		os.Exit(1)
	}
}

// run configures and serves until ctx ends.
func run(ctx context.Context, addr string) error {
	p, err := policy.New(defaultPolicy)
	if file := os.Getenv("MCPAUTH_POLICY_FILE"); file != "" {
		p, err = policy.LoadFile(file)
	}
	if err != nil {
		return err
	}
	s, err := verify.SettingsFromEnv(verify.EnvPrefix)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	base := strings.TrimSuffix(s.BaseURL, "/")
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	// scopes_supported: the operation scopes, as clients request them.
	res, err := resource.New(resource.Config{URL: base + mcpPath, AuthorizationServers: s.Issuers, Scopes: p.Advertised(p.Scopes())})
	if err != nil {
		return err
	}
	var v mcpauth.TokenVerifier
	if s.PublicKey == "" && s.JWKSURI == "" && len(s.Issuers) == 0 {
		if v, err = static.NewTokenVerifier(demoTokens); err != nil {
			return err
		}
		fmt.Printf("demo: static tokens demo-reader (notes:read), demo-writer (notes:write), demo-admin (notes:admin)\nMCP endpoint %s\n", res.URL())
	} else {
		if len(s.Audiences) == 0 {
			s.Audiences = []string{res.Audience()}
		}
		jv, err := verify.NewJWTVerifier(s)
		if err != nil {
			return err
		}
		defer jv.Close()
		v = jv
	}
	h, err := newHandler(v, p, res)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
