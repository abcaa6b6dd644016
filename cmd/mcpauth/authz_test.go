package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// authzBase is the public base URL of the MCP server behind the gateway in
// these tests.
const authzBase = "https://mcp.example.com"

// startAuthz runs mcpauth authz with vars (plus the base URL).
func startAuthz(t *testing.T, vars map[string]string) *testServer {
	t.Helper()
	if _, ok := vars[envBaseURL]; !ok {
		vars[envBaseURL] = authzBase
	}
	return startServer(t, "authz", vars)
}

// mintAuthz mints a token for the resource authzBase/mcp.
func mintAuthz(t *testing.T, kp *testkeys.KeyPair, o testkeys.TokenOptions) string {
	t.Helper()
	if o.Audience == nil {
		o.Audience = []string{authzBase + mcpPath}
	}
	return mint(t, kp, o)
}

// wantChallenge is the challenge every refusal of authzBase's resource
// starts with.
const wantMetadata = `resource_metadata="` + authzBase + `/.well-known/oauth-protected-resource/mcp"`

func TestAuthzApprovesWithEveryIdentityHeader(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	ts := startAuthz(t, pemVars(kp, envScopes, "mcp:tools"))
	tok := mintAuthz(t, kp, testkeys.TokenOptions{
		Subject:          "alice",
		Scopes:           []string{"mcp:tools", "read"},
		AdditionalClaims: map[string]any{"client_id": "app-1"},
	})
	// Any path is a check: a fixed auth_request location, Envoy's
	// appended original path, the root.
	for _, path := range []string{"/check", "/ext_authz/mcp", "/", "/mcp/sub"} {
		resp, body := do(t, http.MethodGet, ts.url+path, tok, "",
			"X-MCPAuth-Subject", "admin",
			"X-Mcpauth-Role", "root",
			"X_MCPAuth_Scopes", "admin")
		if resp.StatusCode != http.StatusOK || body != "" {
			t.Fatalf("%s: %d %q", path, resp.StatusCode, body)
		}
		want := map[string]string{
			headerClientID: "app-1",
			headerSubject:  "alice",
			headerScopes:   "mcp:tools read",
			headerIssuer:   iss,
		}
		for name, v := range want {
			if got := resp.Header.Values(name); len(got) != 1 || got[0] != v {
				t.Errorf("%s: %s = %q, want [%q]", path, name, got, v)
			}
		}
		if exp := resp.Header.Get(headerExpiresAt); len(exp) < 10 {
			t.Errorf("%s: %s = %q", path, headerExpiresAt, exp)
		}
		if got := resp.Header.Get(envoyHeadersToRemove); got != "authorization, dpop, x-mcpauth-dpop-jkt, x-mcpauth-role, x_mcpauth_scopes" {
			t.Errorf("%s: %s = %q", path, envoyHeadersToRemove, got)
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control = %q", path, resp.Header.Get("Cache-Control"))
		}
	}

	// A token without sub, scopes or exp: every header is still sent
	// (Caddy 2.6 forwards a literal placeholder for a missing one).
	bare := mintAuthz(t, kp, testkeys.TokenOptions{
		Scopes:           []string{"mcp:tools"},
		AdditionalClaims: map[string]any{"client_id": "app-2"},
		OmitClaims:       []string{"sub"},
	})
	resp, _ := do(t, http.MethodGet, ts.url+"/check", bare, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token without sub: %d", resp.StatusCode)
	}
	for _, name := range identityHeaderNames {
		if _, ok := resp.Header[http.CanonicalHeaderKey(name)]; !ok {
			t.Errorf("%s missing from the answer", name)
		}
	}
	if got := resp.Header.Get(headerSubject); got != "" {
		t.Errorf("%s = %q, want empty", headerSubject, got)
	}
	if got := resp.Header.Get(envoyHeadersToRemove); !strings.Contains(got, "x-mcpauth-subject") {
		t.Errorf("%s = %q, want the empty subject removed", envoyHeadersToRemove, got)
	}
}

