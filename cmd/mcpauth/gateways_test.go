package main

// Real gateways in front of a real MCP server through a built "mcpauth
// authz" process: nginx (auth_request) and Caddy (forward_auth), each
// configured from its snippet in README.md, read from the file at test time
// so that the README cannot drift from what is tested. nginx, its
// headers-more module and Caddy come from Debian (nginx,
// libnginx-mod-http-headers-more-filter, caddy; .ci/run installs them); a
// missing one fails the test in CI and skips it elsewhere, as for Tomcat and
// hypercorn (upstreams_test.go).

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

const (
	gatewayInstallHint = "apt-get install -y nginx libnginx-mod-http-headers-more-filter caddy (.ci/run does)"
	// headersMoreModule is where Debian's libnginx-mod-http-headers-more-filter
	// installs the module the README's nginx configuration uses.
	headersMoreModule = "/usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so"
	// The README's example addresses, replaced by the test's.
	readmeAuthzAddr  = "127.0.0.1:8081"
	readmeServerAddr = "127.0.0.1:9000"
	readmeHost       = "mcp.example.com"
	gatewayTimeout   = 20 * time.Second
)

// requireInstalled fails the test when err says a program is missing in
// CI, and skips it elsewhere; any other error fails it.
func requireInstalled(t *testing.T, name string, err error, hint string) {
	t.Helper()
	if err == nil {
		return
	}
	if errors.Is(err, errNotInstalled) && !inCI() {
		t.Skipf("%s: %v; install with %s", name, err, hint)
	}
	t.Fatalf("%s: %v (install with %s)", name, err, hint)
}

// findProgram returns the first of paths that exists, else name on PATH.
func findProgram(name string, paths ...string) (string, error) {
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, errNotInstalled)
	}
	return p, nil
}

// mcpauthBinary is cmd/mcpauth built once per test binary; TestMain
// removes it.
var mcpauthBinary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// builtMcpauth returns the path of the built mcpauth binary.
func builtMcpauth(t *testing.T) string {
	t.Helper()
	mcpauthBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "mcpauth-bin-")
		if err != nil {
			mcpauthBinary.err = err
			return
		}
		mcpauthBinary.dir = dir
		mcpauthBinary.path = filepath.Join(dir, "mcpauth")
		if out, err := exec.Command("go", "build", "-o", mcpauthBinary.path, ".").CombinedOutput(); err != nil {
			mcpauthBinary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if mcpauthBinary.err != nil {
		t.Fatal(mcpauthBinary.err)
	}
	return mcpauthBinary.path
}

func removeMcpauthBinary() {
	if mcpauthBinary.dir != "" {
		os.RemoveAll(mcpauthBinary.dir)
	}
}

// process is a program the test started; stop ends it and waits.
type process struct {
	cmd    *exec.Cmd
	logs   *syncBuffer
	exited chan struct{}
}

