package metadata

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mcpauth/mcpauth"
)

func TestWellKnownURL(t *testing.T) {
	tests := []struct{ resource, want string }{
		{"https://mcp.example.com/mcp", "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"},
		{"https://mcp.example.com", "https://mcp.example.com/.well-known/oauth-protected-resource"},
		{"https://mcp.example.com/", "https://mcp.example.com/.well-known/oauth-protected-resource"},
		{"http://127.0.0.1:8080/a/b", "http://127.0.0.1:8080/.well-known/oauth-protected-resource/a/b"},
	}
	for _, tt := range tests {
		got, err := WellKnownURL(tt.resource)
		if err != nil || got != tt.want {
			t.Errorf("WellKnownURL(%q) = %q, %v; want %q", tt.resource, got, err, tt.want)
		}
	}
	p, err := Path("https://mcp.example.com/mcp")
	if err != nil || p != "/.well-known/oauth-protected-resource/mcp" {
		t.Fatalf("Path = %q, %v", p, err)
	}
	for _, bad := range []string{"", "mcp", "/mcp", "ftp://x/mcp", "https:///mcp", "https://u:p@x/mcp", "https://x/mcp#f", "https://x/mcp?q=1", `https://x/"mcp`} {
		if _, err := WellKnownURL(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("WellKnownURL(%q) err = %v; want ErrInvalid", bad, err)
		}
	}
}

func TestHandler(t *testing.T) {
	h, err := NewHandler(ProtectedResource{
		Resource:             "https://mcp.example.com/mcp",
		AuthorizationServers: []string{"https://issuer.example.com"},
		ScopesSupported:      []string{"read", "write"},
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/oauth-protected-resource/mcp", nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("status %d headers %v", rec.Code, rec.Header())
	}
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := `{"authorization_servers":["https://issuer.example.com"],"bearer_methods_supported":["header"],"resource":"https://mcp.example.com/mcp","scopes_supported":["read","write"]}`
	if b, _ := json.Marshal(got); string(b) != want {
		t.Fatalf("body %s\nwant %s", b, want)
	}
	for method, code := range map[string]int{http.MethodHead: 200, http.MethodOptions: 204, http.MethodPost: 405} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, "/", nil))
		if rec.Code != code {
			t.Errorf("%s: status %d; want %d", method, rec.Code, code)
		}
		if method != http.MethodGet && rec.Body.Len() > 0 && code != 405 {
			t.Errorf("%s: body %q", method, rec.Body)
		}
	}
}

func TestNewHandlerValidates(t *testing.T) {
	for name, m := range map[string]ProtectedResource{
		"no resource":     {},
		"relative":        {Resource: "/mcp"},
		"bad server":      {Resource: "https://x/mcp", AuthorizationServers: []string{"issuer"}},
		"scope space":     {Resource: "https://x/mcp", ScopesSupported: []string{"a b"}},
		"empty scope":     {Resource: "https://x/mcp", ScopesSupported: []string{""}},
		"scope tab":       {Resource: "https://x/mcp", ScopesSupported: []string{"a\tb"}},
		"scope non-ASCII": {Resource: "https://x/mcp", ScopesSupported: []string{"lecture-é"}},
		"scope NBSP":      {Resource: "https://x/mcp", ScopesSupported: []string{"a\u00a0b"}},
		"bad docs":        {Resource: "https://x/mcp", ResourceDocumentation: "docs"},
		"server fragment": {Resource: "https://x/mcp", AuthorizationServers: []string{"https://i/#x"}},
	} {
		if _, err := NewHandler(m); !errors.Is(err, ErrInvalid) || !errors.Is(err, mcpauth.ErrInvalidConfig) {
			t.Errorf("%s: err = %v; want ErrInvalid", name, err)
		}
	}
}

// TestHandlerDPoP advertises DPoP (RFC 9728 §2) and refuses algorithms
// that cannot sign a proof.
func TestHandlerDPoP(t *testing.T) {
	h, err := NewHandler(ProtectedResource{
		Resource:                      "https://mcp.example.com/mcp",
		DPoPSigningAlgValuesSupported: []string{"ES256", "EdDSA"},
		DPoPBoundAccessTokensRequired: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	want := `{"resource":"https://mcp.example.com/mcp","bearer_methods_supported":["header"],"dpop_signing_alg_values_supported":["ES256","EdDSA"],"dpop_bound_access_tokens_required":true}` + "\n"
	if rec.Body.String() != want {
		t.Fatalf("body %s\nwant %s", rec.Body, want)
	}
	for _, alg := range []string{"HS256", "none", ""} {
		if _, err := NewHandler(ProtectedResource{Resource: "https://mcp.example.com/mcp", DPoPSigningAlgValuesSupported: []string{alg}}); !errors.Is(err, ErrInvalid) {
			t.Errorf("alg %q: err = %v", alg, err)
		}
	}
}
