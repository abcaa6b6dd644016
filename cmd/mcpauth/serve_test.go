package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

func TestServeStatusCodes(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	other := testkeystest.SharedECKeyPair(t)
	ts := startServer(t, "serve", pemVars(kp, envScopes, "mcp:tools"))
	metaURL := ts.url + "/.well-known/oauth-protected-resource/mcp"
	tools := []string{"mcp:tools"}
	tests := []struct {
		name       string
		token      string
		wantStatus int
		wantError  string // error= parameter; "" means none
	}{
		{"no token", "", http.StatusUnauthorized, ""},
		{"valid", mintFor(t, kp, ts, testkeys.TokenOptions{Scopes: tools}), http.StatusOK, ""},
		{"expired", mintFor(t, kp, ts, testkeys.TokenOptions{Scopes: tools, ExpiresIn: -time.Hour}), http.StatusUnauthorized, "invalid_token"},
		{"audience of another server", mintFor(t, kp, ts, testkeys.TokenOptions{Scopes: tools, Audience: []string{"https://other.example.com/mcp"}}), http.StatusUnauthorized, "invalid_token"},
		{"no audience", mintFor(t, kp, ts, testkeys.TokenOptions{Scopes: tools, OmitClaims: []string{"aud"}}), http.StatusUnauthorized, "invalid_token"},
		{"wrong issuer", mintFor(t, kp, ts, testkeys.TokenOptions{Scopes: tools, Issuer: "https://evil.example.com"}), http.StatusUnauthorized, "invalid_token"},
		{"wrong key", mintFor(t, other, ts, testkeys.TokenOptions{Scopes: tools}), http.StatusUnauthorized, "invalid_token"},
		{"garbage", "not.a.jwt", http.StatusUnauthorized, "invalid_token"},
		{"missing scope", mintFor(t, kp, ts, testkeys.TokenOptions{Scopes: []string{"read"}}), http.StatusForbidden, "insufficient_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, challenge, result := callWhoami(t, ts.mcp(), tt.token)
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d (WWW-Authenticate %q)", status, tt.wantStatus, challenge)
			}
			if status == http.StatusOK {
				if result["client_id"] != testkeys.DefaultSubject || result["issuer"] != iss {
					t.Errorf("whoami = %v", result)
				}
				return
			}
			if !strings.HasPrefix(challenge, "Bearer ") {
				t.Fatalf("WWW-Authenticate = %q, want a Bearer challenge", challenge)
			}
			if !strings.Contains(challenge, `resource_metadata="`+metaURL+`"`) {
				t.Errorf("WWW-Authenticate = %q, want resource_metadata=%q", challenge, metaURL)
			}
			if !strings.Contains(challenge, `scope="mcp:tools"`) {
				t.Errorf("WWW-Authenticate = %q, want the required scope", challenge)
			}
			hasError := strings.Contains(challenge, "error=")
			switch {
			case tt.wantError == "" && hasError:
				t.Errorf("WWW-Authenticate = %q, want no error parameter", challenge)
			case tt.wantError != "" && !strings.Contains(challenge, `error="`+tt.wantError+`"`):
				t.Errorf("WWW-Authenticate = %q, want error=%q", challenge, tt.wantError)
			}
		})
	}
}