// startProcess starts cmd with its output in logs; the process is killed
// when the test ends (and by the kernel if the test binary dies).
func startProcess(t *testing.T, cmd *exec.Cmd) *process {
	t.Helper()
	p := &process{cmd: cmd, logs: &syncBuffer{}, exited: make(chan struct{})}
	if cmd.Stdout == nil {
		cmd.Stdout = p.logs
	}
	if cmd.Stderr == nil {
		cmd.Stderr = p.logs
	}
	dieWithTests(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	go func() {
		cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// listenLine is the log line with which serve, proxy and authz say they
// answer requests.
var listenLine = regexp.MustCompile(`msg="mcpauth: listening".* url=(\S+)`)

// startAuthzProcess runs the built "mcpauth authz" on a free loopback port
// with vars (plus the base URL) and returns its URL.
func startAuthzProcess(t *testing.T, vars map[string]string) string {
	t.Helper()
	cmd := exec.Command(builtMcpauth(t), "authz")
	cmd.Dir = t.TempDir() // no .env
	cmd.Env = []string{"PATH=/usr/bin:/bin", envAddr + "=127.0.0.1:0", envBaseURL + "=" + authzBase}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := startProcess(t, cmd)
	url := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			fmt.Fprintln(p.logs, sc.Text())
			if m := listenLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case url <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case u := <-url:
		return u
	case <-p.exited:
		t.Fatalf("mcpauth authz exited before listening:\n%s", p.logs.String())
	case <-time.After(gatewayTimeout):
		t.Fatalf("mcpauth authz did not listen within %v:\n%s", gatewayTimeout, p.logs.String())
	}
	return ""
}

// seenRequest is a request that reached the MCP server.
type seenRequest struct {
	method, path string
	header       http.Header
}

// mcpServer is a go-sdk MCP server (stateless, JSON responses) on
// 127.0.0.1 whose whoami tool answers the identity headers it received;
// every request that reaches it is recorded.
type mcpServer struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []seenRequest
}

func newMCPServer(t *testing.T) *mcpServer {
	t.Helper()
	server := mcp.NewServer(&mcp.Implementation{Name: "behind-the-gateway", Version: "1"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "whoami"}, func(_ context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, map[string]any, error) {
		out := map[string]any{}
		for _, name := range identityHeaderNames {
			out[name] = req.Extra.Header.Values(name)
		}
		return nil, out, nil
	})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true})
	s := &mcpServer{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.seen = append(s.seen, seenRequest{r.Method, r.URL.Path, r.Header.Clone()})
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *mcpServer) requests() []seenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.seen)
}

// readmeBlock returns the first fenced block of lang after the heading
// line in README.md.
func readmeBlock(t *testing.T, heading, lang string) string {
	t.Helper()
	readme := readREADME(t)
	_, after, ok := strings.Cut(readme, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no heading %q", heading)
	}
	_, block, ok := strings.Cut(after, "\n```"+lang+"\n")
	if !ok {
		t.Fatalf("README.md has no ```%s block after %q", lang, heading)
	}
	block, _, ok = strings.Cut(block, "\n```\n")
	if !ok {
		t.Fatalf("README.md: the ```%s block after %q does not end", lang, heading)
	}
	return block + "\n"
}

// withAddresses replaces the README's example addresses in config: each
// must occur.
func withAddresses(t *testing.T, config string, pairs ...string) string {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(config, pairs[i]) {
			t.Fatalf("the README's configuration lacks %q:\n%s", pairs[i], config)
		}
		config = strings.ReplaceAll(config, pairs[i], pairs[i+1])
	}
	return config
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// startGateway starts a gateway (start builds its command for a port and
// returns it) and waits until the metadata route answers 200 through it.
// A start that lost its port to another program is retried.
func startGateway(t *testing.T, name string, start func(port string) *exec.Cmd) string {
	t.Helper()
	for attempt := 0; ; attempt++ {
		port := freePort(t)
		p := startProcess(t, start(port))
		base := "http://127.0.0.1:" + port
		deadline := time.Now().Add(gatewayTimeout)
		client := &http.Client{Timeout: 2 * time.Second}
		for {
			select {
			case <-p.exited:
				if strings.Contains(p.logs.String(), "in use") && attempt < 3 {
					break
				}
				t.Fatalf("%s exited: %v\n%s", name, p.cmd.ProcessState, p.logs.String())
			default:
				resp, err := client.Get(base + "/.well-known/oauth-protected-resource/mcp")
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						return base
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s did not answer within %v (%v):\n%s", name, gatewayTimeout, err, p.logs.String())
				}
				time.Sleep(50 * time.Millisecond)
				continue
			}
			break // port lost: next attempt
		}
	}
}

