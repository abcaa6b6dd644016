package main

// serve.go: "mcpauth serve", an MCP server (go-sdk, streamable HTTP) with a
// whoami tool behind the middleware, and its demo mode.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/sdkauth"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/verify"
)

const serveHelp = `Usage: mcpauth serve [flags]

Runs an MCP server (streamable HTTP, stateless, JSON responses) whose MCP
endpoint requires a bearer token. Its one tool, "whoami", returns the
caller's verified access token (client_id, subject, scopes, expires_at,
claims) as JSON text and as structured content.

Routes (paths follow MCPAUTH_JWT_BASE_URL's path, if any):
  /mcp                                        MCP endpoint; token required
  GET /healthz                                200 without a token
  GET /.well-known/oauth-protected-resource/mcp
  GET /.well-known/oauth-protected-resource   RFC 9728 metadata: resource,
                                              authorization_servers,
                                              scopes_supported,
                                              bearer_methods_supported
  GET /.well-known/jwks.json                  the demo key (demo mode only)

Every 401 carries WWW-Authenticate with resource_metadata; a token lacking a
required scope gets 403 insufficient_scope; while no verification keys are
available (JWKS not reachable yet) requests get 503 with Retry-After, and the
server recovers by itself when the keys arrive.

Verifier: MCPAUTH_JWT_PUBLIC_KEY or MCPAUTH_JWT_JWKS_URI with
MCPAUTH_JWT_ISSUER verify JWTs; MCPAUTH_JWT_ISSUER alone discovers the
JWKS from the issuer's OpenID Connect / RFC 8414 metadata;
MCPAUTH_STATIC_TOKENS_FILE uses fixed development tokens. With none of
them, serve runs a demo: it makes an ephemeral
RSA key, publishes it at /.well-known/jwks.json, verifies against that JWKS
with issuer = the base URL and audience = the resource URL (the production
code path), requires scope mcp:tools (or MCPAUTH_JWT_REQUIRED_SCOPES) and
prints a 1-hour token and a curl command that calls whoami to stdout.

Stops gracefully on SIGINT or SIGTERM (exit 0). Exit 2 on a configuration
error, 5 when the address cannot be listened on.

Flags:
`

func runServe(args []string, e env) int { return runServer("serve", args, e) }

// commandHelp returns the usage text of serve or proxy, up to the flags.
func commandHelp(command string) string {
	if command == "proxy" {
		return proxyHelp
	}
	return serveHelp
}

// envHelp documents every variable serve or proxy reads.
func envHelp(command string) string {
	var b strings.Builder
	b.WriteString("\nEnvironment (a flag wins over its variable; an unknown MCPAUTH_* variable is an error):\n")
	row := func(name, desc string) { fmt.Fprintf(&b, "  %-38s %s\n", name, desc) }
	row(envAddr, "listen address host:port (default "+defaultAddr+"; 0.0.0.0:8080 in a container)")
	if command == "proxy" {
		row(envUpstream, "URL of the upstream MCP endpoint, http or https (required)")
	}
	row(envLogLevel, "debug, info (default), warn or error; logs go to stderr")
	row(envAuthServers, "authorization servers in the metadata, comma-separated (default: the issuers)")
	row(envStaticTokens, "JSON file of static tokens {token: {client_id, scopes, expires_at, sub}};")
	row("", "development only; excludes the JWT key, issuer and audience settings")
	row(envPublicKey, "PEM public key or certificate (or the HMAC secret for HS*)")
	row(envJWKSURI, "JWK Set URL (https; plain http only on loopback)")
	row(envIssuer, "accepted issuers, comma-separated; required with a key; alone, the JWKS is discovered from its metadata")
	row(envAudience, "accepted audiences, comma-separated (default: the resource URL, BASE_URL/mcp)")
	row(envAlgorithm, "algorithm allow-list, comma-separated (default: by key type)")
	row(envScopes, "scopes every token must grant, comma- or space-separated")
	row(envBaseURL, "public base URL (default http:// + the listen address); resource = BASE_URL/mcp")
	row(verify.EnvPrefix+"LEEWAY", "clock skew for exp, nbf, iat as a Go duration (default 30s; 0s for none)")
	row(verify.EnvPrefix+"MAX_TOKEN_BYTES", "token size cap in bytes (default 16384)")
	row(verify.EnvPrefix+"REQUIRE_AT_JWT", "true to require typ at+jwt (RFC 9068)")
	row(verify.EnvPrefix+"JWKS_REFRESH_INTERVAL", "JWK Set refresh period, Go duration (default 1h)")
	row(verify.EnvPrefix+"JWKS_REFRESH_RATE_LIMIT", "minimum time between refreshes for unknown kids (default 30s)")
	row(verify.EnvPrefix+"JWKS_TIMEOUT", "timeout of one JWK Set fetch (default 10s)")
	row(verify.EnvPrefix+"JWKS_MAX_BODY_BYTES", "JWK Set size cap in bytes (default 1 MiB)")
	row(verify.EnvPrefix+"INSECURE_ALLOW_HTTP_JWKS", "true to allow a plain-http JWKS on a non-loopback host")
	row(verify.EnvPrefix+"CACHE_SIZE", "verified-token cache entries (default: no cache)")
	row(verify.EnvPrefix+"CACHE_MAX_AGE", "how long a cached token is served at most, Go duration (default 5m)")
	if command == "proxy" {
		b.WriteString(proxyHeadersHelp)
	}
	return b.String()
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
		Description: "Returns the caller's verified access token: client_id, subject, scopes, expires_at (Unix seconds) and claims.",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, Title: "Who am I?"},
	}, whoami)
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, &mcp.StreamableHTTPOptions{
		Stateless:                  true,
		JSONResponse:               true,
		Logger:                     logger,
		DisableLocalhostProtection: publicBaseURL,
	})
	return sdkauth.Bridge(h)
}

