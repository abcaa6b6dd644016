package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// documentedPath is the README's keygen → token → verify path, verbatim
// but for the working directory.
const documentedPath = `
eval "$(mcpauth keygen -out ./keys)"
mcpauth token -key ./keys/private.pem -scope mcp:tools > token.txt
mcpauth verify < token.txt
`

// TestDocumentedPathWorksFirstTime builds the binary and runs the README's
// path in a shell with no MCPAUTH_* variable set beforehand: keygen's
// exports and token's defaults must agree, so verify accepts the token at
// the first try; then serve, configured by the same exports, accepts it
// too.
func TestDocumentedPathWorksFirstTime(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatalf("no POSIX shell: %v", err)
	}
	work := t.TempDir()
	bin := filepath.Join(work, "bin")
	if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, "mcpauth"), ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if !strings.Contains(readREADME(t), strings.TrimSpace(documentedPath)) {
		t.Fatalf("README.md does not show the path this test runs:\n%s", documentedPath)
	}
	cmd := exec.Command(sh, "-c", "set -e\n"+documentedPath+"env > env.txt\n")
	cmd.Dir = work
	cmd.Env = []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + work}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the documented path fails: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	tokenBytes, err := os.ReadFile(filepath.Join(work, "token.txt"))
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(tokenBytes))
	var at struct {
		Issuer   string   `json:"issuer"`
		Audience []string `json:"audience"`
		Scopes   []string `json:"scopes"`
	}
	if err := json.Unmarshal([]byte(stdout.String()), &at); err != nil {
		t.Fatalf("verify did not print an access token: %v\n%s", err, stdout.String())
	}
	if at.Issuer != devIssuer || len(at.Audience) != 1 || at.Audience[0] != devAudience || strings.Join(at.Scopes, " ") != "mcp:tools" {
		t.Errorf("access token %+v", at)
	}
	if strings.Contains(stderr.String(), token) {
		t.Error("the token is on stderr")
	}

	// serve with the same exports (on another port: the audience is
	// exported, so it does not depend on the listen address).
	envText, err := os.ReadFile(filepath.Join(work, "env.txt"))
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, name := range []string{envPublicKey, envIssuer, envAudience} {
		_, rest, ok := strings.Cut("\n"+string(envText), "\n"+name+"=")
		if !ok {
			t.Fatalf("keygen did not export %s", name)
		}
		// The public key spans several lines; it ends with its END line.
		if end := strings.Index(rest, "-----END PUBLIC KEY-----"); name == envPublicKey && end >= 0 {
			vars[name] = rest[:end+len("-----END PUBLIC KEY-----")]
		} else {
			vars[name], _, _ = strings.Cut(rest, "\n")
		}
	}
	ts := startServer(t, "serve", vars)
	if status, challenge, _ := callWhoami(t, ts.mcp(), token); status != http.StatusOK {
		t.Errorf("serve with keygen's exports: %d %s", status, challenge)
	}
}

// readREADME returns the repository's README.md.
func readREADME(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// tokenParts returns a token's decoded header and claims.
func tokenParts(t *testing.T, tok string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(strings.TrimSpace(tok), ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %d segments", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}

// TestTokenFlags: the defaults agree with keygen's exports, -typ sets the
// header, -client-id the claim, and contradictory flags are refused.
func TestTokenFlags(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	code, exports, stderr := runCmd(t, "", nil, "keygen", "-type", "ec", "-out", dir)
	if code != exitOK {
		t.Fatalf("keygen: %d %s", code, stderr)
	}
	for _, want := range []string{
		"export " + envPublicKey + `="$(cat '`,
		"export " + envIssuer + "='" + devIssuer + "'",
		"export " + envAudience + "='" + devAudience + "'",
	} {
		if !strings.Contains(exports, want) {
			t.Errorf("keygen stdout lacks %q:\n%s", want, exports)
		}
	}
	key := filepath.Join(dir, "private.pem")

	_, tok, _ := runCmd(t, "", nil, "token", "-key", key)
	header, claims := tokenParts(t, tok)
	if header["typ"] != "JWT" || claims["iss"] != devIssuer || claims["aud"] != devAudience || claims["client_id"] != nil {
		t.Errorf("defaults: header %v, claims %v", header, claims)
	}

	code, tok, stderr = runCmd(t, "", nil, "token", "-key", key, "-typ", "at+jwt", "-client-id", "cli-1", "-aud", aud, "-iss", iss)
	if code != exitOK {
		t.Fatalf("token: %d %s", code, stderr)
	}
	header, claims = tokenParts(t, tok)
	if header["typ"] != "at+jwt" || claims["client_id"] != "cli-1" || claims["aud"] != aud || claims["iss"] != iss {
		t.Errorf("-typ/-client-id: header %v, claims %v", header, claims)
	}
	// The RFC 9068 token passes a verifier that requires at+jwt.
	pub, _ := os.ReadFile(filepath.Join(dir, "public.pem"))
	environ := []string{envPublicKey + "=" + string(pub), envIssuer + "=" + iss, envAudience + "=" + aud, "MCPAUTH_JWT_REQUIRE_ACCESS_TOKEN_TYPE=true"}
	if code, out, stderr := runCmd(t, tok, environ, "verify"); code != exitOK || !strings.Contains(out, `"cli-1"`) {
		t.Errorf("verify with REQUIRE_ACCESS_TOKEN_TYPE: %d %s %s", code, out, stderr)
	}

	for _, args := range [][]string{
		{"-client-id", "a", "-claim", "client_id=b"},
		{"-typ", ""},
	} {
		if code, _, stderr := runCmd(t, "", nil, append([]string{"token", "-key", key}, args...)...); code != exitUsage {
			t.Errorf("%v: exit %d (%s), want %d", args, code, stderr, exitUsage)
		}
	}
}
