package sdkauth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/dpop"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/static"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

func TestTokenInfo(t *testing.T) {
	exp := time.Unix(2000000000, 0)
	at := &mcpauth.AccessToken{ClientID: "c", Subject: "s", Issuer: "https://i", Scopes: []string{"a"}, ExpiresAt: exp}
	ti := TokenInfo(at)
	if ti.UserID != "https://i s" || !ti.Expiration.Equal(exp) || len(ti.Scopes) != 1 {
		t.Fatalf("%+v", ti)
	}
	if got, ok := AccessTokenFrom(ti); !ok || got != at {
		t.Fatal("AccessTokenFrom lost the token")
	}
	if ti := TokenInfo(&mcpauth.AccessToken{ClientID: "c"}); ti.UserID != "c" {
		t.Fatalf("UserID without subject = %q", ti.UserID)
	}
	if _, ok := AccessTokenFrom(nil); ok {
		t.Fatal("nil TokenInfo")
	}
	if _, ok := AccessTokenFrom(&auth.TokenInfo{}); ok {
		t.Fatal("empty TokenInfo")
	}
}

func TestProtectCheckedReportsBadOptions(t *testing.T) {
	v, err := static.NewTokenVerifier(map[string]static.Token{"tok": {ClientID: "c"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ProtectChecked(v, middleware.WithRequiredScopes("a b"))
	if !errors.Is(err, mcpauth.ErrInvalidConfig) || !strings.Contains(err.Error(), "WithRequiredScopes") {
		t.Fatalf("ProtectChecked = %v; want ErrInvalidConfig naming WithRequiredScopes", err)
	}
	defer func() {
		if r, _ := recover().(error); r == nil || r.Error() != err.Error() {
			t.Fatalf("Protect panicked with %v; want %v", r, err)
		}
	}()
	Protect(v, middleware.WithRequiredScopes("a b"))
}

func TestBridgeWithoutMiddlewareFailsClosed(t *testing.T) {
	called := false
	h := Bridge(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/mcp", nil)
	req.Header.Set("Authorization", "Bearer abc")
	h.ServeHTTP(rec, req)
	if rec.Code != 500 || called {
		t.Fatalf("status %d called %v", rec.Code, called)
	}
}

// TestToolHandlerSeesAccessToken runs a real go-sdk MCP server behind
// Protect and calls a tool over streamable HTTP.
func TestToolHandlerSeesAccessToken(t *testing.T) {
	v, err := static.NewTokenVerifier(map[string]static.Token{
		"dev-token-1": {ClientID: "client-1", Subject: "alice", Scopes: []string{"tools"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	server := mcp.NewServer(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	type out struct {
		ClientID string `json:"client_id"`
		Subject  string `json:"subject"`
	}
	mcp.AddTool(server, &mcp.Tool{Name: "whoami"}, func(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, out, error) {
		at, ok := AccessTokenFrom(req.Extra.TokenInfo)
		if !ok {
			return nil, out{}, errNoToken
		}
		return nil, out{ClientID: at.ClientID, Subject: at.Subject}, nil
	})
	handler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)
	srv := httptest.NewServer(Protect(v)(handler))
	defer srv.Close()

	client := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "1"}, nil)
	transport := &mcp.StreamableClientTransport{Endpoint: srv.URL, HTTPClient: &http.Client{Transport: bearer{"dev-token-1"}}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	session, err := client.Connect(ctx, transport, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer session.Close()
	res, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "whoami"})
	if err != nil {
		t.Fatal(err)
	}
	if res.IsError {
		t.Fatalf("tool error: %+v", res.Content)
	}
	text := res.Content[0].(*mcp.TextContent).Text
	if !strings.Contains(text, `"client_id":"client-1"`) || !strings.Contains(text, `"subject":"alice"`) {
		t.Fatalf("tool saw %s", text)
	}

	// Without a token the SDK handler is never reached: mcpauth answers.
	resp, err := http.Post(srv.URL, "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("status %d challenge %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

type sdkError string

func (e sdkError) Error() string { return string(e) }

const errNoToken = sdkError("no access token")

// boundVerifier accepts one token, DPoP-bound to jkt.
type boundVerifier struct{ token, jkt string }

func (v boundVerifier) VerifyToken(_ context.Context, token string) (*mcpauth.AccessToken, error) {
	if token != v.token {
		return nil, mcpauth.ErrInvalidToken
	}
	return &mcpauth.AccessToken{ClientID: "client-1", Claims: map[string]any{"cnf": map[string]any{"jkt": v.jkt}}}, nil
}

// TestToolHandlerSeesDPoPToken: a request the middleware accepted with the
// DPoP scheme reaches the go-sdk tool handler (whose carrier reads only
// Bearer) with its AccessToken and thumbprint.
func TestToolHandlerSeesDPoPToken(t *testing.T) {
	key := testkeystest.SharedECKeyPair(t)
	dv, err := dpop.NewVerifier(dpop.Config{})
	if err != nil {
		t.Fatal(err)
	}
	server := mcp.NewServer(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	type out struct {
		JKT string `json:"jkt"`
	}
	mcp.AddTool(server, &mcp.Tool{Name: "whoami"}, func(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, out, error) {
		at, ok := AccessTokenFrom(req.Extra.TokenInfo)
		if !ok {
			return nil, out{}, errNoToken
		}
		return nil, out{at.DPoPThumbprint}, nil
	})
	handler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, &mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true})
	var protected http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { protected.ServeHTTP(w, r) }))
	defer srv.Close()
	protected = Protect(boundVerifier{"bound-token", key.KeyID()}, middleware.WithDPoP(dv, srv.URL))(handler)

	proof, err := testkeys.CreateDPoPProof(key, testkeys.DPoPProofOptions{Method: "POST", URL: srv.URL + "/mcp", AccessToken: "bound-token"})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "DPoP bound-token")
	req.Header.Set("DPoP", proof)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `\"jkt\":\"`+key.KeyID()+`\"`) {
		t.Fatalf("DPoP request: %d %s", resp.StatusCode, body)
	}
}
