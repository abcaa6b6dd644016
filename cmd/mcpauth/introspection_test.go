package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// fakeAS is an introspection endpoint on loopback that knows opaque
// tokens, can revoke them and go down. It checks the client credentials.
type fakeAS struct {
	srv   *httptest.Server
	calls atomic.Int64
	down  atomic.Bool
	mu    sync.Mutex
	aud   string
	live  map[string]bool
	bound map[string]string // token -> cnf.jkt of a DPoP-bound token
}

const (
	fakeASClient = "mcp-server"
	fakeASSecret = "s3cret"
)

func newFakeAS(t *testing.T, tokens ...string) *fakeAS {
	t.Helper()
	as := &fakeAS{live: map[string]bool{}, bound: map[string]string{}}
	for _, tok := range tokens {
		as.live[tok] = true
	}
	as.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		as.calls.Add(1)
		if as.down.Load() {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		if id, secret, ok := r.BasicAuth(); !ok || id != fakeASClient || secret != fakeASSecret {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		as.mu.Lock()
		tok := r.PostFormValue("token")
		active, aud, jkt := as.live[tok], as.aud, as.bound[tok]
		as.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if !active {
			_, _ = w.Write([]byte(`{"active":false}`))
			return
		}
		answer := map[string]any{
			"active": true, "client_id": "opaque-client", "sub": "alice", "scope": "tools:read tools:call",
			"iss": as.srv.URL, "aud": aud,
		}
		if jkt != "" { // RFC 9449 §6.2
			answer["cnf"], answer["token_type"] = map[string]any{"jkt": jkt}, "DPoP"
		}
		_ = json.NewEncoder(w).Encode(answer)
	}))
	t.Cleanup(as.srv.Close)
	return as
}

func (as *fakeAS) setAudience(aud string) {
	as.mu.Lock()
	as.aud = aud
	as.mu.Unlock()
}

// bind makes tok a live token bound to the key whose thumbprint is jkt.
func (as *fakeAS) bind(tok, jkt string) {
	as.mu.Lock()
	as.live[tok], as.bound[tok] = true, jkt
	as.mu.Unlock()
}

func (as *fakeAS) revoke(tok string) {
	as.mu.Lock()
	delete(as.live, tok)
	as.mu.Unlock()
}

