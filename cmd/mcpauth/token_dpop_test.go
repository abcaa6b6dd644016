package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// shellAssignments reads the NAME='value' lines token -dpop prints.
func shellAssignments(t *testing.T, out string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for line := range strings.Lines(out) {
		name, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok || len(v) < 2 || v[0] != '\'' || v[len(v)-1] != '\'' {
			t.Fatalf("not a NAME='value' line: %q", line)
		}
		m[name] = v[1 : len(v)-1]
	}
	return m
}

// TestTokenDPoP: token -dpop prints a DPoP-bound token and a proof that
// serve accepts once, -dpop-token mints further proofs for it, and bash
// reads the output as assignments.
func TestTokenDPoP(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	client := testkeystest.SharedECKeyPair(t)
	dir := t.TempDir()
	issuerKey, clientKey := filepath.Join(dir, "issuer.pem"), filepath.Join(dir, "client.pem")
	if err := os.WriteFile(issuerKey, []byte(kp.PrivateKeyPEM()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(clientKey, []byte(client.PrivateKeyPEM()), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, "serve", pemVars(kp))
	mintArgs := []string{"token", "-key", issuerKey, "-iss", iss, "-aud", ts.mcp(), "-dpop"}

	code, out, stderr := runCmd(t, "", nil, append(mintArgs, "-dpop-key", clientKey)...)
	if code != exitOK || stderr != "" {
		t.Fatalf("token -dpop: %d %s", code, stderr)
	}
	vars := shellAssignments(t, out)
	tok, proof := vars["DPOP_TOKEN"], vars["DPOP_PROOF"]
	if _, claims := tokenParts(t, tok); claims["cnf"].(map[string]any)["jkt"] != client.KeyID() {
		t.Errorf("claims %v, want cnf.jkt %s", claims, client.KeyID())
	}
	if resp, body := doDPoP(t, http.MethodPost, ts.mcp(), tok, proof, whoamiBody); resp.StatusCode != http.StatusOK {
		t.Fatalf("the printed token and proof: %d %s", resp.StatusCode, body)
	}
	if resp, _ := doDPoP(t, http.MethodPost, ts.mcp(), tok, proof, whoamiBody); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the proof used twice: %d, want 401", resp.StatusCode)
	}

	// A new proof for the same token, the token on stdin; htu from -htu.
	code, out, stderr = runCmd(t, tok+"\n", nil, "token", "-dpop", "-dpop-key", clientKey, "-dpop-token", "-", "-htu", ts.mcp())
	if code != exitOK || !strings.HasPrefix(out, "DPOP_PROOF='") || strings.Contains(out, "DPOP_TOKEN") {
		t.Fatalf("-dpop-token: %d %q %s", code, out, stderr)
	}
	if resp, body := doDPoP(t, http.MethodPost, ts.mcp(), tok, shellAssignments(t, out)["DPOP_PROOF"], whoamiBody); resp.StatusCode != http.StatusOK {
		t.Errorf("the new proof: %d %s", resp.StatusCode, body)
	}

	// Without -dpop-key: a key for this run, said on stderr.
	code, out, stderr = runCmd(t, "", nil, mintArgs...)
	if code != exitOK || !strings.Contains(stderr, "good for one request") {
		t.Fatalf("token -dpop without a key: %d %s", code, stderr)
	}
	vars = shellAssignments(t, out)
	if resp, body := doDPoP(t, http.MethodPost, ts.mcp(), vars["DPOP_TOKEN"], vars["DPOP_PROOF"], whoamiBody); resp.StatusCode != http.StatusOK {
		t.Errorf("generated key: %d %s", resp.StatusCode, body)
	}

	// The output is shell: bash's eval reads the same values.
	if bash, err := exec.LookPath("bash"); err == nil {
		got, err := exec.Command(bash, "-c", `eval "$1"; printf '%s %s' "$DPOP_TOKEN" "$DPOP_PROOF"`, "bash", out).Output()
		if err != nil || string(got) != vars["DPOP_TOKEN"]+" "+vars["DPOP_PROOF"] {
			t.Errorf("bash eval: %q, %v", got, err)
		}
	}

	other := testkeystest.SharedEd25519KeyPair(t)
	otherKey := filepath.Join(dir, "other.pem")
	if err := os.WriteFile(otherKey, []byte(other.PrivateKeyPEM()), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"token", "-key", issuerKey, "-htu", ts.mcp()}, "", "-htu needs -dpop"},
		{[]string{"token", "-key", issuerKey, "-dpop-key", clientKey}, "", "-dpop-key needs -dpop"},
		{append(mintArgs, "-htu", ts.mcp()+"?x=1"), "", "has a query or fragment"},
		{append(mintArgs, "-htu", "ftp://mcp.example.com/mcp"), "", "is not an http or https URL"},
		{append(mintArgs, "-htm", "PO ST"), "", `-htm "PO ST" is not an HTTP method`},
		{append(mintArgs, "-claim", `cnf={"jkt":"x"}`), "", "-dpop and -claim cnf=... are both set"},
		{[]string{"token", "-key", issuerKey, "-aud", "api://mcp", "-dpop"}, "", `-htu (default: the first -aud) "api://mcp" is not an http or https URL`},
		{append(mintArgs, "-dpop-key", filepath.Join(dir, "missing.pem")), "", "reading -dpop-key"},
		{[]string{"token", "-dpop", "-dpop-token", "-"}, tok, "-dpop-token needs -dpop-key"},
		{[]string{"token", "-dpop", "-dpop-key", otherKey, "-dpop-token", "-"}, tok, "bound to another key than -dpop-key"},
		{[]string{"token", "-dpop", "-dpop-key", clientKey, "-dpop-token", "-"}, "not-a-jwt", "not a JWT"},
	} {
		code, out, stderr := runCmd(t, tc.stdin, nil, tc.args...)
		if code != exitUsage || out != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %d and %q", tc.args, code, out, stderr, exitUsage, tc.want)
		}
	}
}