func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
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

// Demo identity.
const (
	demoClientID = "mcpauth-demo"
	demoSubject  = "demo-user"
	demoLifetime = time.Hour
)

// demoInfo is the demo's ephemeral key and its token.
type demoInfo struct {
	key      *testkeys.RSAKeyPair
	issuer   string
	audience string
	scopes   []string
	token    string
}

// newDemo makes the ephemeral key and the handler publishing it.
func newDemo(st *site) (*demoInfo, http.Handler, error) {
	kp, err := testkeys.GenerateRSAKeyPair()
	if err != nil {
		return nil, nil, fmt.Errorf("demo: generating the key: %w", err)
	}
	h, err := testkeys.JWKSHandler(kp)
	if err != nil {
		return nil, nil, fmt.Errorf("demo: building the JWKS: %w", err)
	}
	return &demoInfo{key: kp, issuer: st.baseURL, audience: st.resource}, h, nil
}

// mint makes the demo token: an RFC 9068 access token for the resource.
func (d *demoInfo) mint() (string, error) {
	return d.key.CreateToken(testkeys.TokenOptions{
		Subject:          demoSubject,
		Issuer:           d.issuer,
		Audience:         []string{d.audience},
		Scopes:           d.scopes,
		ExpiresIn:        demoLifetime,
		Header:           map[string]any{"typ": "at+jwt"},
		AdditionalClaims: map[string]any{"client_id": demoClientID},
	})
}

// selfCheck waits until the verifier has loaded the demo JWKS from this
// server and accepts the demo token, so that the printed command works at
// once.
func (d *demoInfo) selfCheck(ctx context.Context, v mcpauth.TokenVerifier) error {
	ctx, cancel := context.WithTimeout(ctx, demoReadyTimeout)
	defer cancel()
	for {
		_, err := v.VerifyToken(ctx, d.token)
		switch {
		case err == nil:
			return nil
		case !errors.Is(err, mcpauth.ErrKeySourceUnavailable):
			return fmt.Errorf("demo: the demo token does not verify: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("demo: the server's own JWKS did not load within %s: %w", demoReadyTimeout, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// demoRequestBody calls whoami without a session: the server is stateless.
const demoRequestBody = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`

// demoProtocolVersion is sent in the demo request's MCP-Protocol-Version.
const demoProtocolVersion = "2025-11-25"

// demoCurl returns a shell command that calls whoami at endpoint.
func demoCurl(endpoint, token string) string {
	return strings.Join([]string{
		"curl", "-sS", shellQuote(endpoint),
		"-H", shellQuote("Authorization: Bearer " + token),
		"-H", shellQuote("Content-Type: application/json"),
		"-H", shellQuote("Accept: application/json, text/event-stream"),
		"-H", shellQuote("MCP-Protocol-Version: " + demoProtocolVersion),
		"-d", shellQuote(demoRequestBody),
	}, " ")
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// printBanner prints the demo's endpoints, token and curl command. This is
// the only place a token is ever printed: handing it out is the demo's
// point.
func (d *demoInfo) printBanner(w io.Writer, st *site) {
	if w == nil {
		return
	}
	fmt.Fprintf(w, `mcpauth serve: demo mode. No verifier is configured, so the server made an
ephemeral RSA key, publishes it at %s and verifies tokens
against that JWKS exactly as it would against an identity provider's.

  MCP endpoint  %s
  Metadata      %s
  Issuer        %s
  Audience      %s
  Scopes        %s

Token for client %q (valid for one hour):

%s

Call the whoami tool:

%s

Without the Authorization header, with an expired token or with a token for
another audience the server answers 401 with WWW-Authenticate.
`, st.listenURL+demoJWKSPath, st.resource, st.metadataURL, d.issuer, d.audience,
		strings.Join(d.scopes, " "), demoClientID, d.token, demoCurl(st.resource, d.token))
}
