//go:build interop

package interop

// sdk_test.go: the official TypeScript MCP SDK (@modelcontextprotocol/sdk)
// as the client of "mcpauth serve".

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/testkeys"
)

const sdkIssuer = "https://issuer.interop.example"

// sdkClientOutput is what mcp-client.mjs prints.
type sdkClientOutput struct {
	Mode  string   `json:"mode"`
	Tools []string `json:"tools"`
	// connect
	Whoami *struct {
		IsError           bool         `json:"isError"`
		StructuredContent whoamiResult `json:"structuredContent"`
		Content           []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
	} `json:"whoami"`
	// unauthorized, insufficient
	SDKError *struct {
		Name    string `json:"name"`
		Code    *int   `json:"code"`
		Message string `json:"message"`
	} `json:"sdkError"`
	Raw *struct {
		Status          int    `json:"status"`
		WWWAuthenticate string `json:"wwwAuthenticate"`
		Body            string `json:"body"`
		SDKParams       struct {
			ResourceMetadataURL *string `json:"resourceMetadataUrl"`
			Scope               *string `json:"scope"`
			Error               *string `json:"error"`
		} `json:"sdkParams"`
	} `json:"raw"`
	MetadataFromHeader *resourceMetadata `json:"metadataFromHeader"`
	MetadataWellKnown  *resourceMetadata `json:"metadataWellKnown"`
}

// resourceMetadata is an RFC 9728 protected resource metadata document.
type resourceMetadata struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers"`
	ScopesSupported        []string `json:"scopes_supported"`
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
}

func TestTypeScriptSDKClient(t *testing.T) {
	kp, err := testkeys.GenerateECKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	base := startServe(t, map[string]string{
		"MCPAUTH_JWT_PUBLIC_KEY":      kp.PublicKeyPEM(),
		"MCPAUTH_JWT_ISSUER":          sdkIssuer,
		"MCPAUTH_JWT_REQUIRED_SCOPES": "mcp:tools",
	})
	mcpURL := base + "/mcp"
	metadataURL := base + "/.well-known/oauth-protected-resource/mcp"
	mint := func(t *testing.T, scopes ...string) string {
		t.Helper()
		tok, err := kp.CreateToken(testkeys.TokenOptions{
			Issuer:           sdkIssuer,
			Subject:          "ts-sdk-user",
			Audience:         []string{mcpURL},
			Scopes:           scopes,
			AdditionalClaims: map[string]any{"client_id": "ts-sdk-client"},
			Header:           map[string]any{"typ": "at+jwt"},
		})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	client := func(t *testing.T, mode, token string) sdkClientOutput {
		t.Helper()
		out := runNode(t, map[string]string{"MCP_URL": mcpURL, "TOKEN": token}, "mcp-client.mjs", mode)
		return decodeJSON[sdkClientOutput](t, "mcp-client.mjs output", out)
	}

	t.Run("connect, list tools, call whoami", func(t *testing.T) {
		got := client(t, "connect", mint(t, "mcp:tools", "mcp:read"))
		if !slices.Contains(got.Tools, "whoami") {
			t.Fatalf("tools/list: %q, want whoami", got.Tools)
		}
		if got.Whoami == nil || got.Whoami.IsError {
			t.Fatalf("whoami failed: %+v", got.Whoami)
		}
		sc := got.Whoami.StructuredContent
		if sc.ClientID != "ts-sdk-client" || sc.Subject != "ts-sdk-user" || sc.Issuer != sdkIssuer {
			t.Errorf("whoami: client_id %q subject %q issuer %q", sc.ClientID, sc.Subject, sc.Issuer)
		}
		if !slices.Equal(sc.Scopes, []string{"mcp:tools", "mcp:read"}) || !slices.Equal(sc.Audience, []string{mcpURL}) {
			t.Errorf("whoami: scopes %q audience %q", sc.Scopes, sc.Audience)
		}
		// The text content is the same JSON, for clients that ignore
		// structured content.
		if len(got.Whoami.Content) != 1 || got.Whoami.Content[0].Type != "text" {
			t.Fatalf("whoami content: %+v", got.Whoami.Content)
		}
		fromText := decodeJSON[whoamiResult](t, "whoami text content", []byte(got.Whoami.Content[0].Text))
		if fromText.ClientID != sc.ClientID || fromText.Subject != sc.Subject {
			t.Errorf("whoami text content %+v differs from structured content %+v", fromText, sc)
		}
	})

	t.Run("no token: 401 with resource_metadata, metadata readable", func(t *testing.T) {
		got := client(t, "unauthorized", "")
		if got.SDKError == nil || got.SDKError.Code == nil || *got.SDKError.Code != 401 {
			t.Errorf("SDK connect error: %+v, want a StreamableHTTPError with code 401", got.SDKError)
		}
		raw := got.Raw
		if raw.Status != 401 || !strings.HasPrefix(raw.WWWAuthenticate, "Bearer ") {
			t.Fatalf("status %d, WWW-Authenticate %q; want 401 Bearer", raw.Status, raw.WWWAuthenticate)
		}
		if got := challengeParam(raw.WWWAuthenticate, "resource_metadata"); got != metadataURL {
			t.Errorf("resource_metadata=%q, want %q", got, metadataURL)
		}
		// The SDK's own header parser reads the same URL and scope.
		if p := raw.SDKParams; p.ResourceMetadataURL == nil || *p.ResourceMetadataURL != metadataURL || p.Scope == nil || *p.Scope != "mcp:tools" || p.Error != nil {
			t.Errorf("SDK extractWWWAuthenticateParams: %+v", p)
		}
		for name, md := range map[string]*resourceMetadata{"from the header's URL": got.MetadataFromHeader, "from the well-known URL": got.MetadataWellKnown} {
			if md == nil {
				t.Errorf("metadata %s: none", name)
				continue
			}
			if md.Resource != mcpURL || !slices.Equal(md.AuthorizationServers, []string{sdkIssuer}) ||
				!slices.Contains(md.ScopesSupported, "mcp:tools") || !slices.Equal(md.BearerMethodsSupported, []string{"header"}) {
				t.Errorf("metadata %s: %+v; want resource %q, authorization_servers [%q]", name, md, mcpURL, sdkIssuer)
			}
		}
	})

	t.Run("token without the required scope: 403 insufficient_scope", func(t *testing.T) {
		got := client(t, "insufficient", mint(t, "mcp:read"))
		if got.SDKError == nil || got.SDKError.Code == nil || *got.SDKError.Code != 403 {
			t.Errorf("SDK connect error: %+v, want a StreamableHTTPError with code 403", got.SDKError)
		}
		raw := got.Raw
		if raw.Status != 403 {
			t.Fatalf("status %d, want 403; WWW-Authenticate %q", raw.Status, raw.WWWAuthenticate)
		}
		if p := raw.SDKParams; p.Error == nil || *p.Error != "insufficient_scope" || p.Scope == nil || *p.Scope != "mcp:tools" ||
			p.ResourceMetadataURL == nil || *p.ResourceMetadataURL != metadataURL {
			t.Errorf("SDK extractWWWAuthenticateParams on the 403: %+v (header %q)", p, raw.WWWAuthenticate)
		}
		var body struct {
			Error string `json:"error"`
		}
		if err := json.Unmarshal([]byte(raw.Body), &body); err != nil || body.Error != "insufficient_scope" {
			t.Errorf("403 body %q, want error insufficient_scope", raw.Body)
		}
	})
}
