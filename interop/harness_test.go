//go:build interop

package interop

// harness_test.go: building the mcpauth binary, running node scripts and
// "mcpauth serve" as subprocesses on loopback, and small HTTP helpers.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Timeouts for subprocesses. The machine running CI may be loaded: these
// are upper bounds, not waits.
const (
	scriptTimeout  = 2 * time.Minute  // a one-shot node script
	startupTimeout = 60 * time.Second // until a server prints its ready line
	requestTimeout = 30 * time.Second // one HTTP request
)

// mcpauthBin is the mcpauth binary built by TestMain.
var mcpauthBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if _, err := exec.LookPath("node"); err != nil {
		fmt.Fprintln(os.Stderr, "interop: node is not on PATH:", err)
		return 1
	}
	if _, err := os.Stat(filepath.Join("node_modules", "oidc-provider", "package.json")); err != nil {
		fmt.Fprintln(os.Stderr, "interop: the npm packages are not installed; run `make interop` (npm ci in interop/)")
		return 1
	}
	dir, err := os.MkdirTemp("", "mcpauth-interop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	mcpauthBin = filepath.Join(dir, "mcpauth")
	goBin := "go"
	if v := os.Getenv("GO"); v != "" {
		goBin = v
	}
	build := exec.Command(goBin, "build", "-o", mcpauthBin, "../cmd/mcpauth")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "interop: building mcpauth:", err)
		return 1
	}
	return m.Run()
}

// environ is the test's environment without any MCPAUTH_* or FASTMCP_*
// variable (serve refuses unknown MCPAUTH_* ones), plus extra.
func environ(extra map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "MCPAUTH_") || strings.HasPrefix(kv, "FASTMCP_") {
			continue
		}
		out = append(out, kv)
	}
	for k, v := range extra {
		out = append(out, k+"="+v)
	}
	return out
}

// runNode runs a one-shot node script in this directory and returns its
// stdout; it fails the test when the script fails.
func runNode(t *testing.T, env map[string]string, script string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{script}, args...)...)
	cmd.Env = environ(env)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s %s: %v\nstderr:\n%s", script, strings.Join(args, " "), err, stderr.String())
	}
	t.Logf("node %s %s: %v", script, strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	return stdout.Bytes()
}

// decodeJSON decodes b into a new T or fails the test.
func decodeJSON[T any](t *testing.T, what string, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decoding %s: %v\n%s", what, err, b)
	}
	return v
}

// lockedBuffer collects a subprocess's output while it runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startProcess starts cmd and reads the stream (its stdout or stderr) line
// by line until match returns a non-empty string, which it returns. Every
// line is also kept in the log shown when the test fails. The process is
// stopped (SIGTERM, then SIGKILL) when the test ends; its stdin is a pipe
// held open until then, so that node scripts also exit if the test binary
// dies.
func startProcess(t *testing.T, name string, cmd *exec.Cmd, fromStderr bool, match func(line string) string) string {
	t.Helper()
	var log lockedBuffer
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	if fromStderr {
		cmd.Stderr = pw
		cmd.Stdout = &log
	} else {
		cmd.Stdout = pw
		cmd.Stderr = &log
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		pw.Close()
		close(exited)
	}()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			log.Write([]byte(line + "\n"))
			if !sent {
				if v := match(line); v != "" {
					found <- v
					sent = true
				}
			}
		}
		io.Copy(io.Discard, pr)
	}()
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, log.String())
		}
	})
	select {
	case v := <-found:
		return v
	case <-exited:
		t.Fatalf("%s exited before it was ready (%v):\n%s", name, cmd.ProcessState, log.String())
	case <-time.After(startupTimeout):
		t.Fatalf("%s not ready after %v:\n%s", name, startupTimeout, log.String())
	}
	return ""
}

// startNode starts a long-running node script that prints "READY {json}"
// on stdout and returns the JSON.
func startNode(t *testing.T, env map[string]string, script string) []byte {
	t.Helper()
	cmd := exec.Command("node", script)
	cmd.Env = environ(env)
	ready := startProcess(t, "node "+script, cmd, false, func(line string) string {
		if rest, ok := strings.CutPrefix(line, "READY "); ok {
			return rest
		}
		return ""
	})
	return []byte(ready)
}

