package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// TestDotEnvSettingsAreNeverIgnored: FastMCP reads a .env file in the
// working directory; mcpauth does not, so serve, proxy and verify refuse to
// start when .env sets one of our variables that the environment does not
// (a required scope would otherwise go unenforced).
func TestDotEnvSettingsAreNeverIgnored(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	dir := t.TempDir()
	t.Chdir(dir)
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	base := pemEnv(t, kp)
	tok := mint(t, kp, testkeys.TokenOptions{Scopes: []string{"read"}})
	tests := []struct {
		name, content string
		environ       []string
		wantCode      int
		wantErr       string
	}{
		{"FastMCP scope only in .env", "# FastMCP\nexport fastmcp_server_auth_jwt_required_scopes=admin\n", base, exitUsage,
			".env sets FASTMCP_SERVER_AUTH_JWT_REQUIRED_SCOPES, which FastMCP reads from that file but mcpauth does not"},
		{"our scope only in .env", "MCPAUTH_JWT_REQUIRED_SCOPES=\"admin\"\n", base, exitUsage, ".env sets MCPAUTH_JWT_REQUIRED_SCOPES"},
		{"also exported", "MCPAUTH_JWT_REQUIRED_SCOPES=read\n", append(base, "MCPAUTH_JWT_REQUIRED_SCOPES=read"), exitOK, ""},
		{"other programs' variables", "DATABASE_URL=postgres://x\n# MCPAUTH_JWT_ISSUER=commented\n", base, exitOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			write(tt.content)
			code, _, stderr := runCmd(t, tok, tt.environ, "verify")
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantErr) {
				t.Fatalf("verify: exit %d, stderr %q; want %d and %q", code, stderr, tt.wantCode, tt.wantErr)
			}
			for _, command := range []string{"serve", "proxy"} {
				var errb strings.Builder
				_, code, done := parseServerConfig(command, nil, env{stderr: &errb, environ: append(tt.environ, "MCPAUTH_UPSTREAM=http://127.0.0.1:9/mcp")})
				if tt.wantErr != "" && (!done || code != exitUsage || !strings.Contains(errb.String(), tt.wantErr)) {
					t.Fatalf("%s: exit %d, stderr %q; want %q", command, code, errb.String(), tt.wantErr)
				}
				if tt.wantErr == "" && done && command == "proxy" {
					t.Fatalf("%s refused: %s", command, errb.String())
				}
			}
		})
	}
}
