package main

// serve.go: "mcpauth serve", an MCP server (go-sdk, streamable HTTP) with a
// whoami tool behind the middleware. Its demo mode is in demo.go.

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/sdkauth"
)

const serveHelp = `Usage: mcpauth serve [flags]

Runs an MCP server (streamable HTTP, stateless, JSON responses) whose MCP
endpoint requires a bearer token. Its tool "whoami" returns the caller's
verified access token (client_id, subject, scopes, expires_at, claims) as
JSON text and as structured content. Demo notes give an operation policy
(MCPAUTH_POLICY_FILE) something to tell apart: the tools search_notes and
delete_notes (which deletes nothing), the resources notes://public/readme
and notes://private/{name}, and the prompt summarize.

Routes (paths follow MCPAUTH_JWT_BASE_URL's path, if any):
  /mcp                                        MCP endpoint; token required
  GET /healthz                                200 without a token
  GET /.well-known/oauth-protected-resource/mcp
  GET /.well-known/oauth-protected-resource   RFC 9728 metadata: resource,
                                              authorization_servers,
                                              scopes_supported,
                                              bearer_methods_supported
  GET /.well-known/jwks.json                  the demo key (demo mode only)

DPoP (RFC 9449, MCPAUTH_DPOP): a DPoP-bound token (cnf.jkt) is accepted only
as "Authorization: DPoP <token>" with a "DPoP: <proof>" header whose htu is
the public URL (MCPAUTH_JWT_BASE_URL, or http:// + the listen address) and
path, never one taken from Host or X-Forwarded-* headers.

Every 401 carries WWW-Authenticate with resource_metadata; a token lacking a
required scope gets 403 insufficient_scope; while no verification keys are
available (JWKS not reachable yet) requests get 503 with Retry-After, and the
server recovers by itself when the keys arrive.

A request's head must arrive within 10s and the whole request within 30s
(responses, such as SSE streams, are not limited); idle connections close
after 2 minutes. An answer other than a success to a request whose body was
not read (every rejection) is sent at once and closes the connection.

Verifier: MCPAUTH_JWT_PUBLIC_KEY or MCPAUTH_JWT_JWKS_URI with
MCPAUTH_JWT_ISSUER verify JWTs; MCPAUTH_JWT_ISSUER alone discovers the
JWKS from the issuer's OpenID Connect / RFC 8414 metadata;
MCPAUTH_STATIC_TOKENS_FILE uses fixed development tokens. With none of
them, serve runs a demo: it makes an ephemeral
RSA key, publishes it at /.well-known/jwks.json, verifies against that JWKS
with issuer = the base URL and audience = the resource URL (the production
code path), requires scope mcp:tools (or MCPAUTH_JWT_REQUIRED_SCOPES) and
prints a 1-hour token and a curl command that calls whoami to stdout.
With MCPAUTH_DPOP=require the token is DPoP-bound to a client key the
demo saves (until it stops), and it prints the mcpauth token -dpop
command that makes each request's proof.

Stops gracefully on SIGINT or SIGTERM (exit 0). Exit 2 on a configuration
error, 5 when the address cannot be listened on.

Flags:
`

func runServe(args []string, e env) int { return runServer("serve", args, e) }

// commandHelp returns the usage text of serve, proxy or authz, up to the
// flags.
func commandHelp(command string) string {
	switch command {
	case "proxy":
		return proxyHelp
	case "authz":
		return authzHelp
	}
	return serveHelp
}

// newMCPHandler returns the go-sdk MCP server with the whoami tool, behind
// sdkauth.Bridge (it must run inside middleware.New). The server is
// stateless: no session state can be carried from one caller's token to
// another's, and a single tools/call works without initialize.
//
// go-sdk refuses requests to a loopback listener whose Host is not loopback
// (DNS rebinding protection); when the operator declared a public,
// non-loopback base URL, the server sits behind a reverse proxy and the
// check is disabled: every request needs a token anyway.
func newMCPHandler(logger *slog.Logger, publicBaseURL bool) http.Handler {
	server := mcp.NewServer(&mcp.Implementation{Name: "mcpauth", Version: buildVersion()}, nil)
	mcp.AddTool(server, &mcp.Tool{
		Name:        "whoami",
		Description: "Returns the caller's verified access token: client_id, subject, scopes, expires_at (Unix seconds), claims and, for a DPoP-bound token, dpop_jkt.",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, Title: "Who am I?"},
	}, whoami)
	addNotesDemo(server)
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, &mcp.StreamableHTTPOptions{
		Stateless:                  true,
		JSONResponse:               true,
		Logger:                     logger,
		DisableLocalhostProtection: publicBaseURL,
	})
	return sdkauth.Bridge(h)
}

// whoamiResult is the whoami tool's output: the AccessToken's JSON form.
type whoamiResult struct {
	ClientID  string         `json:"client_id" jsonschema:"the OAuth client the token was issued to"`
	Subject   string         `json:"subject,omitempty" jsonschema:"the sub claim"`
	Scopes    []string       `json:"scopes" jsonschema:"the granted scopes"`
	ExpiresAt *int64         `json:"expires_at,omitempty" jsonschema:"expiry in Unix seconds"`
	Issuer    string         `json:"issuer,omitempty" jsonschema:"the iss claim"`
	Audience  []string       `json:"audience,omitempty" jsonschema:"the aud claim"`
	Claims    map[string]any `json:"claims,omitempty" jsonschema:"every claim of the token"`
	DPoPJKT   string         `json:"dpop_jkt,omitempty" jsonschema:"for a DPoP-bound token: the thumbprint of the key the request proved (RFC 9449)"`
}

// whoami returns the caller's AccessToken (never the raw token).
func whoami(_ context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, whoamiResult, error) {
	var at *mcpauth.AccessToken
	ok := false
	if req != nil && req.Extra != nil {
		at, ok = sdkauth.AccessTokenFrom(req.Extra.TokenInfo)
	}
	if !ok {
		return nil, whoamiResult{}, errors.New("no access token: the server is misconfigured")
	}
	out := whoamiResult{
		ClientID: at.ClientID,
		Subject:  at.Subject,
		Scopes:   at.Scopes,
		Issuer:   at.Issuer,
		Audience: at.Audience,
		Claims:   at.Claims,
		DPoPJKT:  at.DPoPThumbprint,
	}
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	if !at.ExpiresAt.IsZero() {
		s := at.ExpiresAt.Unix()
		out.ExpiresAt = &s
	}
	return nil, out, nil
}
