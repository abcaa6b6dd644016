package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

func TestServeCORS(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	for _, command := range []string{"serve", "proxy"} {
		t.Run(command, func(t *testing.T) {
			vars := pemVars(kp)
			if command == "proxy" {
				vars[envUpstream] = "http://127.0.0.1:1/mcp" // never reached
			}
			ts := startServer(t, command, vars)
			resp, _ := do(t, http.MethodOptions, ts.mcp(), "", "",
				"Origin", "https://app.example.com",
				"Access-Control-Request-Method", "POST",
				"Access-Control-Request-Headers", "authorization, content-type, mcp-protocol-version")
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("preflight: %d, want 204", resp.StatusCode)
			}
			h := resp.Header
			if h.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") {
				t.Errorf("preflight headers: %v", h)
			}
			for _, name := range []string{"Authorization", "Content-Type", "Mcp-Session-Id", "MCP-Protocol-Version", "Last-Event-ID"} {
				if !strings.Contains(h.Get("Access-Control-Allow-Headers"), name) {
					t.Errorf("Access-Control-Allow-Headers = %q, want %s", h.Get("Access-Control-Allow-Headers"), name)
				}
			}
			// A browser must be able to read the challenge of a 401.
			resp, _ = do(t, http.MethodPost, ts.mcp(), "", whoamiBody, "Origin", "https://app.example.com")
			if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("401: %d, ACAO %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
			}
			for _, name := range []string{"WWW-Authenticate", "Mcp-Session-Id"} {
				if !strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), name) {
					t.Errorf("Access-Control-Expose-Headers = %q, want %s", resp.Header.Get("Access-Control-Expose-Headers"), name)
				}
			}
			// An OPTIONS that is not a preflight is authenticated.
			if resp, _ := do(t, http.MethodOptions, ts.mcp(), "", "", "Origin", "https://app.example.com"); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("OPTIONS without Access-Control-Request-Method: %d, want 401", resp.StatusCode)
			}
		})
	}
}
