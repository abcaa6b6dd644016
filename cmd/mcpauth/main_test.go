package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

const (
	iss = "https://issuer.example.com"
	aud = "https://mcp.example.com/mcp"
)

// runCmd runs the CLI in-process.
func runCmd(t *testing.T, stdin string, environ []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, environ: environ})
	return code, out.String(), errb.String()
}

func pemEnv(t *testing.T, kp *testkeys.KeyPair, extra ...string) []string {
	t.Helper()
	return append([]string{
		"MCPAUTH_JWT_PUBLIC_KEY=" + kp.PublicKeyPEM(),
		"MCPAUTH_JWT_ISSUER=" + iss,
		"MCPAUTH_JWT_AUDIENCE=" + aud,
		"PATH=/usr/bin",
	}, extra...)
}

func mint(t *testing.T, kp *testkeys.KeyPair, o testkeys.TokenOptions) string {
	t.Helper()
	if o.Issuer == "" {
		o.Issuer = iss
	}
	if o.Audience == nil {
		o.Audience = []string{aud}
	}
	tok, err := kp.CreateToken(o)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestVerifyExitCodes(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	other := testkeystest.SharedECKeyPair(t)
	closed := closedPort(t)
	tests := []struct {
		name     string
		environ  []string
		stdin    string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"valid", pemEnv(t, kp), "  " + mint(t, kp, testkeys.TokenOptions{Scopes: []string{"read"}}) + "\n", nil, exitOK, ""},
		{"expired", pemEnv(t, kp), mint(t, kp, testkeys.TokenOptions{ExpiresIn: -time.Hour}), nil, exitInvalid, "expired"},
		{"wrong audience", pemEnv(t, kp), mint(t, kp, testkeys.TokenOptions{Audience: []string{"https://other.example.com"}}), nil, exitInvalid, "audience"},
		{"wrong key", pemEnv(t, kp), mint(t, other, testkeys.TokenOptions{}), nil, exitInvalid, "algorithm"},
		{"garbage", pemEnv(t, kp), "not-a-token", nil, exitInvalid, "malformed"},
		{"missing scope", pemEnv(t, kp, "MCPAUTH_JWT_REQUIRED_SCOPES=read,admin"), mint(t, kp, testkeys.TokenOptions{Scopes: []string{"read"}}), nil, exitScope, "insufficient scope: missing admin"},
		{"no configuration", []string{"PATH=/usr/bin"}, mint(t, kp, testkeys.TokenOptions{}), nil, exitUsage, "MCPAUTH_JWT_ISSUER is required"},
		// Names in any letter case, as FastMCP reads them: a lower-case
		// required scope is enforced, never ignored.
		{"lower-case required scope", pemEnv(t, kp, "mcpauth_jwt_required_scopes=admin"), mint(t, kp, testkeys.TokenOptions{Scopes: []string{"read"}}), nil, exitScope, "insufficient scope: missing admin"},
		{"mixed-case FastMCP required scope", []string{
			"FastMCP_Server_Auth_JWT_Public_Key=" + kp.PublicKeyPEM(), "fastmcp_server_auth_jwt_issuer=" + iss,
			"FASTMCP_SERVER_AUTH_JWT_AUDIENCE=" + aud, "fastmcp_server_auth_jwt_required_scopes=admin",
		}, mint(t, kp, testkeys.TokenOptions{Scopes: []string{"read"}}), []string{"-env-prefix", "FASTMCP_SERVER_AUTH_JWT_"}, exitScope, "insufficient scope: missing admin"},
		{"two spellings", pemEnv(t, kp, "mcpauth_jwt_required_scopes=admin", "MCPAUTH_JWT_REQUIRED_SCOPES=read"), mint(t, kp, testkeys.TokenOptions{}), nil, exitUsage,
			"MCPAUTH_JWT_REQUIRED_SCOPES and mcpauth_jwt_required_scopes are both set"},
		{"lower-case typo", pemEnv(t, kp, "mcpauth_jwt_required_scope=admin"), mint(t, kp, testkeys.TokenOptions{}), nil, exitUsage, "did you mean MCPAUTH_JWT_REQUIRED_SCOPES?"},
		{"plain http JWK Set", []string{"MCPAUTH_JWT_JWKS_URI=http://idp.example.com/jwks", "MCPAUTH_JWT_ISSUER=" + iss, "MCPAUTH_JWT_AUDIENCE=" + aud}, mint(t, kp, testkeys.TokenOptions{}), nil, exitUsage,
			"set MCPAUTH_JWT_INSECURE_ALLOW_HTTP_JWKS=true to allow plain http"},
		{"typo in variable", pemEnv(t, kp, "MCPAUTH_JWT_AUDIENCES=x"), mint(t, kp, testkeys.TokenOptions{}), nil, exitUsage, "MCPAUTH_JWT_AUDIENCES"},
		{"empty stdin", pemEnv(t, kp), " \n", nil, exitUsage, "no token on stdin"},
		{"stray argument", pemEnv(t, kp), "x", []string{"extra"}, exitUsage, "no arguments"},
		{"bad flag", pemEnv(t, kp), "x", []string{"-nope"}, exitUsage, ""},
		{"jwks unreachable", []string{
			"MCPAUTH_JWT_JWKS_URI=http://" + closed + "/jwks.json",
			"MCPAUTH_JWT_ISSUER=" + iss, "MCPAUTH_JWT_AUDIENCE=" + aud,
		}, mint(t, kp, testkeys.TokenOptions{}), []string{"-timeout", "3s"}, exitUnavailable, "unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.stdin, tt.environ, append([]string{"verify"}, tt.args...)...)
			if code != tt.wantCode {
				t.Fatalf("exit %d; want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			if !strings.Contains(stderr, tt.wantErr) {
				t.Fatalf("stderr %q; want it to mention %q", stderr, tt.wantErr)
			}
			if tok := strings.TrimSpace(tt.stdin); len(tok) > 20 && (strings.Contains(stderr, tok) || strings.Contains(stdout, tok)) {
				t.Fatal("the token was echoed")
			}
			if code != exitOK {
				if stdout != "" {
					t.Fatalf("stdout on failure: %q", stdout)
				}
				if tt.wantErr != "" && strings.Count(stderr, "\n") != 1 {
					t.Fatalf("stderr is not one line: %q", stderr)
				}
				return
			}
			var at map[string]any
			if err := json.Unmarshal([]byte(stdout), &at); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
			}
			if at["client_id"] != testkeys.DefaultSubject || at["issuer"] != iss {
				t.Fatalf("access token %v", at)
			}
			if _, ok := at["expires_at"].(float64); !ok {
				t.Fatalf("expires_at missing: %v", at)
			}
		})
	}
}