func TestServeAudience(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	t.Run("DNS rebinding protection without a public base URL", func(t *testing.T) {
		ts := startServer(t, "serve", pemVars(kp))
		tok := mintFor(t, kp, ts, testkeys.TokenOptions{})
		if resp, _ := do(t, http.MethodPost, ts.mcp(), tok, whoamiBody, "Host", "evil.example.com"); resp.StatusCode != http.StatusForbidden {
			t.Errorf("Host evil.example.com on a loopback listener: %d, want 403", resp.StatusCode)
		}
	})
	t.Run("explicit audience replaces the resource URL", func(t *testing.T) {
		ts := startServer(t, "serve", pemVars(kp, envAudience, "api://mcp"))
		if status, _, _ := callWhoami(t, ts.mcp(), mintFor(t, kp, ts, testkeys.TokenOptions{Audience: []string{"api://mcp"}})); status != http.StatusOK {
			t.Errorf("token for the configured audience: %d", status)
		}
		if status, _, _ := callWhoami(t, ts.mcp(), mintFor(t, kp, ts, testkeys.TokenOptions{})); status != http.StatusUnauthorized {
			t.Errorf("token for the resource URL: %d, want 401", status)
		}
	})
	t.Run("base URL path prefixes the routes", func(t *testing.T) {
		const base = "https://mcp.example.com/tenant-1"
		ts := startServer(t, "serve", pemVars(kp, envBaseURL, base))
		tok := mint(t, kp, testkeys.TokenOptions{Audience: []string{base + "/mcp"}})
		if status, _, _ := callWhoami(t, ts.url+"/tenant-1/mcp", tok); status != http.StatusOK {
			t.Errorf("POST /tenant-1/mcp: %d", status)
		}
		if resp, _ := do(t, http.MethodPost, ts.mcp(), tok, whoamiBody); resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST /mcp: %d, want 404", resp.StatusCode)
		}
		_, body := do(t, http.MethodGet, ts.url+"/.well-known/oauth-protected-resource/tenant-1/mcp", "", "")
		if !strings.Contains(body, `"resource":"`+base+`/mcp"`) {
			t.Errorf("metadata = %s", body)
		}
	})
	t.Run("base URL sets resource and audience", func(t *testing.T) {
		const base = "https://mcp.example.com"
		ts := startServer(t, "serve", pemVars(kp, envBaseURL, base+"/"))
		// The resource URL is public; the request goes to the listener.
		if status, _, _ := callWhoami(t, ts.mcp(), mint(t, kp, testkeys.TokenOptions{Audience: []string{base + "/mcp"}})); status != http.StatusOK {
			t.Errorf("token for %s/mcp: %d", base, status)
		}
		// Behind a reverse proxy the Host is the public one: go-sdk's DNS
		// rebinding check (loopback listener, non-loopback Host) is off.
		tok := mint(t, kp, testkeys.TokenOptions{Audience: []string{base + "/mcp"}})
		if resp, body := do(t, http.MethodPost, ts.mcp(), tok, whoamiBody, "Host", "mcp.example.com"); resp.StatusCode != http.StatusOK {
			t.Errorf("Host mcp.example.com: %d %s", resp.StatusCode, body)
		}
		resp, _ := do(t, http.MethodPost, ts.mcp(), "", whoamiBody)
		if want := `resource_metadata="` + base + `/.well-known/oauth-protected-resource/mcp"`; !strings.Contains(resp.Header.Get("WWW-Authenticate"), want) {
			t.Errorf("WWW-Authenticate = %q, want %s", resp.Header.Get("WWW-Authenticate"), want)
		}
	})
}

// bearerTransport adds a bearer token to every request.
type bearerTransport struct{ token string }

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// connectClient connects a go-sdk client to endpoint with token.
func connectClient(t *testing.T, endpoint, token string) *mcp.ClientSession {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint:   endpoint,
		HTTPClient: &http.Client{Transport: bearerTransport{token}},
		MaxRetries: -1,
	}, nil)
	if err != nil {
		t.Fatalf("connecting: %v", err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func TestServeWhoamiWithSDKClient(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	ts := startServer(t, "serve", pemVars(kp))
	tok := mintFor(t, kp, ts, testkeys.TokenOptions{
		Subject:          "alice",
		Scopes:           []string{"read", "write"},
		AdditionalClaims: map[string]any{"client_id": "app-1", "tenant": "acme"},
	})
	cs := connectClient(t, ts.mcp(), tok)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tools.Tools) != 3 || tools.Tools[2].Name != "whoami" || tools.Tools[2].OutputSchema == nil {
		t.Fatalf("tools = %+v, want delete_notes, search_notes and whoami with an output schema", tools.Tools)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "whoami"})
	if err != nil {
		t.Fatal(err)
	}
	if res.IsError || len(res.Content) != 1 {
		t.Fatalf("result = %+v", res)
	}
	text, ok := res.Content[0].(*mcp.TextContent)
	if !ok {
		t.Fatalf("content is %T, want text", res.Content[0])
	}
	var got struct {
		ClientID  string         `json:"client_id"`
		Subject   string         `json:"subject"`
		Scopes    []string       `json:"scopes"`
		ExpiresAt int64          `json:"expires_at"`
		Claims    map[string]any `json:"claims"`
	}
	if err := json.Unmarshal([]byte(text.Text), &got); err != nil {
		t.Fatal(err)
	}
	if got.ClientID != "app-1" || got.Subject != "alice" || !slices.Equal(got.Scopes, []string{"read", "write"}) ||
		got.ExpiresAt < time.Now().Add(50*time.Minute).Unix() || got.Claims["tenant"] != "acme" {
		t.Errorf("whoami text = %s", text.Text)
	}
	structured, _ := json.Marshal(res.StructuredContent)
	var fromStructured map[string]any
	json.Unmarshal(structured, &fromStructured)
	if fromStructured["client_id"] != "app-1" || fromStructured["subject"] != "alice" {
		t.Errorf("structured content = %s", structured)
	}
	if strings.Contains(text.Text, tok) || strings.Contains(string(structured), tok) {
		t.Error("whoami returns the raw token")
	}
}

