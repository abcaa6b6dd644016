//go:build interop

package interop

// providers_test.go: one "mcpauth serve" trusts two providers: oidc-provider
// (keys discovered from its metadata) and a second issuer whose tokens jose
// mints and whose JWK Set this test serves. Each provider's tokens are
// checked with its own keys only; a third issuer is refused without any
// fetch; the second provider's JWK Set being down answers 503 for its
// tokens while the first provider's keep working.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

func TestTwoProviders(t *testing.T) {
	port := freePort(t)
	base := "http://127.0.0.1:" + port
	mcpURL := base + "/mcp"
	ready := startNode(t, map[string]string{
		"MCP_URL": mcpURL, "OTHER_URL": "http://127.0.0.1:" + freePort(t) + "/other/mcp",
	}, "oidc-provider.mjs")
	op := decodeJSON[opReady](t, "oidc-provider READY line", ready)

	// The second issuer serves its JWK Set (down at first); the third
	// answers anything, and counts.
	var (
		jwks                  json.RawMessage
		secondDown            atomic.Bool
		secondHits, thirdHits atomic.Int64
	)
	secondDown.Store(true)
	second := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secondHits.Add(1)
		if secondDown.Load() || r.URL.Path != "/jwks" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwks)
	}))
	t.Cleanup(second.Close)
	third := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		thirdHits.Add(1)
		http.NotFound(w, r)
	}))
	t.Cleanup(third.Close)
	secondIssuer, thirdIssuer := second.URL, third.URL

	minted := decodeJSON[struct {
		JWKS   json.RawMessage `json:"jwks"`
		Tokens []joseToken     `json:"tokens"`
	}](t, "jose-mint.mjs output", runNode(t, map[string]string{
		"ISSUER": secondIssuer, "AUDIENCE": mcpURL, "OTHER_ISSUERS": op.Issuer + "," + thirdIssuer,
	}, "jose-mint.mjs"))
	jwks = minted.JWKS
	tokens := map[string]string{}
	for _, tok := range minted.Tokens {
		tokens[tok.Name] = tok.Token
	}
	for _, name := range []string{"valid-RS256", "valid-ES256", "iss-0", "iss-1"} {
		if tokens[name] == "" {
			t.Fatalf("jose-mint.mjs made no %s token", name)
		}
	}

	providers := filepath.Join(t.TempDir(), "providers.json")
	doc, _ := json.Marshal([]map[string]any{{"issuer": secondIssuer, "jwks_uri": second.URL + "/jwks"}})
	if err := os.WriteFile(providers, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	startServe(t, map[string]string{
		"MCPAUTH_ADDR":                        "127.0.0.1:" + port,
		"MCPAUTH_JWT_BASE_URL":                base,
		"MCPAUTH_JWT_ISSUER":                  op.Issuer,
		"MCPAUTH_JWT_PROVIDERS_FILE":          providers,
		"MCPAUTH_JWT_REQUIRED_SCOPES":         "mcp:tools",
		"MCPAUTH_JWT_JWKS_REFRESH_RATE_LIMIT": "1s",
	})
	c := op.Clients[0]
	first := func(t *testing.T) string {
		return clientCredentials(t, op.TokenEndpoint, c.ClientID, c.ClientSecret, c.Method, mcpURL, "mcp:tools")
	}
	status := func(t *testing.T, token string) int {
		t.Helper()
		return callWhoami(t, mcpURL, token).status
	}

	t.Run("metadata names both issuers", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, base+"/.well-known/oauth-protected-resource/mcp", nil)
		md := decodeJSON[resourceMetadata](t, "metadata", do(t, req).body)
		if !slices.Equal(md.AuthorizationServers, []string{op.Issuer, secondIssuer}) {
			t.Fatalf("authorization_servers %v", md.AuthorizationServers)
		}
	})

	t.Run("second provider's JWK Set down: 503 for its tokens, the first provider's accepted", func(t *testing.T) {
		if got := status(t, tokens["valid-RS256"]); got != http.StatusServiceUnavailable {
			t.Fatalf("second provider's token: status %d; want 503", got)
		}
		if got := status(t, first(t)); got != http.StatusOK {
			t.Fatalf("first provider's token: status %d; want 200", got)
		}
	})

	t.Run("both providers' tokens accepted", func(t *testing.T) {
		secondDown.Store(false)
		deadline := time.Now().Add(30 * time.Second)
		for status(t, tokens["valid-RS256"]) != http.StatusOK {
			if time.Now().After(deadline) {
				t.Fatal("the second provider's token is still refused after its JWK Set came back")
			}
			time.Sleep(200 * time.Millisecond)
		}
		res := callWhoami(t, mcpURL, tokens["valid-ES256"])
		if res.status != http.StatusOK || whoamiFromRPC(t, res.body).Issuer != secondIssuer {
			t.Fatalf("second provider's ES256 token: %d %s", res.status, res.body)
		}
		res = callWhoami(t, mcpURL, first(t))
		if res.status != http.StatusOK || whoamiFromRPC(t, res.body).Issuer != op.Issuer {
			t.Fatalf("first provider's token: %d %s", res.status, res.body)
		}
	})

	t.Run("first issuer's name, second provider's key: refused", func(t *testing.T) {
		res := callWhoami(t, mcpURL, tokens["iss-0"])
		if res.status != http.StatusUnauthorized || challengeParam(res.header.Get("WWW-Authenticate"), "error") != "invalid_token" {
			t.Fatalf("status %d %q; want 401 invalid_token", res.status, res.header.Get("WWW-Authenticate"))
		}
	})

	t.Run("third issuer refused without any fetch", func(t *testing.T) {
		before := secondHits.Load()
		res := callWhoami(t, mcpURL, tokens["iss-1"])
		if res.status != http.StatusUnauthorized {
			t.Fatalf("status %d; want 401", res.status)
		}
		if n := thirdHits.Load(); n != 0 {
			t.Fatalf("the third issuer got %d requests", n)
		}
		if n := secondHits.Load() - before; n != 0 {
			t.Fatalf("the second provider got %d requests for a third issuer's token", n)
		}
	})
}