func TestAuthzRefusalsAreTheMiddlewares(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	ts := startAuthz(t, pemVars(kp, envScopes, "mcp:tools"))
	other, err := testkeys.GenerateRSAKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		token     string
		status    int
		challenge string
		code      string
	}{
		{"no token", "", 401, `Bearer scope="mcp:tools", ` + wantMetadata, "invalid_token"},
		{"wrong key", mintAuthz(t, other, testkeys.TokenOptions{Scopes: []string{"mcp:tools"}}), 401,
			`Bearer error="invalid_token", error_description="the access token is invalid", scope="mcp:tools", ` + wantMetadata, "invalid_token"},
		{"wrong audience", mint(t, kp, testkeys.TokenOptions{Audience: []string{"https://other.example.com/mcp"}, Scopes: []string{"mcp:tools"}}), 401,
			`Bearer error="invalid_token"`, "invalid_token"},
		{"missing scope", mintAuthz(t, kp, testkeys.TokenOptions{Scopes: []string{"read"}}), 403,
			`Bearer error="insufficient_scope"`, "insufficient_scope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, http.MethodGet, ts.url+"/check", tc.token, "")
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			ch := resp.Header.Get("WWW-Authenticate")
			if !strings.HasPrefix(ch, tc.challenge) || !strings.Contains(ch, wantMetadata) {
				t.Errorf("WWW-Authenticate = %q, want %q… with %s", ch, tc.challenge, wantMetadata)
			}
			var e struct{ Error string }
			if json.Unmarshal([]byte(body), &e) != nil || e.Error != tc.code {
				t.Errorf("body %s, want error %q", body, tc.code)
			}
			for _, name := range identityHeaderNames {
				if v := resp.Header.Values(name); len(v) != 0 {
					t.Errorf("refusal carries %s: %q", name, v)
				}
			}
		})
	}
}