// startNginx runs nginx with the README's configuration in front of authz
// and the MCP server.
func startNginx(t *testing.T, authzAddr, serverAddr string) string {
	t.Helper()
	bin, err := findProgram("nginx", "/usr/sbin/nginx")
	requireInstalled(t, "nginx", err, gatewayInstallHint)
	if _, err := os.Stat(headersMoreModule); err != nil {
		requireInstalled(t, "nginx headers-more module", fmt.Errorf("%s: %w", headersMoreModule, errNotInstalled), gatewayInstallHint)
	}
	snippet := readmeBlock(t, "### nginx", "nginx")
	dir := t.TempDir()
	return startGateway(t, "nginx", func(port string) *exec.Cmd {
		conf := "load_module " + headersMoreModule + ";\n" +
			"events { worker_connections 64; }\n" +
			"http {\n" +
			"access_log off;\n" +
			"client_body_temp_path " + dir + "/body; proxy_temp_path " + dir + "/proxy;\n" +
			"fastcgi_temp_path " + dir + "/fastcgi; uwsgi_temp_path " + dir + "/uwsgi; scgi_temp_path " + dir + "/scgi;\n" +
			withAddresses(t, snippet,
				readmeAuthzAddr, authzAddr,
				readmeServerAddr, serverAddr,
				"listen 80;", "listen 127.0.0.1:"+port+";") +
			"}\n"
		file := filepath.Join(dir, "nginx.conf")
		if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		return exec.Command(bin, "-p", dir, "-c", file, "-e", filepath.Join(dir, "error.log"),
			"-g", "daemon off; master_process off; pid "+filepath.Join(dir, "nginx.pid")+";")
	})
}

// startCaddy runs Caddy with the README's Caddyfile in front of authz and
// the MCP server.
func startCaddy(t *testing.T, authzAddr, serverAddr string) string {
	t.Helper()
	bin, err := findProgram("caddy", "/usr/bin/caddy")
	requireInstalled(t, "caddy", err, gatewayInstallHint)
	snippet := readmeBlock(t, "### Caddy", "caddyfile")
	dir := t.TempDir()
	return startGateway(t, "caddy", func(port string) *exec.Cmd {
		conf := "{\n\tadmin off\n\tstorage file_system " + filepath.Join(dir, "data") + "\n}\n" +
			withAddresses(t, snippet,
				readmeAuthzAddr, authzAddr,
				readmeServerAddr, serverAddr,
				readmeHost+" {", "http://127.0.0.1:"+port+" {")
		file := filepath.Join(dir, "Caddyfile")
		if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "run", "--config", file, "--adapter", "caddyfile")
		cmd.Dir = dir
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "XDG_DATA_HOME=" + dir, "XDG_CONFIG_HOME=" + dir}
		return cmd
	})
}

func TestGatewayNginx(t *testing.T) {
	testGateway(t, startNginx)
}

func TestGatewayCaddy(t *testing.T) {
	testGateway(t, startCaddy)
}

// dpopChallenge starts the DPoP challenge of authz's default
// configuration (MCPAUTH_DPOP=allow, every asymmetric algorithm).
const dpopChallenge = `DPoP algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519", `

// rawHeader is one header sent with its name exactly as written.
type rawHeader struct{ name, value string }

// spoofed are identity headers a client sends in every letter case and
// spelling, and names authz does not set.
var spoofed = []rawHeader{
	{"X-MCPAuth-Subject", "admin"},
	{"x-mcpauth-client-id", "evil"},
	{"X-MCPAUTH-SCOPES", "admin"},
	{"X_MCPAuth_Issuer", "https://evil.example.com"},
	{"X-MCPAuth_Expires-At", "9999999999"},
	{"X-MCPAuth-DPoP-JKT", "spoofed"},
	{"X-Mcpauth-Role", "root"},
}

// gatewayAnswer is what a client got.
type gatewayAnswer struct {
	status int
	header http.Header
	body   string
}

// send sends method to url with the token (if any) and the headers with
// their names as written.
func send(t *testing.T, method, url, token, body string, headers ...rawHeader) gatewayAnswer {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
	}
	for _, h := range headers {
		req.Header[h.name] = append(req.Header[h.name], h.value) // not canonicalized
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return gatewayAnswer{resp.StatusCode, resp.Header, string(b)}
}

// askAuthz asks authz directly about a POST to rawURI with token, as a
// gateway would.
func askAuthz(t *testing.T, authzURL, token, rawURI string) gatewayAnswer {
	t.Helper()
	return send(t, http.MethodGet, authzURL+"/check", token, "",
		rawHeader{"X-Original-Method", http.MethodPost}, rawHeader{"X-Original-URI", rawURI})
}

