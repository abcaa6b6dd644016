package quickstart

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/mcpauth/mcpauth/testkeys"
)

const (
	issuer = "https://auth.example.com"
	scope  = "mcp:tools"
	// listenLiteral is the quick start's listen address, replaced by a free
	// port so that the test never collides with anything on 8080.
	listenLiteral = `"127.0.0.1:8080"`
)

// TestReadmeQuickStart copies the README's Go quick start into a fresh
// module (a replace directive points at this repository), builds and runs
// it on loopback with MCPAUTH_JWT_* variables, and takes the steps of an MCP
// client's discovery with the go-sdk's oauthex package: a request without a
// token gets 401 with resource_metadata; that URL serves an RFC 9728
// document whose resource is the URL the client called
// (oauthex.GetProtectedResourceMetadata checks this, as the go-sdk client
// does) and which names the issuer and the scope; and a token issued for
// that resource then gets through.
func TestReadmeQuickStart(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	src := quickStart(t, filepath.Join(root, "README.md"))
	if strings.Count(src, listenLiteral) != 1 {
		t.Fatalf("the quick start must listen on %s exactly once", listenLiteral)
	}
	addr := freeAddr(t)
	src = strings.Replace(src, listenLiteral, `"`+addr+`"`, 1)
	bin := build(t, root, src)

	key, err := testkeys.GenerateRSAKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + addr
	cmd := exec.Command(bin)
	cmd.Env = []string{
		"MCPAUTH_JWT_BASE_URL=" + base,
		"MCPAUTH_JWT_PUBLIC_KEY=" + key.PublicKeyPEM(),
		"MCPAUTH_JWT_ISSUER=" + issuer,
		"MCPAUTH_JWT_REQUIRED_SCOPES=" + scope,
	}
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	waitListening(t, addr, exited, func() string { return fmt.Sprintf("%v\n%s", waitErr, &logs) })

	// 1. The client calls the MCP endpoint without a token.
	endpoint := base + "/mcp"
	ctx := context.Background()
	resp, err := http.Post(endpoint, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without a token: status %d, want 401", resp.StatusCode)
	}
	challenges, err := oauthex.ParseWWWAuthenticate(resp.Header.Values("WWW-Authenticate"))
	if err != nil {
		t.Fatal(err)
	}
	var metaURL, challengeScope string
	for _, c := range challenges {
		if c.Scheme == "bearer" {
			metaURL, challengeScope = c.Params["resource_metadata"], c.Params["scope"]
		}
	}
	if metaURL == "" || challengeScope != scope {
		t.Fatalf("challenge %q: want a Bearer challenge with resource_metadata and scope %q", resp.Header.Values("WWW-Authenticate"), scope)
	}

	// 2. It fetches the document the challenge names, which must describe
	// the endpoint it called.
	prm, err := oauthex.GetProtectedResourceMetadata(ctx, metaURL, endpoint, http.DefaultClient)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	if !slices.Equal(prm.AuthorizationServers, []string{issuer}) || !slices.Equal(prm.ScopesSupported, []string{scope}) {
		t.Fatalf("metadata: authorization_servers %q scopes_supported %q", prm.AuthorizationServers, prm.ScopesSupported)
	}

	// 3. A token the authorization server issues for that resource works.
	token, err := key.CreateToken(testkeys.TokenOptions{
		Issuer:           prm.AuthorizationServers[0],
		Audience:         []string{prm.Resource},
		Scopes:           prm.ScopesSupported,
		AdditionalClaims: map[string]any{"client_id": "quickstart-client"},
	})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Client string   `json:"client"`
		Scopes []string `json:"scopes"`
	}
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil || got.Client != "quickstart-client" || !slices.Equal(got.Scopes, []string{scope}) {
		t.Fatalf("with a token: status %d, body %+v, %v", resp.StatusCode, got, err)
	}
}

// quickStart returns the first go code block after the "## Go quick start"
// heading of the README.
func quickStart(t *testing.T, readme string) string {
	t.Helper()
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "\n## Go quick start\n")
	if !ok {
		t.Fatal("README.md has no \"## Go quick start\" section")
	}
	_, after, ok = strings.Cut(after, "```go\n")
	if !ok {
		t.Fatal("the quick start has no go code block")
	}
	code, _, ok := strings.Cut(after, "\n```")
	if !ok {
		t.Fatal("the quick start's code block is not closed")
	}
	return code + "\n"
}

// build writes src into a fresh module that uses the repository at root
// through a replace directive and builds it.
func build(t *testing.T, root, src string) string {
	t.Helper()
	dir := t.TempDir()
	gomod := fmt.Sprintf("module quickstart\n\ngo 1.25.0\n\nrequire github.com/mcpauth/mcpauth v0.0.0\n\nreplace github.com/mcpauth/mcpauth => %s\n", root)
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"main.go": []byte(src), "go.mod": []byte(gomod), "go.sum": sum} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "quickstart")
	for _, args := range [][]string{{"mod", "tidy"}, {"build", "-o", bin, "."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return bin
}

// freeAddr returns a loopback address with a port nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitListening waits until the program accepts connections on addr.
// exited is closed when the program ends; report describes how it ended.
func waitListening(t *testing.T, addr string, exited <-chan struct{}, report func() string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			t.Fatalf("the quick start exited: %s", report())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the quick start does not listen on %s", addr)
		}
	}
}