func TestAuthzJWKSOutageIs503(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	jwks := testkeystest.NewJWKSServer(t, kp)
	jwks.SetDown(true)
	ts := startAuthz(t, jwksVars(jwks, envJWKSRateLimit, "20ms", envJWKSTimeout, "2s"))
	resp, body := do(t, http.MethodGet, ts.url+"/check", mintAuthz(t, kp, testkeys.TokenOptions{}), "")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(body, "temporarily_unavailable") {
		t.Fatalf("without keys: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
}

func TestAuthzOriginalRequest(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	tok := mintAuthz(t, kp, testkeys.TokenOptions{})
	trusting := startAuthz(t, pemVars(kp))                                                      // default: loopback
	distrusting := startAuthz(t, pemVars(kp, envTrustedProxies, "192.0.2.0/24, 2001:db8::/32")) // the test client is not a gateway
	for _, tc := range []struct {
		name           string
		method         string
		header         []string
		trusted, other int // status from a trusted gateway, from anyone else
	}{
		{"plain check", "GET", nil, 200, 200},
		{"nginx POST", "GET", []string{"X-Original-Method", "POST", "X-Original-URI", "/mcp?x=1"}, 200, 200},
		{"traefik", "GET", []string{"X-Forwarded-Method", "DELETE", "X-Forwarded-Uri", "/mcp", "X-Forwarded-Host", "mcp.example.com", "X-Forwarded-Proto", "https"}, 200, 200},
		{"both families agree", "GET", []string{"X-Original-URI", "/mcp", "X-Forwarded-Uri", "/mcp"}, 200, 200},
		{"original CONNECT", "GET", []string{"X-Original-Method", "CONNECT"}, 405, 200},
		{"forwarded TRACE", "GET", []string{"X-Forwarded-Method", "TRACE"}, 405, 200},
		{"check request's own method", "PUT", nil, 405, 405},
		{"encoded dot segment", "GET", []string{"X-Original-URI", "/mcp/%2e%2e/admin"}, 400, 200},
		{"path parameter", "GET", []string{"X-Forwarded-Uri", "/mcp/..;/admin"}, 400, 200},
		{"absolute URI", "GET", []string{"X-Original-URI", "http://evil.example/mcp"}, 400, 200},
		{"families disagree", "GET", []string{"X-Original-URI", "/mcp", "X-Forwarded-Uri", "/admin"}, 400, 200},
		{"method sent twice", "GET", []string{"X-Original-Method", "GET", "X-Original-Method", "POST"}, 400, 200},
		{"not a method", "GET", []string{"X-Original-Method", "GET /x"}, 400, 200},
		{"upgrade", "GET", []string{"Upgrade", "websocket"}, 400, 400},
		{"connection upgrade", "GET", []string{"Connection", "keep-alive, Upgrade"}, 400, 400},
		{"h2c", "GET", []string{"HTTP2-Settings", "AAMAAABkAAQAoAAAAAIAAAAA"}, 400, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, s := range []struct {
				ts   *testServer
				want int
			}{{trusting, tc.trusted}, {distrusting, tc.other}} {
				resp, body := do(t, tc.method, s.ts.url+"/check", tok, "", tc.header...)
				if resp.StatusCode != s.want {
					t.Errorf("trusted=%v: %d, want %d: %s", s.ts == trusting, resp.StatusCode, s.want, body)
				}
				if resp.StatusCode != 200 && resp.Header.Get(headerClientID) != "" {
					t.Errorf("refusal carries the identity")
				}
			}
		})
	}
}

func TestOriginalRequestStripsForwardedHeaders(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/check", nil)
	r.Header.Set("X-Original-Method", "POST")
	r.Header.Set("X-Forwarded-Uri", "/mcp/x?y=1")
	r.Header.Set("X-Forwarded-Host", "gw.example.com")
	r.Header.Set("X-Forwarded-Proto", "HTTPS")
	o, desc := originalRequest(r, true)
	if desc != "" {
		t.Fatal(desc)
	}
	if o.Method != "POST" || o.URL.Path != "/mcp/x" || o.URL.RawQuery != "y=1" || o.Host != "gw.example.com" || o.URL.Scheme != "https" {
		t.Errorf("original = %s %s host %s", o.Method, o.URL, o.Host)
	}
	for _, k := range []string{"X-Original-Method", "X-Forwarded-Uri"} {
		if o.Header.Get(k) != "" {
			t.Errorf("%s left in the original request", k)
		}
		if r.Header.Get(k) == "" {
			t.Errorf("%s removed from the check request itself", k)
		}
	}
	o, _ = originalRequest(r, false)
	if o.Method != http.MethodGet || o.URL.Path != "/check" || o.Header.Get("X-Original-Method") != "" {
		t.Errorf("untrusted: %s %s, X-Original-Method %q", o.Method, o.URL, o.Header.Get("X-Original-Method"))
	}
}

func TestAuthzServesHealthAndMetadata(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	ts := startAuthz(t, pemVars(kp))
	if resp, body := do(t, http.MethodGet, ts.url+healthPath, "", ""); resp.StatusCode != 200 || body != "ok\n" {
		t.Errorf("healthz: %d %q", resp.StatusCode, body)
	}
	for _, p := range []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"} {
		resp, body := do(t, http.MethodGet, ts.url+p, "", "")
		var doc struct {
			Resource             string   `json:"resource"`
			AuthorizationServers []string `json:"authorization_servers"`
		}
		if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &doc) != nil || doc.Resource != authzBase+mcpPath ||
			len(doc.AuthorizationServers) != 1 || doc.AuthorizationServers[0] != iss {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
}

func TestAuthzConfig(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.json")
	scopesOnly := filepath.Join(dir, "implies.json")
	os.WriteFile(rules, []byte(`{"tools": {"delete_notes": ["notes:admin"]}}`), 0o600)
	os.WriteFile(scopesOnly, []byte(`{"implies": {"notes:admin": ["mcp:tools"]}}`), 0o600)
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string // error substring; "" for none
	}{
		{"no base URL", pemVars(kp), envBaseURL + " is required for mcpauth authz"},
		{"no verifier", map[string]string{envBaseURL: authzBase}, "no verifier configured"},
		{"bad trusted proxies", pemVars(kp, envBaseURL, authzBase, envTrustedProxies, "10.0.0.1/8"), envTrustedProxies + `: "10.0.0.1/8"`},
		{"upstream", pemVars(kp, envBaseURL, authzBase, envUpstream, "http://127.0.0.1:1"), envUpstream + " is read only by mcpauth proxy"},
		{"operation rules", pemVars(kp, envBaseURL, authzBase, envPolicyFile, rules), envPolicyFile + " has operation rules (scopes notes:admin)"},
		{"operation rules, server does not validate", pemVars(kp, envBaseURL, authzBase, envPolicyFile, rules, envUpstreamValidatesHeaders, "false"), envPolicyFile + " has operation rules"},
		{"operation rules, server validates", pemVars(kp, envBaseURL, authzBase, envPolicyFile, rules, envUpstreamValidatesHeaders, "true"), ""},
		{"validation not a boolean", pemVars(kp, envBaseURL, authzBase, envPolicyFile, rules, envUpstreamValidatesHeaders, "yes please"), envUpstreamValidatesHeaders + ` "yes please" is not true or false`},
		{"validation without rules", pemVars(kp, envBaseURL, authzBase, envPolicyFile, scopesOnly, envUpstreamValidatesHeaders, "true"), envUpstreamValidatesHeaders + "=true has no effect"},
		{"deny unlisted", pemVars(kp, envBaseURL, authzBase, envPolicyFile, scopesOnly, envPolicyDenyUnlisted, "true"), envPolicyFile + " has operation rules"},
		{"scope settings only", pemVars(kp, envBaseURL, authzBase, envPolicyFile, scopesOnly), ""},
		{"ok", pemVars(kp, envBaseURL, authzBase), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := configFromEnv("authz", tc.vars, "", "")
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want %q", err, tc.want)
			case tc.want == "" && len(cfg.trustedProxies) != 2:
				t.Errorf("trusted proxies %v, want loopback", cfg.trustedProxies)
			}
		})
	}
	// serve still refuses the authz/proxy variables.
	if _, err := configFromEnv("proxy", pemVars(kp, envUpstream, "http://127.0.0.1:1", envUpstreamValidatesHeaders, "true"), "", ""); err == nil ||
		!strings.Contains(err.Error(), "read only by mcpauth authz") {
		t.Errorf("proxy with %s: %v", envUpstreamValidatesHeaders, err)
	}
	if _, err := configFromEnv("serve", pemVars(kp, envTrustedProxies, "127.0.0.1"), "", ""); err == nil ||
		!strings.Contains(err.Error(), "read only by mcpauth proxy and mcpauth authz") {
		t.Errorf("serve with %s: %v", envTrustedProxies, err)
	}
}