func TestServeStaticTokens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	if err := os.WriteFile(path, []byte(`{
		"dev-token-alice": {"client_id": "alice", "scopes": ["mcp:tools"], "sub": "alice@example.com"},
		"dev-token-ci": {"client_id": "ci", "scopes": ["read"]}
	}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, "serve", map[string]string{envStaticTokens: path, envScopes: "mcp:tools"})
	status, _, res := callWhoami(t, ts.mcp(), "dev-token-alice")
	if status != http.StatusOK || res["client_id"] != "alice" || res["subject"] != "alice@example.com" {
		t.Errorf("alice: %d %v", status, res)
	}
	if status, _, _ := callWhoami(t, ts.mcp(), "dev-token-ci"); status != http.StatusForbidden {
		t.Errorf("ci lacks mcp:tools: %d, want 403", status)
	}
	if status, _, _ := callWhoami(t, ts.mcp(), "dev-token-bob"); status != http.StatusUnauthorized {
		t.Errorf("unknown token: %d, want 401", status)
	}
	if !regexp.MustCompile(`level=WARN msg="mcpauth: using static tokens; they are for development only`).MatchString(ts.logs.String()) {
		t.Errorf("no development-only warning in the logs:\n%s", ts.logs)
	}
	// No issuer to advertise: the metadata has no authorization servers.
	_, body := do(t, http.MethodGet, ts.url+"/.well-known/oauth-protected-resource/mcp", "", "")
	if strings.Contains(body, "authorization_servers") {
		t.Errorf("metadata = %s", body)
	}
}

// secretsOf returns the tokens and their signatures, neither of which may
// appear in logs.
func secretsOf(tokens ...string) []string {
	var out []string
	for _, tok := range tokens {
		out = append(out, tok, tok[strings.LastIndex(tok, ".")+1:])
	}
	return out
}

func TestServeLogsReasonsNotTokens(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	ts := startServer(t, "serve", pemVars(kp, envScopes, "mcp:tools"))
	valid := mintFor(t, kp, ts, testkeys.TokenOptions{Scopes: []string{"mcp:tools"}})
	expired := mintFor(t, kp, ts, testkeys.TokenOptions{Scopes: []string{"mcp:tools"}, ExpiresIn: -time.Hour})
	otherAud := mintFor(t, kp, ts, testkeys.TokenOptions{Scopes: []string{"mcp:tools"}, Audience: []string{"https://other.example.com"}})
	noScope := mintFor(t, kp, ts, testkeys.TokenOptions{})
	for _, tok := range []string{valid, valid, expired, otherAud, noScope, ""} {
		callWhoami(t, ts.mcp(), tok)
	}
	logs := ts.logs.String()
	for _, s := range secretsOf(valid, expired, otherAud, noScope) {
		if strings.Contains(logs, s) {
			t.Fatalf("the logs contain a token or its signature:\n%s", logs)
		}
	}
	for _, want := range []string{
		"reason=expired", "reason=audience", "reason=insufficient_scope", "reason=no_credentials",
		// The observer's per-outcome records (debug) with running counts.
		`msg="mcpauth: authentication outcome" outcome=accepted status=0 client_id=mcpauth-user`,
		"outcome=accepted status=0 client_id=mcpauth-user latency=",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("the logs lack %q:\n%s", want, logs)
		}
	}
	if !regexp.MustCompile(`outcome=accepted .* count=2`).MatchString(logs) {
		t.Errorf("the observer did not count two accepted requests:\n%s", logs)
	}
}

// testClock is a clock a test can move forward.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

