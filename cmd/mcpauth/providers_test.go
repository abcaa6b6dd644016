package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// testIDP is an issuer on loopback with OIDC metadata and a JWK Set; its
// JWK Set can be taken down.
type testIDP struct {
	srv  *httptest.Server
	key  *testkeys.KeyPair
	down atomic.Bool
}

func newTestIDP(t *testing.T, key *testkeys.KeyPair) *testIDP {
	t.Helper()
	p := &testIDP{key: key}
	jwks, err := testkeys.JWKSHandler(key)
	if err != nil {
		t.Fatal(err)
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"issuer":"` + p.srv.URL + `","jwks_uri":"` + p.srv.URL + `/keys"}`))
		case "/keys":
			if p.down.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			jwks.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// TestServeSeveralIssuersDiscovered: MCPAUTH_JWT_ISSUER lists two issuers
// and no key source; each one's keys are discovered, both are advertised.
func TestServeSeveralIssuersDiscovered(t *testing.T) {
	a, b := newTestIDP(t, testkeystest.SharedRSAKeyPair(t)), newTestIDP(t, testkeystest.SharedECKeyPair(t))
	b.down.Store(true)
	ts := startServer(t, "serve", map[string]string{envIssuer: a.srv.URL + "," + b.srv.URL})
	for _, tt := range []struct {
		name   string
		tok    string
		status int
	}{
		{"A's token", mintFor(t, a.key, ts, testkeys.TokenOptions{Issuer: a.srv.URL}), http.StatusOK},
		{"B's token while B's keys are down", mintFor(t, b.key, ts, testkeys.TokenOptions{Issuer: b.srv.URL}), http.StatusServiceUnavailable},
		{"A-named token signed with B's key", mintFor(t, b.key, ts, testkeys.TokenOptions{Issuer: a.srv.URL}), http.StatusUnauthorized},
		{"third issuer", mintFor(t, a.key, ts, testkeys.TokenOptions{Issuer: "https://third.example.com"}), http.StatusUnauthorized},
	} {
		if status, _, _ := callWhoami(t, ts.mcp(), tt.tok); status != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, status, tt.status)
		}
	}
	b.down.Store(false)
	resp, body := do(t, http.MethodGet, ts.url+"/.well-known/oauth-protected-resource/mcp", "", "")
	var md struct {
		AuthorizationServers []string `json:"authorization_servers"`
	}
	if err := json.Unmarshal([]byte(body), &md); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("metadata %d %s", resp.StatusCode, body)
	}
	if !slices.Equal(md.AuthorizationServers, []string{a.srv.URL, b.srv.URL}) {
		t.Fatalf("authorization_servers %v; want both issuers", md.AuthorizationServers)
	}
}