// testGateway runs one gateway, started by start in front of a built
// authz and a Go MCP server, through a JWK Set outage, accepted and
// refused requests, spoofed identity headers and the metadata route.
func testGateway(t *testing.T, start func(t *testing.T, authzAddr, serverAddr string) string) {
	kp := testkeystest.SharedRSAKeyPair(t)
	jwks := testkeystest.NewJWKSServer(t, kp)
	jwks.SetDown(true) // authz starts without keys
	authzURL := startAuthzProcess(t, jwksVars(jwks, envScopes, "mcp:tools", envJWKSRateLimit, "20ms", envJWKSTimeout, "2s"))
	server := newMCPServer(t)
	gw := start(t, strings.TrimPrefix(authzURL, "http://"), strings.TrimPrefix(server.srv.URL, "http://"))

	full := mintAuthz(t, kp, testkeys.TokenOptions{
		Subject:          "alice",
		Scopes:           []string{"mcp:tools", "read"},
		AdditionalClaims: map[string]any{"client_id": "app-1"},
	})

	// No keys yet: 503 with Retry-After, authz's answer as it is.
	outage := send(t, http.MethodPost, gw+mcpPath, full, whoamiBody)
	if outage.status != http.StatusServiceUnavailable || outage.header.Get("Retry-After") == "" {
		t.Fatalf("JWK Set down: %d Retry-After %q %s", outage.status, outage.header.Get("Retry-After"), outage.body)
	}
	sameAnswer(t, "JWK Set down", outage, askAuthz(t, authzURL, full, mcpPath))
	if n := len(server.requests()); n != 0 {
		t.Fatalf("the MCP server was reached %d times during the outage", n)
	}
	jwks.SetDown(false)
	time.Sleep(30 * time.Millisecond) // past the refetch rate limit

	t.Run("accepted", func(t *testing.T) {
		before := len(server.requests())
		got := send(t, http.MethodPost, gw+mcpPath, full, whoamiBody, spoofed...)
		if got.status != http.StatusOK {
			t.Fatalf("whoami: %d %s", got.status, got.body)
		}
		exp := tokenExp(t, full)
		want := map[string]string{
			headerClientID: "app-1", headerSubject: "alice", headerScopes: "mcp:tools read",
			headerIssuer: iss, headerExpiresAt: exp, headerDPoPJKT: "",
		}
		checkWhoami(t, got.body, want)
		seen := server.requests()[before:]
		if len(seen) != 1 || seen[0].method != http.MethodPost || seen[0].path != mcpPath {
			t.Fatalf("the MCP server saw %+v, want one POST %s", seen, mcpPath)
		}
		checkReceivedIdentity(t, seen[0].header, want)
	})

	t.Run("token without sub", func(t *testing.T) {
		bare := mintAuthz(t, kp, testkeys.TokenOptions{
			Scopes:           []string{"mcp:tools"},
			AdditionalClaims: map[string]any{"client_id": "app-2"},
			OmitClaims:       []string{"sub"},
		})
		before := len(server.requests())
		got := send(t, http.MethodPost, gw+mcpPath, bare, whoamiBody, spoofed...)
		if got.status != http.StatusOK {
			t.Fatalf("whoami: %d %s", got.status, got.body)
		}
		want := map[string]string{headerClientID: "app-2", headerSubject: "", headerScopes: "mcp:tools",
			headerIssuer: iss, headerExpiresAt: tokenExp(t, bare), headerDPoPJKT: ""}
		seen := server.requests()[before:]
		if len(seen) != 1 {
			t.Fatalf("the MCP server saw %d requests", len(seen))
		}
		checkReceivedIdentity(t, seen[0].header, want)
	})

	t.Run("DPoP-bound token", func(t *testing.T) {
		client := testkeystest.SharedECKeyPair(t)
		tok := mintAuthz(t, kp, testkeys.TokenOptions{
			Scopes:           []string{"mcp:tools"},
			AdditionalClaims: map[string]any{"client_id": "app-3", "cnf": testkeys.DPoPConfirmation(client)},
		})
		proof, err := testkeys.CreateDPoPProof(client, testkeys.DPoPProofOptions{Method: http.MethodPost, URL: authzBase + mcpPath, AccessToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		before := len(server.requests())
		got := send(t, http.MethodPost, gw+mcpPath, "", whoamiBody,
			append([]rawHeader{{"Authorization", "DPoP " + tok}, {"DPoP", proof}}, spoofed...)...)
		if got.status != http.StatusOK {
			t.Fatalf("whoami: %d %q %s", got.status, got.header.Values("WWW-Authenticate"), got.body)
		}
		want := map[string]string{headerClientID: "app-3", headerSubject: testkeys.DefaultSubject, headerScopes: "mcp:tools",
			headerIssuer: iss, headerExpiresAt: tokenExp(t, tok), headerDPoPJKT: client.KeyID()}
		checkWhoami(t, got.body, want)
		seen := server.requests()[before:]
		if len(seen) != 1 {
			t.Fatalf("the MCP server saw %d requests", len(seen))
		}
		checkReceivedIdentity(t, seen[0].header, want)
		if v := seen[0].header.Values("DPoP"); len(v) != 0 {
			t.Errorf("the MCP server received the DPoP proof")
		}

		// A proven token without the required scope: step-up, as for Bearer.
		narrow := mintAuthz(t, kp, testkeys.TokenOptions{
			Scopes:           []string{"read"},
			AdditionalClaims: map[string]any{"cnf": testkeys.DPoPConfirmation(client)},
		})
		proof, err = testkeys.CreateDPoPProof(client, testkeys.DPoPProofOptions{Method: http.MethodPost, URL: authzBase + mcpPath, AccessToken: narrow})
		if err != nil {
			t.Fatal(err)
		}
		got = send(t, http.MethodPost, gw+mcpPath, "", whoamiBody, rawHeader{"Authorization", "DPoP " + narrow}, rawHeader{"DPoP", proof})
		if ch := got.header.Values("WWW-Authenticate"); got.status != http.StatusForbidden || len(ch) != 2 ||
			!strings.Contains(ch[1], `error="insufficient_scope"`) || !strings.HasPrefix(ch[1], "DPoP ") {
			t.Errorf("without the scope: %d %q %s", got.status, ch, got.body)
		}
		if n := len(server.requests()) - before; n != 1 {
			t.Errorf("a refused request reached the MCP server")
		}
	})

	t.Run("refused", func(t *testing.T) {
		other, err := testkeys.GenerateRSAKeyPair()
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name, token, uri string
			status           int
			challenge        string // the exact WWW-Authenticate; "" for none
			code             string
		}{
			{"no token", "", mcpPath, 401, `Bearer scope="mcp:tools", ` + wantMetadata, "invalid_token"},
			{"wrong key", mintAuthz(t, other, testkeys.TokenOptions{Scopes: []string{"mcp:tools"}}), mcpPath, 401,
				`Bearer error="invalid_token", error_description="the access token is invalid", scope="mcp:tools", ` + wantMetadata, "invalid_token"},
			{"missing scope", mintAuthz(t, kp, testkeys.TokenOptions{Scopes: []string{"read"}}), mcpPath, 403,
				`Bearer error="insufficient_scope", error_description="the access token lacks a required scope", scope="mcp:tools", ` + wantMetadata, "insufficient_scope"},
			{"encoded dot segment", full, "/mcp/%2e%2e/admin", 400, "", "invalid_request"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := len(server.requests())
				got := send(t, http.MethodPost, gw+tc.uri, tc.token, whoamiBody, spoofed...)
				if got.status != tc.status {
					t.Fatalf("%d, want %d: %s", got.status, tc.status, got.body)
				}
				// Both schemes: Bearer, and DPoP (MCPAUTH_DPOP=allow).
				if ch, want := got.header.Values("WWW-Authenticate"), []string{tc.challenge, dpopChallenge + strings.TrimPrefix(tc.challenge, "Bearer ")}; tc.challenge != "" && !slices.Equal(ch, want) {
					t.Errorf("WWW-Authenticate = %q\nwant %q", ch, want)
				}
				var e struct {
					Error       string `json:"error"`
					Description string `json:"error_description"`
				}
				if err := json.Unmarshal([]byte(got.body), &e); err != nil || e.Error != tc.code || e.Description == "" {
					t.Errorf("body %q, want the JSON error %q", got.body, tc.code)
				}
				sameAnswer(t, tc.name, got, askAuthz(t, authzURL, tc.token, tc.uri))
				if n := len(server.requests()) - before; n != 0 {
					t.Errorf("a refused request reached the MCP server (%d)", n)
				}
			})
		}
	})

	t.Run("metadata", func(t *testing.T) {
		for _, p := range []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"} {
			got := send(t, http.MethodGet, gw+p, "", "")
			var doc struct {
				Resource             string   `json:"resource"`
				AuthorizationServers []string `json:"authorization_servers"`
			}
			if got.status != 200 || json.Unmarshal([]byte(got.body), &doc) != nil || doc.Resource != authzBase+mcpPath ||
				!slices.Equal(doc.AuthorizationServers, []string{iss}) {
				t.Errorf("%s: %d %s", p, got.status, got.body)
			}
		}
	})
}