func TestVerifyFastMCPPrefix(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	environ := []string{
		"FASTMCP_SERVER_AUTH_JWT_PUBLIC_KEY=" + kp.PublicKeyPEM(),
		"FASTMCP_SERVER_AUTH_JWT_ISSUER=" + iss,
		"FASTMCP_SERVER_AUTH_JWT_AUDIENCE=" + aud,
		"FASTMCP_SERVER_AUTH_JWT_ALGORITHM=RS256",
		`FASTMCP_SERVER_AUTH_JWT_REQUIRED_SCOPES=["read"]`,
	}
	code, _, stderr := runCmd(t, mint(t, kp, testkeys.TokenOptions{Scopes: []string{"read"}}), environ, "verify", "-env-prefix", "FASTMCP_SERVER_AUTH_JWT_")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

func TestKeygenAndToken(t *testing.T) {
	for _, typ := range []string{"rsa", "ec", "ed25519"} {
		t.Run(typ, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "keys")
			code, _, stderr := runCmd(t, "", nil, "keygen", "-type", typ, "-out", dir)
			if code != exitOK {
				t.Fatalf("keygen exit %d: %s", code, stderr)
			}
			info, err := os.Stat(filepath.Join(dir, "private.pem"))
			if err != nil {
				t.Fatal(err)
			}
			if info.Mode().Perm() != 0o600 {
				t.Fatalf("private.pem mode %v", info.Mode().Perm())
			}
			// Never overwrite an existing key.
			if code, _, _ := runCmd(t, "", nil, "keygen", "-type", typ, "-out", dir); code == exitOK {
				t.Fatal("keygen overwrote an existing key")
			}
			pub, err := os.ReadFile(filepath.Join(dir, "public.pem"))
			if err != nil {
				t.Fatal(err)
			}
			code, tok, stderr := runCmd(t, "", nil, "token", "-key", filepath.Join(dir, "private.pem"),
				"-iss", iss, "-aud", aud, "-scope", "read,write", "-claim", "tenant=acme", "-claim", `level=3`)
			if code != exitOK {
				t.Fatalf("token exit %d: %s", code, stderr)
			}
			environ := []string{"MCPAUTH_JWT_PUBLIC_KEY=" + string(pub), "MCPAUTH_JWT_ISSUER=" + iss, "MCPAUTH_JWT_AUDIENCE=" + aud}
			code, out, stderr := runCmd(t, tok, environ, "verify")
			if code != exitOK {
				t.Fatalf("verify exit %d: %s", code, stderr)
			}
			var at struct {
				Scopes []string       `json:"scopes"`
				Claims map[string]any `json:"claims"`
			}
			if err := json.Unmarshal([]byte(out), &at); err != nil {
				t.Fatal(err)
			}
			if strings.Join(at.Scopes, " ") != "read write" || at.Claims["tenant"] != "acme" || at.Claims["level"] != float64(3) {
				t.Fatalf("access token %s", out)
			}
		})
	}
}