func TestAuthzHelp(t *testing.T) {
	var out, errb strings.Builder
	code := run([]string{"authz", "-h"}, env{stdout: &out, stderr: &errb})
	h := errb.String()
	if code != exitOK && code != exitUsage {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"Usage: mcpauth authz", envTrustedProxies, headerClientID, envoyHeadersToRemove, "Authorization/Check"} {
		if !strings.Contains(h, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func TestAuthzPolicyFromHeaders(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	file := filepath.Join(t.TempDir(), "policy.json")
	os.WriteFile(file, []byte(`{"tools": {"delete_notes": ["notes:write"], "*": ["notes:read"]}, "implies": {"notes:write": ["notes:read"]}}`), 0o600)
	ts := startAuthz(t, pemVars(kp, envPolicyFile, file, envUpstreamValidatesHeaders, "true"))
	read := mintAuthz(t, kp, testkeys.TokenOptions{Scopes: []string{"notes:read"}})
	write := mintAuthz(t, kp, testkeys.TokenOptions{Scopes: []string{"notes:write"}})
	mcp := func(method, name string) []string {
		// nginx: the check request is a GET naming the original POST.
		return []string{"X-Original-Method", "POST", "X-Original-URI", "/mcp",
			"MCP-Protocol-Version", "2026-07-28", "Mcp-Method", method, "Mcp-Name", name}
	}
	for _, tc := range []struct {
		name   string
		token  string
		header []string
		status int
		want   string // in WWW-Authenticate or the body
	}{
		{"tool with its scope", write, mcp("tools/call", "delete_notes"), 200, ""},
		{"tool through implies", write, mcp("tools/call", "search_notes"), 200, ""},
		{"tool without its scope", read, mcp("tools/call", "delete_notes"), 403, `error="insufficient_scope", error_description="the access token lacks a required scope", scope="notes:write", ` + wantMetadata},
		{"POST without the headers", write, []string{"X-Original-Method", "POST"}, 400, "mcp_headers_required"},
		{"GET stream", read, []string{"X-Original-Method", "GET"}, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, http.MethodGet, ts.url+"/check", tc.token, "", tc.header...)
			if resp.StatusCode != tc.status {
				t.Fatalf("%d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if got := resp.Header.Get("WWW-Authenticate") + body; !strings.Contains(got, tc.want) {
				t.Errorf("answer %q lacks %q", got, tc.want)
			}
		})
	}
}