// sameAnswer fails unless the gateway relayed authz's answer: status,
// challenge, Retry-After, content type and body.
func sameAnswer(t *testing.T, name string, got, direct gatewayAnswer) {
	t.Helper()
	if got.status != direct.status || got.body != direct.body {
		t.Errorf("%s: the gateway answered %d %q, authz %d %q", name, got.status, got.body, direct.status, direct.body)
	}
	for _, h := range []string{"WWW-Authenticate", "Retry-After", "Content-Type"} {
		if g, d := got.header.Values(h), direct.header.Values(h); !slices.Equal(g, d) {
			t.Errorf("%s: %s through the gateway %q, from authz %q", name, h, g, d)
		}
	}
	for _, name := range identityHeaderNames {
		if v := got.header.Values(name); len(v) != 0 {
			t.Errorf("the refusal carries %s %q", name, v)
		}
	}
}

// checkReceivedIdentity fails unless h (what the MCP server received) has exactly
// the identity in want (an empty value: the header absent or empty), no
// other header with the identity prefix in any spelling, and no
// Authorization.
func checkReceivedIdentity(t *testing.T, h http.Header, want map[string]string) {
	t.Helper()
	for k, vs := range h {
		if !isIdentityHeader(k) {
			continue
		}
		i := slices.IndexFunc(identityHeaderNames, func(n string) bool { return http.CanonicalHeaderKey(n) == k })
		if i < 0 {
			t.Errorf("the MCP server received %s: %q", k, vs)
			continue
		}
		if len(vs) != 1 || vs[0] != want[identityHeaderNames[i]] {
			t.Errorf("the MCP server received %s: %q, want [%q]", k, vs, want[identityHeaderNames[i]])
		}
	}
	for name, v := range want {
		if v != "" && h.Get(name) != v {
			t.Errorf("the MCP server did not receive %s: %q", name, v)
		}
	}
	if v := h.Values("Authorization"); len(v) != 0 {
		t.Errorf("the MCP server received the Authorization header")
	}
}

// checkWhoami fails unless the whoami result names the identity in want
// (an empty value: absent or empty).
func checkWhoami(t *testing.T, body string, want map[string]string) {
	t.Helper()
	var rpc struct {
		Result struct {
			StructuredContent map[string][]string `json:"structuredContent"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(body), &rpc); err != nil || rpc.Result.StructuredContent == nil {
		t.Fatalf("whoami answered %s (%v)", body, err)
	}
	for name, v := range want {
		got := rpc.Result.StructuredContent[name]
		if v == "" && len(got) == 0 {
			continue // nginx sends no header for an empty value
		}
		if !slices.Equal(got, []string{v}) {
			t.Errorf("whoami: %s = %q, want [%q]", name, got, v)
		}
	}
}

// tokenExp returns the token's exp claim in Unix seconds.
func tokenExp(t *testing.T, tok string) string {
	t.Helper()
	_, claims := tokenParts(t, tok)
	exp, ok := claims["exp"].(float64)
	if !ok {
		t.Fatalf("token without exp: %v", claims)
	}
	return fmt.Sprintf("%d", int64(exp))
}