func TestKeygenStdoutAndUsage(t *testing.T) {
	code, out, _ := runCmd(t, "", nil, "keygen", "-type", "ec")
	if code != exitOK || !strings.Contains(out, "BEGIN PRIVATE KEY") || !strings.Contains(out, "BEGIN PUBLIC KEY") {
		t.Fatalf("exit %d: %s", code, out)
	}
	for _, args := range [][]string{{"keygen", "-type", "dsa"}, {"token"}, {"token", "-key", "/nonexistent"}, {"bogus"}, {}} {
		if code, _, _ := runCmd(t, "", nil, args...); code != exitUsage {
			t.Errorf("%v: exit %d; want %d", args, code, exitUsage)
		}
	}
	if code, out, _ := runCmd(t, "", nil, "help"); code != exitOK || !strings.Contains(out, "Exit codes") {
		t.Fatalf("help: %d %s", code, out)
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestTokenAlgEd25519 mints a token with the RFC 9864 name Ed25519 and
// verifies it with the default allow-list, and refuses it when the
// allow-list names only EdDSA.
func TestTokenAlgEd25519(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	if code, _, stderr := runCmd(t, "", nil, "keygen", "-type", "ed25519", "-out", dir); code != exitOK {
		t.Fatalf("keygen exit %d: %s", code, stderr)
	}
	pub, err := os.ReadFile(filepath.Join(dir, "public.pem"))
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "private.pem")
	code, tok, stderr := runCmd(t, "", nil, "token", "-key", key, "-alg", "Ed25519", "-iss", iss, "-aud", aud)
	if code != exitOK {
		t.Fatalf("token exit %d: %s", code, stderr)
	}
	tok = strings.TrimSpace(tok)
	hb, err := base64.RawURLEncoding.DecodeString(tok[:strings.IndexByte(tok, '.')])
	if err != nil {
		t.Fatal(err)
	}
	var header map[string]any
	if err := json.Unmarshal(hb, &header); err != nil || header["alg"] != "Ed25519" {
		t.Fatalf("header %s (%v), want alg Ed25519", hb, err)
	}
	environ := []string{"MCPAUTH_JWT_PUBLIC_KEY=" + string(pub), "MCPAUTH_JWT_ISSUER=" + iss, "MCPAUTH_JWT_AUDIENCE=" + aud}
	if code, _, stderr := runCmd(t, tok, environ, "verify"); code != exitOK {
		t.Fatalf("verify exit %d: %s", code, stderr)
	}
	code, _, stderr = runCmd(t, tok, append(environ, "MCPAUTH_JWT_ALGORITHM=EdDSA"), "verify")
	if code != exitInvalid || !strings.Contains(stderr, "algorithm") {
		t.Fatalf("verify with ALGORITHM=EdDSA: exit %d, stderr %q; want %d, reason algorithm", code, stderr, exitInvalid)
	}
	code, _, stderr = runCmd(t, "", nil, "token", "-key", key, "-alg", "Ed448")
	if code != exitUsage || !strings.Contains(stderr, "Ed448 (RFC 9864) is not supported") {
		t.Fatalf("token -alg Ed448: exit %d, stderr %q", code, stderr)
	}
}