// startServe starts "mcpauth serve" with env (MCPAUTH_ADDR defaults to a
// random loopback port) and returns its listen URL, read from its
// "mcpauth: listening" log line.
func startServe(t *testing.T, env map[string]string) string {
	t.Helper()
	return startMCPAuth(t, "serve", env)
}

// startMCPAuth starts "mcpauth <command>" (serve or proxy) as startServe
// describes.
func startMCPAuth(t *testing.T, command string, env map[string]string) string {
	t.Helper()
	e := map[string]string{"MCPAUTH_ADDR": "127.0.0.1:0", "MCPAUTH_LOG_LEVEL": "info"}
	for k, v := range env {
		e[k] = v
	}
	cmd := exec.Command(mcpauthBin, command)
	cmd.Env = environ(e)
	return startProcess(t, "mcpauth "+command, cmd, true, func(line string) string {
		if !strings.Contains(line, `msg="mcpauth: listening"`) {
			return ""
		}
		for _, f := range strings.Fields(line) {
			if u, ok := strings.CutPrefix(f, "url="); ok {
				return u
			}
		}
		return ""
	})
}

// runVerify runs "mcpauth verify" with env, args and token on stdin, and returns
// its exit code, stdout and stderr.
func runVerify(t *testing.T, env map[string]string, token string, args ...string) (int, []byte, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, mcpauthBin, append([]string{"verify"}, args...)...)
	cmd.Env = environ(env)
	cmd.Stdin = strings.NewReader(token)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.Bytes(), stderr.String()
	case errors.As(err, &ee) && ee.Exited():
		return ee.ExitCode(), stdout.Bytes(), stderr.String()
	default:
		t.Fatalf("mcpauth verify: %v\n%s", err, stderr.String())
		return -1, nil, ""
	}
}

// freePort returns a loopback port that was free a moment ago, for a
// server whose URL must be known before it starts (the resource URL that
// the authorization server puts in its tokens' aud).
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

var httpClient = &http.Client{Timeout: requestTimeout}

// response is an HTTP response read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: body}
}

// callWhoami sends a JSON-RPC tools/call for whoami, as the demo's curl
// line does, without initialize (the server is stateless).
func callWhoami(t *testing.T, mcpURL, token string) response {
	t.Helper()
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`
	req, err := http.NewRequest(http.MethodPost, mcpURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return do(t, req)
}

// whoamiResult is the whoami tool's structured content (and the JSON form
// of mcpauth.AccessToken printed by mcpauth verify).
type whoamiResult struct {
	ClientID  string         `json:"client_id"`
	Subject   string         `json:"subject"`
	Scopes    []string       `json:"scopes"`
	ExpiresAt *int64         `json:"expires_at"`
	Issuer    string         `json:"issuer"`
	Audience  []string       `json:"audience"`
	Claims    map[string]any `json:"claims"`
}

// whoamiFromRPC extracts the structured content of a tools/call response.
func whoamiFromRPC(t *testing.T, body []byte) whoamiResult {
	t.Helper()
	var rpc struct {
		Result *struct {
			IsError           bool         `json:"isError"`
			StructuredContent whoamiResult `json:"structuredContent"`
		} `json:"result"`
		Error any `json:"error"`
	}
	if err := json.Unmarshal(body, &rpc); err != nil {
		t.Fatalf("decoding the JSON-RPC response: %v\n%s", err, body)
	}
	if rpc.Result == nil || rpc.Result.IsError || rpc.Error != nil {
		t.Fatalf("tools/call whoami failed: %s", body)
	}
	return rpc.Result.StructuredContent
}

// challengeParam returns a parameter of a Bearer WWW-Authenticate
// challenge (quoted values only, as mcpauth writes them).
func challengeParam(header, name string) string {
	i := strings.Index(header, name+`="`)
	if i < 0 {
		return ""
	}
	rest := header[i+len(name)+2:]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return rest[:j]
}