func jwksVars(srv *testkeystest.JWKSServer, extra ...string) map[string]string {
	m := map[string]string{envJWKSURI: srv.URL(), envIssuer: iss}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

func TestServeJWKSRotation(t *testing.T) {
	kp1 := testkeystest.SharedRSAKeyPair(t)
	kp2 := testkeystest.SharedECKeyPair(t)
	jwks := testkeystest.NewJWKSServer(t, kp1)
	clock := &testClock{}
	ts := startServer(t, "serve", jwksVars(jwks), func(c *serverConfig) { c.now = clock.now })

	tok1 := mintFor(t, kp1, ts, testkeys.TokenOptions{})
	tok2 := mintFor(t, kp2, ts, testkeys.TokenOptions{})
	if status, _, _ := callWhoami(t, ts.mcp(), tok1); status != http.StatusOK {
		t.Fatalf("first key: %d", status)
	}
	if status, _, _ := callWhoami(t, ts.mcp(), tok2); status != http.StatusUnauthorized {
		t.Fatalf("second key before rotation: %d, want 401", status)
	}
	jwks.SetKeys(kp2)
	clock.advance(time.Minute) // past the unknown-kid refresh rate limit
	if status, _, res := callWhoami(t, ts.mcp(), tok2); status != http.StatusOK || res["client_id"] != testkeys.DefaultSubject {
		t.Fatalf("second key after rotation: %d", status)
	}
	clock.advance(time.Minute)
	if status, _, _ := callWhoami(t, ts.mcp(), tok1); status != http.StatusUnauthorized {
		t.Errorf("retired first key: %d, want 401", status)
	}
}

func TestServeJWKSOutageKeepsCachedKeys(t *testing.T) {
	kp1 := testkeystest.SharedRSAKeyPair(t)
	kp2 := testkeystest.SharedECKeyPair(t)
	jwks := testkeystest.NewJWKSServer(t, kp1)
	clock := &testClock{}
	ts := startServer(t, "serve", jwksVars(jwks), func(c *serverConfig) { c.now = clock.now })
	tok1 := mintFor(t, kp1, ts, testkeys.TokenOptions{})
	if status, _, _ := callWhoami(t, ts.mcp(), tok1); status != http.StatusOK {
		t.Fatalf("before the outage: %d", status)
	}

	jwks.SetDown(true)
	before := jwks.Requests()
	clock.advance(time.Minute)
	// An unknown kid makes the server refetch; the fetch fails.
	if status, _, _ := callWhoami(t, ts.mcp(), mintFor(t, kp2, ts, testkeys.TokenOptions{})); status != http.StatusUnauthorized {
		t.Errorf("unknown key during the outage: %d, want 401", status)
	}
	if jwks.Requests() <= before {
		t.Fatal("no refetch was attempted during the outage")
	}
	if status, _, _ := callWhoami(t, ts.mcp(), tok1); status != http.StatusOK {
		t.Errorf("cached key during the outage: %d, want 200", status)
	}
}

func TestServeJWKSNeverReachable(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	jwks := testkeystest.NewJWKSServer(t, kp)
	jwks.SetDown(true)
	// Short limits so that the background retries come quickly.
	ts := startServer(t, "serve", jwksVars(jwks,
		envJWKSRateLimit, "20ms", envJWKSTimeout, "2s"))
	tok := mintFor(t, kp, ts, testkeys.TokenOptions{})

	resp, body := do(t, http.MethodPost, ts.mcp(), tok, whoamiBody)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(body, "temporarily_unavailable") {
		t.Fatalf("without keys: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	// Health does not depend on the keys.
	if resp, _ := do(t, http.MethodGet, ts.url+"/healthz", "", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("healthz without keys: %d", resp.StatusCode)
	}

	jwks.SetDown(false)
	// The server recovers by itself, through its background retries.
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, _ := do(t, http.MethodPost, ts.mcp(), tok, whoamiBody)
		if resp.StatusCode == http.StatusOK {
			break
		}
		if resp.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("after the JWKS came up: %d", resp.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const (
	envJWKSRateLimit = "MCPAUTH_JWT_JWKS_REFRESH_RATE_LIMIT"
	envJWKSTimeout   = "MCPAUTH_JWT_JWKS_TIMEOUT"
)

// TestServeDiscoversKeysFromIssuer configures only the issuer: the JWK Set
// URL comes from its OpenID Connect metadata.
func TestServeDiscoversKeysFromIssuer(t *testing.T) {
	kp := testkeystest.SharedECKeyPair(t)
	jwksHandler, err := testkeys.JWKSHandler(kp)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	idp := httptest.NewServer(mux)
	defer idp.Close()
	mux.Handle("/keys", jwksHandler)
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"issuer":"` + idp.URL + `","jwks_uri":"` + idp.URL + `/keys"}`))
	})
	ts := startServer(t, "serve", map[string]string{envIssuer: idp.URL})
	tok := mintFor(t, kp, ts, testkeys.TokenOptions{Issuer: idp.URL})
	if status, _, res := callWhoami(t, ts.mcp(), tok); status != http.StatusOK || res["issuer"] != idp.URL {
		t.Fatalf("whoami: %d %v", status, res)
	}
	// The metadata advertises the issuer as the authorization server.
	resp, body := do(t, http.MethodGet, ts.url+"/.well-known/oauth-protected-resource/mcp", "", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"authorization_servers":["`+idp.URL+`"]`) {
		t.Fatalf("metadata %d %s", resp.StatusCode, body)
	}
}
