package main

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// TestProxyRefusesUnforwardableIdentity: a token whose identity cannot be
// sent exactly in the identity headers is refused (401 invalid_token) and
// never reaches the upstream, for JWT and static tokens alike; the value is
// not logged.
func TestProxyRefusesUnforwardableIdentity(t *testing.T) {
	hc := hypercornUpstream(t)
	kp := testkeystest.SharedRSAKeyPair(t)

	jwt := startProxy(t, hc+"/mcp", pemVars(kp))
	tokensFile := filepath.Join(t.TempDir(), "tokens.json")
	if err := os.WriteFile(tokensFile, []byte(`{
		"tok-ok": {"client_id": "app", "sub": "alice", "scopes": ["read"]},
		"tok-nonascii-client": {"client_id": "appé", "scopes": ["read"]},
		"tok-crlf-sub": {"client_id": "app", "sub": "alice\r\nX-MCPAuth-Client-ID: admin"}
	}`), 0o600); err != nil {
		t.Fatal(err)
	}
	static := startProxy(t, hc+"/mcp", map[string]string{envStaticTokens: tokensFile})

	tests := []struct {
		name  string
		ts    *testServer
		token string
		value string // must not appear in the logs
	}{
		{"JWT sub not ASCII", jwt, mintFor(t, kp, jwt, testkeys.TokenOptions{Subject: "josé"}), "josé"},
		{"JWT client_id with CRLF", jwt, mintFor(t, kp, jwt, testkeys.TokenOptions{
			AdditionalClaims: map[string]any{"client_id": "app\r\nX-MCPAuth-Subject: root"}}), "X-MCPAuth-Subject: root"},
		{"JWT sub with a leading space", jwt, mintFor(t, kp, jwt, testkeys.TokenOptions{Subject: " alice"}), ""},
		{"JWT sub too long", jwt, mintFor(t, kp, jwt, testkeys.TokenOptions{Subject: strings.Repeat("s", maxIdentityValue+1)}), ""},
		{"JWT scp member with a space", jwt, mintFor(t, kp, jwt, testkeys.TokenOptions{
			AdditionalClaims: map[string]any{"scp": []string{"read", "write admin"}}}), "write admin"},
		{"static client_id not ASCII", static, "tok-nonascii-client", "appé"},
		{"static sub with CRLF", static, "tok-crlf-sub", "X-MCPAuth-Client-ID: admin"},
	}
	before := len(hypercornSeen(t, hc))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, http.MethodPost, tt.ts.mcp(), tt.token, `{}`)
			ch := resp.Header.Get("WWW-Authenticate")
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(ch, `error="invalid_token"`) || !strings.Contains(ch, "resource_metadata=") {
				t.Errorf("%d %q %s", resp.StatusCode, ch, body)
			}
			if tt.value != "" && strings.Contains(tt.ts.logs.String(), tt.value) {
				t.Errorf("the claim value is in the logs:\n%s", tt.ts.logs)
			}
		})
	}
	if seen := hypercornSeen(t, hc)[before:]; len(seen) != 0 {
		t.Errorf("the upstream received %d refused requests: %+v", len(seen), seen[0].Headers)
	}
	if !strings.Contains(jwt.logs.String(), "outcome=bad_claims") {
		t.Errorf("the refusals are not counted as bad_claims:\n%s", jwt.logs)
	}
	// The same proxy forwards a token whose identity fits.
	if resp, body := do(t, http.MethodPost, static.mcp(), "tok-ok", `{}`); resp.StatusCode != http.StatusOK ||
		!strings.Contains(body, `"x-mcpauth-client-id": ["app"]`) || !strings.Contains(body, `"x-mcpauth-subject": ["alice"]`) ||
		!strings.Contains(body, `"x-mcpauth-scopes": ["read"]`) {
		t.Errorf("tok-ok: %d %s", resp.StatusCode, body)
	}
}

// TestProxyWithoutIdentityFailsClosed: the forwarding handler reached
// without a verified token (a wiring mistake) answers 500 and forwards
// nothing.
func TestProxyWithoutIdentityFailsClosed(t *testing.T) {
	var hits atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(up.Close)
	u, _ := url.Parse(up.URL + "/mcp")
	p := newProxy(u, mcpPath, nil, slog.New(slog.DiscardHandler))
	rec := httptest.NewRecorder()
	p.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{}`)))
	if rec.Code != http.StatusInternalServerError || hits.Load() != 0 {
		t.Errorf("%d, upstream hits %d", rec.Code, hits.Load())
	}
}
