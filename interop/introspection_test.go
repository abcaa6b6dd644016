//go:build interop

package interop

// introspection_test.go: oidc-provider issues an opaque access token to a
// client that sends no resource indicator; "mcpauth serve" checks it at
// oidc-provider's introspection endpoint (RFC 7662), notices its
// revocation (RFC 7009) on the next request with the cache off, and within
// the cache's maximum age with it on.

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// opIntrospection is the part of oidc-provider.mjs's READY line about
// opaque tokens.
type opIntrospection struct {
	Issuer        string `json:"issuer"`
	TokenEndpoint string `json:"token_endpoint"`
	OpaqueClient  struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	} `json:"opaque_client"`
	ResourceServer struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	} `json:"resource_server"`
	IntrospectionEndpoint string `json:"introspection_endpoint"`
	RevocationEndpoint    string `json:"revocation_endpoint"`
}

func TestOIDCProviderIntrospection(t *testing.T) {
	port := freePort(t)
	base := "http://127.0.0.1:" + port
	mcpURL := base + "/mcp"
	ready := startNode(t, map[string]string{
		"MCP_URL": mcpURL, "OTHER_URL": "http://127.0.0.1:" + freePort(t) + "/other/mcp",
	}, "oidc-provider.mjs")
	op := decodeJSON[opIntrospection](t, "oidc-provider READY line", ready)
	jwtClient := decodeJSON[opReady](t, "oidc-provider READY line", ready).Clients[0]
	opaque := func(t *testing.T) string {
		t.Helper()
		return opaqueToken(t, op.TokenEndpoint, op.OpaqueClient.ClientID, op.OpaqueClient.ClientSecret, "mcp:tools")
	}
	revoke := func(t *testing.T, token string) {
		t.Helper()
		form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
		req, err := http.NewRequest(http.MethodPost, op.RevocationEndpoint, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(op.OpaqueClient.ClientID), url.QueryEscape(op.OpaqueClient.ClientSecret))
		if res := do(t, req); res.status != http.StatusOK {
			t.Fatalf("revocation: status %d: %s", res.status, res.body)
		}
	}

	// Cache off; the endpoint is discovered from the issuer's metadata; JWT
	// access tokens of the same issuer keep working next to opaque ones.
	listen := startServe(t, map[string]string{
		"MCPAUTH_ADDR":                        "127.0.0.1:" + port,
		"MCPAUTH_JWT_BASE_URL":                base,
		"MCPAUTH_JWT_ISSUER":                  op.Issuer,
		"MCPAUTH_JWT_REQUIRED_SCOPES":         "mcp:tools",
		"MCPAUTH_INTROSPECTION_ISSUER":        op.Issuer,
		"MCPAUTH_INTROSPECTION_CLIENT_ID":     op.ResourceServer.ClientID,
		"MCPAUTH_INTROSPECTION_CLIENT_SECRET": op.ResourceServer.ClientSecret,
		"MCPAUTH_INTROSPECTION_CACHE_MAX_AGE": "0s",
	})
	if listen != base {
		t.Fatalf("mcpauth serve listens on %s, want %s", listen, base)
	}

	t.Run("opaque token accepted, whoami shows its client and scopes", func(t *testing.T) {
		token := opaque(t)
		res := callWhoami(t, mcpURL, token)
		if res.status != http.StatusOK {
			t.Fatalf("whoami: status %d, WWW-Authenticate %q, body %s", res.status, res.header.Get("WWW-Authenticate"), res.body)
		}
		got := whoamiFromRPC(t, res.body)
		if got.ClientID != op.OpaqueClient.ClientID || !slices.Equal(got.Scopes, []string{"mcp:tools"}) ||
			got.Issuer != op.Issuer || !slices.Equal(got.Audience, []string{mcpURL}) {
			t.Fatalf("whoami: %+v", got)
		}
		if got.Claims["active"] != true || got.Claims["token_type"] != "Bearer" {
			t.Errorf("claims %v; want the introspection answer", got.Claims)
		}
	})

	t.Run("revoked opaque token refused on the next request (cache off)", func(t *testing.T) {
		token := opaque(t)
		if res := callWhoami(t, mcpURL, token); res.status != http.StatusOK {
			t.Fatalf("before revocation: %d %s", res.status, res.body)
		}
		revoke(t, token)
		res := callWhoami(t, mcpURL, token)
		if res.status != http.StatusUnauthorized || challengeParam(res.header.Get("WWW-Authenticate"), "error") != "invalid_token" {
			t.Fatalf("after revocation: status %d, WWW-Authenticate %q; want 401 invalid_token", res.status, res.header.Get("WWW-Authenticate"))
		}
	})

	t.Run("JWT access token next to introspection", func(t *testing.T) {
		token := clientCredentials(t, op.TokenEndpoint, jwtClient.ClientID, jwtClient.ClientSecret, jwtClient.Method, mcpURL, "mcp:tools")
		if res := callWhoami(t, mcpURL, token); res.status != http.StatusOK {
			t.Fatalf("JWT: status %d %s", res.status, res.body)
		}
	})

	t.Run("metadata names the issuer once", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, base+"/.well-known/oauth-protected-resource/mcp", nil)
		md := decodeJSON[resourceMetadata](t, "metadata", do(t, req).body)
		if !slices.Equal(md.AuthorizationServers, []string{op.Issuer}) {
			t.Fatalf("authorization_servers %v", md.AuthorizationServers)
		}
	})

	t.Run("revoked opaque token refused within the cache's maximum age", func(t *testing.T) {
		const maxAge = 2 * time.Second
		// Another server, for the same resource (audience), with the cache
		// on and the endpoint configured rather than discovered.
		cached := startServe(t, map[string]string{
			"MCPAUTH_JWT_AUDIENCE":                mcpURL,
			"MCPAUTH_INTROSPECTION_URL":           op.IntrospectionEndpoint,
			"MCPAUTH_INTROSPECTION_ISSUER":        op.Issuer,
			"MCPAUTH_INTROSPECTION_CLIENT_ID":     op.ResourceServer.ClientID,
			"MCPAUTH_INTROSPECTION_CLIENT_SECRET": op.ResourceServer.ClientSecret,
			"MCPAUTH_INTROSPECTION_CACHE_MAX_AGE": maxAge.String(),
		}) + "/mcp"
		token := opaque(t)
		if res := callWhoami(t, cached, token); res.status != http.StatusOK {
			t.Fatalf("before revocation: %d %s", res.status, res.body)
		}
		// The entry was made before this instant, so it expires by
		// answered + maxAge at the latest.
		answered := time.Now()
		revoke(t, token)
		res := callWhoami(t, cached, token)
		t.Logf("right after revocation (cached): status %d", res.status)
		if d := time.Until(answered.Add(maxAge)); d > 0 {
			time.Sleep(d)
		}
		res = callWhoami(t, cached, token)
		if res.status != http.StatusUnauthorized {
			t.Fatalf("%v after the cached answer: status %d; want 401", time.Since(answered).Round(time.Millisecond), res.status)
		}
	})
}

// opaqueToken obtains an access token with the client-credentials grant
// without a resource indicator, and checks it is opaque (not a JWT).
func opaqueToken(t *testing.T, tokenEndpoint, clientID, secret, scope string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {scope}}
	req, err := http.NewRequest(http.MethodPost, tokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	res := do(t, req)
	if res.status != http.StatusOK {
		t.Fatalf("token endpoint: status %d: %s", res.status, res.body)
	}
	tr := decodeJSON[struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}](t, "token response", res.body)
	if tr.AccessToken == "" || strings.Contains(tr.AccessToken, ".") || !strings.EqualFold(tr.TokenType, "Bearer") {
		t.Fatalf("want an opaque bearer token, got %q (%s)", tr.AccessToken, tr.TokenType)
	}
	return tr.AccessToken
}
