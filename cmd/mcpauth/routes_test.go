package main

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

func TestServeMetadataAndHealth(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	for _, tt := range []struct {
		name        string
		vars        map[string]string
		wantServers []string
	}{
		{"issuers", pemVars(kp, envScopes, "mcp:tools read"), []string{iss}},
		{"explicit", pemVars(kp, envScopes, "mcp:tools read", envAuthServers, "https://as.example.com"), []string{"https://as.example.com"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, "serve", tt.vars)
			for _, path := range []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"} {
				resp, body := do(t, http.MethodGet, ts.url+path, "", "")
				if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
					t.Fatalf("GET %s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
				}
				var doc struct {
					Resource string   `json:"resource"`
					Servers  []string `json:"authorization_servers"`
					Scopes   []string `json:"scopes_supported"`
					Methods  []string `json:"bearer_methods_supported"`
				}
				if err := json.Unmarshal([]byte(body), &doc); err != nil {
					t.Fatal(err)
				}
				if doc.Resource != ts.mcp() || !slices.Equal(doc.Servers, tt.wantServers) ||
					!slices.Equal(doc.Scopes, []string{"mcp:tools", "read"}) || !slices.Equal(doc.Methods, []string{"header"}) {
					t.Errorf("GET %s = %s", path, body)
				}
			}
		})
	}
	ts := startServer(t, "serve", pemVars(kp))
	resp, body := do(t, http.MethodGet, ts.url+"/healthz", "", "")
	if resp.StatusCode != http.StatusOK || body != "ok\n" {
		t.Errorf("GET /healthz: %d %q", resp.StatusCode, body)
	}
	if resp, _ := do(t, http.MethodPost, ts.url+"/healthz", "", "x"); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz: %d", resp.StatusCode)
	}
	if resp, _ := do(t, http.MethodGet, ts.url+"/other", "", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /other: %d", resp.StatusCode)
	}
	// Demo-only route.
	if resp, _ := do(t, http.MethodGet, ts.url+demoJWKSPath, "", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET %s outside demo mode: %d", demoJWKSPath, resp.StatusCode)
	}
}
