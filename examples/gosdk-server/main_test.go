package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	resourcepkg "github.com/mcpauth/mcpauth/resource"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
	"github.com/mcpauth/mcpauth/verify"
)

// fixture is a running gosdk-server whose verifier fetches its keys from a
// test JWKS server, as a production server fetches its issuer's JWKS.
type fixture struct {
	url      string // base URL of the server
	resource string // URL of the MCP endpoint
	key      *testkeys.KeyPair
}

const requiredScope = "mcp:tools"

func newFixture(t *testing.T) *fixture {
	t.Helper()
	key := testkeystest.SharedRSAKeyPair(t)
	jwks := testkeystest.NewJWKSServer(t, key)

	// The resource URL must be known before the handler is built: take the
	// listener's address from an unstarted server.
	srv := httptest.NewUnstartedServer(nil)
	resource := "http://" + srv.Listener.Addr().String() + mcpPath

	v, err := verify.NewJWTVerifier(verify.Settings{
		JWKSURI:        jwks.URL(),
		Issuers:        []string{testkeys.DefaultIssuer},
		Audiences:      []string{resource},
		RequiredScopes: []string{requiredScope},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	res, err := resourcepkg.New(resourcepkg.Config{
		URL:                  resource,
		AuthorizationServers: []string{testkeys.DefaultIssuer},
		Scopes:               []string{requiredScope},
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := newHandler(v, res)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	return &fixture{url: srv.URL, resource: resource, key: key}
}

// token mints a token for the server; change adjusts the options.
func (f *fixture) token(t *testing.T, change func(*testkeys.TokenOptions)) string {
	t.Helper()
	o := testkeys.TokenOptions{
		Subject:          "alice",
		Audience:         []string{f.resource},
		Scopes:           []string{requiredScope},
		AdditionalClaims: map[string]any{"client_id": "example-client"},
	}
	if change != nil {
		change(&o)
	}
	tok, err := f.key.CreateToken(o)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// bearer adds an Authorization header to every request, as an MCP client
// with a token does.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// connect opens an MCP session with the go-sdk client.
func (f *fixture) connect(ctx context.Context, token string) (*mcp.ClientSession, error) {
	client := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "1"}, nil)
	return client.Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint:   f.resource,
		HTTPClient: &http.Client{Transport: bearer{token}},
		MaxRetries: -1,
	}, nil)
}

func TestWhoamiWithGoSDKClient(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	issued := time.Unix(time.Now().Unix(), 0)
	session, err := f.connect(ctx, f.token(t, func(o *testkeys.TokenOptions) {
		o.IssuedAt = issued
		o.Scopes = []string{requiredScope, "extra"}
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer session.Close()

	res, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "whoami"})
	if err != nil {
		t.Fatal(err)
	}
	if res.IsError || len(res.Content) != 1 {
		t.Fatalf("tool result: %+v", res)
	}
	text, ok := res.Content[0].(*mcp.TextContent)
	if !ok {
		t.Fatalf("content is %T", res.Content[0])
	}
	var got whoamiOutput
	if err := json.Unmarshal([]byte(text.Text), &got); err != nil {
		t.Fatal(err)
	}
	want := whoamiOutput{
		ClientID:  "example-client",
		Subject:   "alice",
		Issuer:    testkeys.DefaultIssuer,
		Scopes:    []string{requiredScope, "extra"},
		ExpiresAt: issued.Add(testkeys.DefaultExpiresIn).Unix(),
	}
	if got.ClientID != want.ClientID || got.Subject != want.Subject || got.Issuer != want.Issuer ||
		!slices.Equal(got.Scopes, want.Scopes) || got.ExpiresAt != want.ExpiresAt {
		t.Fatalf("whoami = %+v, want %+v", got, want)
	}
}

// TestRejectedBeforeTheSDK checks that mcpauth, not the SDK, answers
// requests without an acceptable token, with the RFC 6750 challenge that
// points MCP clients at the metadata.
func TestRejectedBeforeTheSDK(t *testing.T) {
	f := newFixture(t)
	metaURL := f.url + "/.well-known/oauth-protected-resource/mcp"
	other, err := testkeys.GenerateECKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		token      string
		wantStatus int
		wantAuth   string
	}{
		{
			name:       "no token",
			wantStatus: http.StatusUnauthorized,
			wantAuth:   `Bearer scope="mcp:tools", resource_metadata="` + metaURL + `"`,
		},
		{
			name:       "token for another server",
			token:      f.token(t, func(o *testkeys.TokenOptions) { o.Audience = []string{"https://other.example.com/mcp"} }),
			wantStatus: http.StatusUnauthorized,
			wantAuth:   `Bearer error="invalid_token", error_description="the access token is invalid", scope="mcp:tools", resource_metadata="` + metaURL + `"`,
		},
		{
			name:       "expired",
			token:      f.token(t, func(o *testkeys.TokenOptions) { o.ExpiresIn = -time.Hour }),
			wantStatus: http.StatusUnauthorized,
			wantAuth:   `Bearer error="invalid_token", error_description="the access token expired", scope="mcp:tools", resource_metadata="` + metaURL + `"`,
		},
		{
			name: "signed by a key the issuer does not publish",
			token: func() string {
				tok, err := other.CreateToken(testkeys.TokenOptions{Audience: []string{f.resource}, Scopes: []string{requiredScope}})
				if err != nil {
					t.Fatal(err)
				}
				return tok
			}(),
			wantStatus: http.StatusUnauthorized,
			wantAuth:   `Bearer error="invalid_token", error_description="the access token is invalid", scope="mcp:tools", resource_metadata="` + metaURL + `"`,
		},
		{
			name:       "missing the required scope",
			token:      f.token(t, func(o *testkeys.TokenOptions) { o.Scopes = []string{"other"} }),
			wantStatus: http.StatusForbidden,
			wantAuth:   `Bearer error="insufficient_scope", error_description="the access token lacks a required scope", scope="mcp:tools", resource_metadata="` + metaURL + `"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, f.resource, strings.NewReader(initializeRequest))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tt.wantStatus, body)
			}
			if got := resp.Header.Get("WWW-Authenticate"); got != tt.wantAuth {
				t.Fatalf("WWW-Authenticate:\n got %s\nwant %s", got, tt.wantAuth)
			}
			if tt.token != "" && strings.Contains(string(body), tt.token) {
				t.Fatal("response echoes the token")
			}
		})
	}

	t.Run("go-sdk client with a bad token", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		bad := f.token(t, func(o *testkeys.TokenOptions) { o.ExpiresIn = -time.Hour })
		if session, err := f.connect(ctx, bad); err == nil {
			session.Close()
			t.Fatal("connected with an expired token")
		}
	})
}

// TestSessionBoundToUser checks that a session created with one user's token
// cannot be used with another user's valid token: sdkauth sets the SDK's
// TokenInfo.UserID from the token's issuer and subject.
func TestSessionBoundToUser(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	session, err := f.connect(ctx, f.token(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer session.Close()

	call := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`
	send := func(subject string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, f.resource, strings.NewReader(call))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Mcp-Session-Id", session.ID())
		req.Header.Set("Mcp-Protocol-Version", session.InitializeResult().ProtocolVersion)
		req.Header.Set("Authorization", "Bearer "+f.token(t, func(o *testkeys.TokenOptions) { o.Subject = subject }))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := send("alice"); got != http.StatusOK {
		t.Fatalf("session owner: status %d, want 200", got)
	}
	if got := send("mallory"); got != http.StatusForbidden {
		t.Fatalf("another user on alice's session: status %d, want 403", got)
	}
}

func TestProtectedResourceMetadata(t *testing.T) {
	f := newFixture(t)
	// Unauthenticated, as MCP clients fetch it before they have a token.
	resp, err := http.Get(f.url + "/.well-known/oauth-protected-resource/mcp")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var doc struct {
		Resource               string   `json:"resource"`
		AuthorizationServers   []string `json:"authorization_servers"`
		ScopesSupported        []string `json:"scopes_supported"`
		BearerMethodsSupported []string `json:"bearer_methods_supported"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.Resource != f.resource ||
		!slices.Equal(doc.AuthorizationServers, []string{testkeys.DefaultIssuer}) ||
		!slices.Equal(doc.ScopesSupported, []string{requiredScope}) ||
		!slices.Equal(doc.BearerMethodsSupported, []string{"header"}) {
		t.Fatalf("metadata %+v", doc)
	}
}

func TestNewHandlerRejectsResourceWithoutPath(t *testing.T) {
	for _, resource := range []string{"https://mcp.example.com", "https://mcp.example.com/"} {
		res, err := resourcepkg.New(resourcepkg.Config{URL: resource})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := newHandler(nil, res); err == nil {
			t.Errorf("newHandler(%q) succeeded", resource)
		}
	}
}

func TestLoopbackAddr(t *testing.T) {
	tests := []struct {
		addr *net.TCPAddr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, "127.0.0.1:8080"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 8080}, "[::1]:8080"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}, "127.0.0.1:8080"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, "127.0.0.1:8080"},
	}
	for _, tt := range tests {
		t.Run(tt.addr.String(), func(t *testing.T) {
			if got := loopbackAddr(tt.addr); got != tt.want {
				t.Fatalf("loopbackAddr = %q, want %q", got, tt.want)
			}
		})
	}
}