func (as *fakeAS) vars(extra ...string) map[string]string {
	m := map[string]string{
		envIntrospectionURL:      as.srv.URL + "/introspect",
		envIntrospectionIssuer:   as.srv.URL,
		envIntrospectionClientID: fakeASClient,
		envIntrospectionSecret:   fakeASSecret,
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

func TestServeIntrospectionAlone(t *testing.T) {
	as := newFakeAS(t, "opaque-1", "opaque-2")
	ts := startServer(t, "serve", as.vars(envIntrospectionCacheAge, "0s"))
	as.setAudience(ts.mcp())

	status, _, res := callWhoami(t, ts.mcp(), "opaque-1")
	if status != http.StatusOK || res["client_id"] != "opaque-client" || !strings.Contains(toJSON(res["scopes"]), "tools:call") {
		t.Fatalf("whoami: %d %v", status, res)
	}
	as.revoke("opaque-1")
	if status, challenge, _ := callWhoami(t, ts.mcp(), "opaque-1"); status != http.StatusUnauthorized || !strings.Contains(challenge, `error="invalid_token"`) {
		t.Fatalf("revoked token (cache off): %d %q", status, challenge)
	}
	as.setAudience("https://other.example.com/mcp")
	if status, _, _ := callWhoami(t, ts.mcp(), "opaque-2"); status != http.StatusUnauthorized {
		t.Fatalf("token for another audience: %d", status)
	}
	as.down.Store(true)
	resp, body := do(t, http.MethodPost, ts.mcp(), "opaque-2", whoamiBody)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || strings.Contains(body, "502") {
		t.Fatalf("endpoint down: %d Retry-After %q body %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	resp, body = do(t, http.MethodGet, ts.url+"/.well-known/oauth-protected-resource/mcp", "", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"authorization_servers":["`+as.srv.URL+`"]`) {
		t.Fatalf("metadata: %d %s", resp.StatusCode, body)
	}
}

func TestServeIntrospectionCache(t *testing.T) {
	as := newFakeAS(t, "opaque-1")
	clock := &testClock{}
	ts := startServer(t, "serve", as.vars(envIntrospectionCacheAge, "30s"), func(c *serverConfig) { c.now = clock.now })
	as.setAudience(ts.mcp())
	if status, _, _ := callWhoami(t, ts.mcp(), "opaque-1"); status != http.StatusOK {
		t.Fatalf("first: %d", status)
	}
	as.revoke("opaque-1")
	if status, _, _ := callWhoami(t, ts.mcp(), "opaque-1"); status != http.StatusOK || as.calls.Load() != 1 {
		t.Fatalf("within the cache max age: %d after %d calls", status, as.calls.Load())
	}
	clock.advance(30e9)
	if status, _, _ := callWhoami(t, ts.mcp(), "opaque-1"); status != http.StatusUnauthorized {
		t.Fatalf("after the cache max age: %d", status)
	}
}

func TestServeChainsJWTAndIntrospection(t *testing.T) {
	as := newFakeAS(t, "opaque-1")
	kp := testkeystest.SharedRSAKeyPair(t)
	vars := as.vars(envIntrospectionCacheAge, "0s", envPublicKey, kp.PublicKeyPEM(), envIssuer, iss)
	ts := startServer(t, "serve", vars)
	as.setAudience(ts.mcp())
	if status, _, res := callWhoami(t, ts.mcp(), mintFor(t, kp, ts, testkeys.TokenOptions{})); status != http.StatusOK || res["issuer"] != iss {
		t.Fatalf("JWT: %d %v", status, res)
	}
	if n := as.calls.Load(); n != 0 {
		t.Fatalf("a JWS-shaped token was introspected (%d calls)", n)
	}
	if status, _, res := callWhoami(t, ts.mcp(), "opaque-1"); status != http.StatusOK || res["client_id"] != "opaque-client" {
		t.Fatalf("opaque: %d %v", status, res)
	}
	// A forged JWT is refused by the JWT verifier, not sent to the endpoint.
	forged := mintFor(t, testkeystest.SharedECKeyPair(t), ts, testkeys.TokenOptions{})
	if status, _, _ := callWhoami(t, ts.mcp(), forged); status != http.StatusUnauthorized || as.calls.Load() != 1 {
		t.Fatalf("forged JWT: %d, %d calls", status, as.calls.Load())
	}
	resp, body := do(t, http.MethodGet, ts.url+"/.well-known/oauth-protected-resource/mcp", "", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"authorization_servers":["`+iss+`","`+as.srv.URL+`"]`) {
		t.Fatalf("metadata: %d %s", resp.StatusCode, body)
	}
}

func TestIntrospectionVariables(t *testing.T) {
	base := map[string]string{envIntrospectionURL: "https://as.example.com/introspect", envIntrospectionIssuer: "https://as.example.com",
		envIntrospectionClientID: "id", envIntrospectionSecret: "secret"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(m, kv[i])
				continue
			}
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tt := range []struct {
		name string
		vars map[string]string
		want string
	}{
		{"no URL", with(envIntrospectionURL, "", envIntrospectionIssuer, ""), envIntrospectionURL + " is required"},
		{"no client id", with(envIntrospectionClientID, ""), envIntrospectionClientID + " is required"},
		{"no secret", with(envIntrospectionSecret, ""), envIntrospectionSecret + " is required"},
		{"plain http URL", with(envIntrospectionURL, "http://as.example.com/i"), envIntrospectionURL + ` "http://as.example.com/i" uses plain http`},
		{"plain http issuer", with(envIntrospectionIssuer, "http://as.example.com"), envIntrospectionIssuer + ` "http://as.example.com" uses plain http`},
		{"bad method", with(envIntrospectionMethod, "private_key_jwt"), envIntrospectionMethod + ` "private_key_jwt" is not supported`},
		{"bad cache age", with(envIntrospectionCacheAge, "1 minute"), envIntrospectionCacheAge + `: "1 minute" is not a Go duration`},
		{"negative cache age", with(envIntrospectionCacheAge, "-1s"), envIntrospectionCacheAge},
		{"zero timeout", with(envIntrospectionTimeout, "0s"), envIntrospectionTimeout + " must be positive"},
		{"bad scope", with(envIntrospectionScopes, `a"b`), envIntrospectionScopes + `: "a\"b" is not a scope token`},
		{"unknown", with("MCPAUTH_INTROSPECTION_ENDPOINT", "x"), "unknown environment variable MCPAUTH_INTROSPECTION_ENDPOINT"},
		{"static too", with(envStaticTokens, "/tmp/x.json"), "mutually exclusive"},
		{"alone without issuer", with(envIntrospectionIssuer, ""), "with introspection alone, set " + envIntrospectionIssuer},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := configFromEnv("serve", tt.vars, "127.0.0.1:0", "")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v; want %q", err, tt.want)
			}
		})
	}
	for _, tt := range []struct {
		age  string
		size int
	}{{"", introspectionCacheSize}, {"0s", 0}, {"30s", introspectionCacheSize}} {
		cfg, err := configFromEnv("serve", with(envIntrospectionCacheAge, tt.age), "127.0.0.1:0", "")
		if err != nil {
			t.Fatal(err)
		}
		if cfg.mode != modeIntrospection || cfg.introspection.cfg.CacheSize != tt.size {
			t.Errorf("CACHE_MAX_AGE %q: mode %v, cache size %d; want %d", tt.age, cfg.mode, cfg.introspection.cfg.CacheSize, tt.size)
		}
	}
	// Introspection with a JWT key source is a chain (modeJWT with introspection).
	cfg, err := configFromEnv("serve", with(envJWKSURI, "https://as.example.com/jwks", envIssuer, "https://as.example.com"), "127.0.0.1:0", "")
	if err != nil || cfg.mode != modeJWT || cfg.introspection == nil {
		t.Fatalf("%v, %+v", err, cfg)
	}
}

func TestFastMCPIntrospectionVariables(t *testing.T) {
	got, err := withFastMCPIntrospection(map[string]string{}, map[string]string{
		"FASTMCP_SERVER_AUTH_INTROSPECTION_INTROSPECTION_URL": "https://as/i",
		"FASTMCP_SERVER_AUTH_INTROSPECTION_CLIENT_ID":         "id",
		"FASTMCP_SERVER_AUTH_INTROSPECTION_CLIENT_SECRET":     "s",
		"FASTMCP_SERVER_AUTH_INTROSPECTION_TIMEOUT_SECONDS":   "7",
		"FASTMCP_SERVER_AUTH_INTROSPECTION_REQUIRED_SCOPES":   "a,b",
		"FASTMCP_SERVER_AUTH_INTROSPECTION_BASE_URL":          "https://mcp.example.com",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{envIntrospectionURL: "https://as/i", envIntrospectionClientID: "id", envIntrospectionSecret: "s",
		envIntrospectionTimeout: "7s", envIntrospectionScopes: "a,b", envBaseURL: "https://mcp.example.com"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q; want %q", k, got[k], v)
		}
	}
	for _, tt := range []struct {
		vars, fast map[string]string
		want       string
	}{
		{nil, map[string]string{"FASTMCP_SERVER_AUTH_INTROSPECTION_URL": "x"}, "unknown environment variable FASTMCP_SERVER_AUTH_INTROSPECTION_URL"},
		{map[string]string{envIntrospectionClientID: "a"}, map[string]string{"FASTMCP_SERVER_AUTH_INTROSPECTION_CLIENT_ID": "b"}, "both"},
		{nil, map[string]string{"FASTMCP_SERVER_AUTH_INTROSPECTION_TIMEOUT_SECONDS": "soon"}, "not a positive number of seconds"},
	} {
		if _, err := withFastMCPIntrospection(tt.vars, tt.fast); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v; want %q", tt.fast, err, tt.want)
		}
	}
}

// TestVerifyCommandIntrospection: mcpauth verify with introspection alone,
// through FastMCP's names.
func TestVerifyCommandIntrospection(t *testing.T) {
	as := newFakeAS(t, "opaque-1")
	as.setAudience(aud)
	environ := []string{
		"FASTMCP_SERVER_AUTH_INTROSPECTION_INTROSPECTION_URL=" + as.srv.URL + "/introspect",
		"FASTMCP_SERVER_AUTH_INTROSPECTION_CLIENT_ID=" + fakeASClient,
		"FASTMCP_SERVER_AUTH_INTROSPECTION_CLIENT_SECRET=" + fakeASSecret,
		"MCPAUTH_JWT_AUDIENCE=" + aud,
	}
	code, stdout, stderr := runCmd(t, "opaque-1\n", environ, "verify")
	if code != exitOK || !strings.Contains(stdout, `"client_id": "opaque-client"`) {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, _, stderr := runCmd(t, "opaque-unknown\n", environ, "verify"); code != exitInvalid || !strings.Contains(stderr, "inactive") || strings.Contains(stderr, "opaque-unknown") {
		t.Fatalf("inactive token: exit %d %s", code, stderr)
	}
	as.down.Store(true)
	if code, _, stderr := runCmd(t, "opaque-1\n", environ, "verify"); code != exitUnavailable {
		t.Fatalf("endpoint down: exit %d %s", code, stderr)
	}
	if code, _, stderr := runCmd(t, "opaque-1\n", environ[:3], "verify"); code != exitUsage || !strings.Contains(stderr, envAudience) {
		t.Fatalf("no audience: exit %d %s", code, stderr)
	}
}

// toJSON renders v for substring checks.
func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestHelpDocumentsIntrospectionVariables(t *testing.T) {
	for _, command := range []string{"serve", "proxy"} {
		_, _, stderr := runCmd(t, "", nil, command, "-h")
		for _, v := range introspectionVariables {
			if !strings.Contains(stderr, v.name) {
				t.Errorf("%s -h does not mention %s", command, v.name)
			}
		}
	}
}
