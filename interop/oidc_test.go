//go:build interop

package interop

// oidc_test.go: oidc-provider (an OpenID Certified authorization server)
// on loopback issues JWT access tokens for the MCP resource (RFC 8707
// resource indicators, RFC 9068 token format) with the client-credentials
// grant; "mcpauth serve", configured with only its issuer URL, discovers
// the JWK Set from the issuer's metadata and accepts them.

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// opReady is the READY line of oidc-provider.mjs.
type opReady struct {
	Issuer        string `json:"issuer"`
	TokenEndpoint string `json:"token_endpoint"`
	Clients       []struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		Method       string `json:"method"` // client_secret_basic or client_secret_post
	} `json:"clients"`
}

func TestOIDCProvider(t *testing.T) {
	// The MCP server's URL goes into the authorization server's
	// configuration (the audience of its tokens), so its port is chosen
	// first. The other resource is never served: only its tokens are used.
	port := freePort(t)
	base := "http://127.0.0.1:" + port
	mcpURL := base + "/mcp"
	otherURL := "http://127.0.0.1:" + freePort(t) + "/other/mcp"

	op := decodeJSON[opReady](t, "oidc-provider READY line",
		startNode(t, map[string]string{"MCP_URL": mcpURL, "OTHER_URL": otherURL}, "oidc-provider.mjs"))
	if len(op.Clients) != 2 {
		t.Fatalf("oidc-provider clients: %+v", op.Clients)
	}

	// Only the issuer: no key, no JWKS URI, no audience (it defaults to
	// the resource URL, BASE_URL/mcp).
	listen := startServe(t, map[string]string{
		"MCPAUTH_ADDR":                "127.0.0.1:" + port,
		"MCPAUTH_JWT_ISSUER":          op.Issuer,
		"MCPAUTH_JWT_BASE_URL":        base,
		"MCPAUTH_JWT_REQUIRED_SCOPES": "mcp:tools",
	})
	if listen != base {
		t.Fatalf("mcpauth serve listens on %s, want %s", listen, base)
	}

	t.Run("protected resource metadata names the issuer", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, base+"/.well-known/oauth-protected-resource/mcp", nil)
		res := do(t, req)
		md := decodeJSON[resourceMetadata](t, "metadata", res.body)
		if res.status != 200 || md.Resource != mcpURL || !slices.Equal(md.AuthorizationServers, []string{op.Issuer}) {
			t.Fatalf("metadata: status %d, %+v; want resource %q, authorization_servers [%q]", res.status, md, mcpURL, op.Issuer)
		}
	})

	for _, c := range op.Clients {
		t.Run("whoami with a token from "+c.Method, func(t *testing.T) {
			token := clientCredentials(t, op.TokenEndpoint, c.ClientID, c.ClientSecret, c.Method, mcpURL, "mcp:tools")
			res := callWhoami(t, mcpURL, token)
			if res.status != http.StatusOK {
				t.Fatalf("whoami: status %d, WWW-Authenticate %q, body %s", res.status, res.header.Get("WWW-Authenticate"), res.body)
			}
			got := whoamiFromRPC(t, res.body)
			// oidc-provider's client-credentials tokens have sub = client_id.
			if got.ClientID != c.ClientID || got.Subject != c.ClientID || got.Issuer != op.Issuer {
				t.Errorf("whoami: client_id %q subject %q issuer %q; want %q %q %q", got.ClientID, got.Subject, got.Issuer, c.ClientID, c.ClientID, op.Issuer)
			}
			if !slices.Equal(got.Audience, []string{mcpURL}) || !slices.Equal(got.Scopes, []string{"mcp:tools"}) {
				t.Errorf("whoami: audience %q scopes %q", got.Audience, got.Scopes)
			}
			if jti, _ := got.Claims["jti"].(string); jti == "" {
				t.Errorf("whoami: no jti claim in %v", got.Claims)
			}
		})
	}

	c := op.Clients[0]
	t.Run("token for another resource is refused", func(t *testing.T) {
		token := clientCredentials(t, op.TokenEndpoint, c.ClientID, c.ClientSecret, c.Method, otherURL, "mcp:tools")
		res := callWhoami(t, mcpURL, token)
		challenge := res.header.Get("WWW-Authenticate")
		if res.status != http.StatusUnauthorized || challengeParam(challenge, "error") != "invalid_token" {
			t.Fatalf("status %d, WWW-Authenticate %q; want 401 invalid_token", res.status, challenge)
		}
		if got := challengeParam(challenge, "resource_metadata"); got != base+"/.well-known/oauth-protected-resource/mcp" {
			t.Errorf("resource_metadata=%q", got)
		}
	})

	t.Run("token without mcp:tools gets 403 insufficient_scope", func(t *testing.T) {
		token := clientCredentials(t, op.TokenEndpoint, c.ClientID, c.ClientSecret, c.Method, mcpURL, "mcp:read")
		res := callWhoami(t, mcpURL, token)
		challenge := res.header.Get("WWW-Authenticate")
		if res.status != http.StatusForbidden || challengeParam(challenge, "error") != "insufficient_scope" {
			t.Fatalf("status %d, WWW-Authenticate %q; want 403 insufficient_scope", res.status, challenge)
		}
	})

	t.Run("mcpauth verify discovers the keys from the issuer too", func(t *testing.T) {
		token := clientCredentials(t, op.TokenEndpoint, c.ClientID, c.ClientSecret, c.Method, mcpURL, "mcp:tools")
		env := map[string]string{"MCPAUTH_JWT_ISSUER": op.Issuer, "MCPAUTH_JWT_AUDIENCE": mcpURL}
		code, stdout, stderr := runVerify(t, env, token)
		if code != 0 {
			t.Fatalf("mcpauth verify: exit %d; stderr %s", code, stderr)
		}
		if got := decodeJSON[whoamiResult](t, "mcpauth verify output", stdout); got.ClientID != c.ClientID {
			t.Errorf("mcpauth verify: client_id %q, want %q", got.ClientID, c.ClientID)
		}
		// The same token for a verifier expecting another audience: refused.
		env["MCPAUTH_JWT_AUDIENCE"] = otherURL
		if code, _, stderr := runVerify(t, env, token); code != 1 || !strings.Contains(stderr, "invalid token: audience") {
			t.Errorf("mcpauth verify with another audience: exit %d, stderr %s; want 1, audience", code, stderr)
		}
		// Discovery requires the metadata to name exactly the configured
		// issuer (RFC 8414 §3.3, OpenID Connect Discovery §4.3): with a
		// trailing slash added, the metadata's issuer does not match, no
		// keys are loaded, and verification cannot happen (exit 4).
		env["MCPAUTH_JWT_ISSUER"] = op.Issuer + "/"
		env["MCPAUTH_JWT_AUDIENCE"] = mcpURL
		if code, _, stderr := runVerify(t, env, token, "-timeout", "3s"); code != 4 {
			t.Errorf("mcpauth verify with issuer %q: exit %d, stderr %s; want 4 (no keys)", op.Issuer+"/", code, stderr)
		} else {
			t.Logf("issuer %q refused: %s", op.Issuer+"/", strings.TrimSpace(stderr))
		}
	})
}

// clientCredentials obtains an access token from the token endpoint with
// the client-credentials grant and a resource indicator, authenticating
// with client_secret_basic or client_secret_post.
func clientCredentials(t *testing.T, tokenEndpoint, clientID, secret, method, resource, scope string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {resource}, "scope": {scope}}
	if method == "client_secret_post" {
		form.Set("client_id", clientID)
		form.Set("client_secret", secret)
	}
	req, err := http.NewRequest(http.MethodPost, tokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if method == "client_secret_basic" {
		// RFC 6749 §2.3.1: form-encode both before Basic.
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	}
	res := do(t, req)
	if res.status != http.StatusOK {
		t.Fatalf("token endpoint: status %d: %s", res.status, res.body)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		Scope       string `json:"scope"`
	}
	if err := json.Unmarshal(res.body, &tr); err != nil || tr.AccessToken == "" || !strings.EqualFold(tr.TokenType, "Bearer") {
		t.Fatalf("token response: %v: %s", err, res.body)
	}
	// A JWT (three segments), not an opaque token: the resource indicator
	// selected the JWT format.
	if strings.Count(tr.AccessToken, ".") != 2 {
		t.Fatalf("the access token is not a JWT: the resource indicator was not honoured")
	}
	return tr.AccessToken
}
