//go:build interop

package interop

// dpop_test.go: DPoP (RFC 9449) end to end. oidc-provider, with
// features.dPoP enabled, issues a DPoP-bound JWT access token (cnf.jkt) for
// the MCP resource to dpop-client.mjs, which proves possession of its key
// with proofs made by jose; the client calls whoami on "mcpauth serve" and
// through "mcpauth proxy", and every way of misusing the token is refused
// with the documented challenge.

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// dpopClient drives dpop-client.mjs: one proof per request, made by jose.
type dpopClient struct {
	Token     string `json:"access_token"`
	TokenType string `json:"token_type"`
	JKT       string `json:"jkt"`
	OtherJKT  string `json:"other_jkt"`

	mu    sync.Mutex
	stdin io.WriteCloser
	lines *bufio.Scanner
}

// startDPoPClient starts dpop-client.mjs, which obtains its token at once.
func startDPoPClient(t *testing.T, env map[string]string) *dpopClient {
	t.Helper()
	cmd := exec.Command("node", "dpop-client.mjs")
	cmd.Env = environ(env)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting dpop-client.mjs: %v", err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("dpop-client.mjs stderr:\n%s", stderr.String())
		}
	})
	c := &dpopClient{stdin: stdin, lines: bufio.NewScanner(stdout)}
	c.lines.Buffer(make([]byte, 64<<10), 1<<20)
	ready := make(chan string, 1)
	go func() {
		if c.lines.Scan() {
			ready <- c.lines.Text()
		}
		close(ready)
	}()
	select {
	case line, ok := <-ready:
		rest, found := strings.CutPrefix(line, "READY ")
		if !ok || !found {
			t.Fatalf("dpop-client.mjs: %q instead of READY; stderr:\n%s", line, stderr.String())
		}
		if err := json.Unmarshal([]byte(rest), c); err != nil {
			t.Fatal(err)
		}
	case <-time.After(startupTimeout):
		t.Fatalf("dpop-client.mjs not ready after %v; stderr:\n%s", startupTimeout, stderr.String())
	}
	return c
}

// proof asks jose for a proof for htm and htu, signed by the client's key
// ("client") or another one ("other"), with ath unless withoutATH.
func (c *dpopClient) proof(t *testing.T, key, htm, htu string, withATH bool) string {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	req, err := json.Marshal(map[string]any{"htm": htm, "htu": htu, "key": key, "ath": withATH})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.stdin.Write(append(req, '\n')); err != nil {
		t.Fatalf("dpop-client.mjs: %v", err)
	}
	if !c.lines.Scan() {
		t.Fatalf("dpop-client.mjs: no proof: %v", c.lines.Err())
	}
	p, ok := strings.CutPrefix(c.lines.Text(), "PROOF ")
	if !ok || strings.Count(p, ".") != 2 {
		t.Fatalf("dpop-client.mjs answered %q", c.lines.Text())
	}
	return p
}

// callWhoamiWith sends the whoami tools/call with an Authorization header
// and DPoP proofs.
func callWhoamiWith(t *testing.T, method, mcpURL, authorization string, proofs ...string) response {
	t.Helper()
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`
	var r io.Reader
	if method == http.MethodPost {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, mcpURL, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	req.Header.Set("Authorization", authorization)
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	return do(t, req)
}

// challenges returns the Bearer and the DPoP challenge of a response.
func challenges(t *testing.T, r response) (bearer, dp string) {
	t.Helper()
	for _, c := range r.header.Values("WWW-Authenticate") {
		switch {
		case strings.HasPrefix(c, "Bearer"):
			bearer = c
		case strings.HasPrefix(c, "DPoP "):
			dp = c
		default:
			t.Fatalf("challenge %q of another scheme", c)
		}
	}
	return bearer, dp
}

// checkDPoPRefusal asserts the documented answer to a refused DPoP
// request: 401, a DPoP challenge with algs, error=wantError and
// resource_metadata, beside a Bearer challenge without error (MCPAUTH_DPOP
// allow offers both schemes), and the same error in the JSON body.
func checkDPoPRefusal(t *testing.T, r response, metaURL, wantError string) {
	t.Helper()
	bearer, dp := challenges(t, r)
	if r.status != http.StatusUnauthorized || dp == "" {
		t.Fatalf("status %d, challenges %q; want 401 with a DPoP challenge", r.status, r.header.Values("WWW-Authenticate"))
	}
	if !strings.HasPrefix(dp, `DPoP algs="`) || !strings.Contains(challengeParam(dp, "algs"), "ES256") {
		t.Errorf("DPoP challenge %q does not start with algs naming ES256", dp)
	}
	if got := challengeParam(dp, "error"); got != wantError {
		t.Errorf("DPoP challenge %q: error=%q; want %q", dp, got, wantError)
	}
	if got := challengeParam(dp, "resource_metadata"); got != metaURL {
		t.Errorf("DPoP challenge %q: resource_metadata=%q; want %q", dp, got, metaURL)
	}
	if bearer == "" || strings.Contains(bearer, "error=") || challengeParam(bearer, "resource_metadata") != metaURL {
		t.Errorf("Bearer challenge %q; want one without error, with resource_metadata", bearer)
	}
	var body struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil || body.Error != wantError {
		t.Errorf("body %s; want error %q", r.body, wantError)
	}
}

func TestDPoPOIDCProvider(t *testing.T) {
	servePort, proxyPort := freePort(t), freePort(t)
	serveBase := "http://127.0.0.1:" + servePort
	proxyBase := "http://127.0.0.1:" + proxyPort
	mcpURL := serveBase + "/mcp"
	otherURL := "http://127.0.0.1:" + freePort(t) + "/other/mcp"

	var op struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
		Client        struct {
			ID     string `json:"client_id"`
			Secret string `json:"client_secret"`
		} `json:"dpop_client"`
	}
	if err := json.Unmarshal(startNode(t, map[string]string{"MCP_URL": mcpURL, "OTHER_URL": otherURL}, "oidc-provider.mjs"), &op); err != nil {
		t.Fatal(err)
	}
	if op.Client.ID == "" {
		t.Fatal("oidc-provider.mjs names no DPoP client")
	}

	// An upstream MCP server for the proxy: whoami answers with the
	// identity the proxy forwards, and the test sees every request.
	var upMu sync.Mutex
	var upSeen []http.Header
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upMu.Lock()
		upSeen = append(upSeen, r.Header.Clone())
		upMu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": 1, "result": map[string]any{
			"structuredContent": map[string]any{
				"client_id": r.Header.Get("X-MCPAuth-Client-ID"),
				"subject":   r.Header.Get("X-MCPAuth-Subject"),
				"issuer":    r.Header.Get("X-MCPAuth-Issuer"),
				"dpop_jkt":  r.Header.Get("X-MCPAuth-DPoP-JKT"),
			},
		}})
	}))
	t.Cleanup(up.Close)

	common := map[string]string{
		"MCPAUTH_JWT_ISSUER":          op.Issuer,
		"MCPAUTH_JWT_AUDIENCE":        mcpURL,
		"MCPAUTH_JWT_REQUIRED_SCOPES": "mcp:tools",
		"MCPAUTH_DPOP":                "allow",
	}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range common {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	if got := startServe(t, with(map[string]string{"MCPAUTH_ADDR": "127.0.0.1:" + servePort, "MCPAUTH_JWT_BASE_URL": serveBase})); got != serveBase {
		t.Fatalf("mcpauth serve listens on %s, want %s", got, serveBase)
	}
	if got := startProxy(t, with(map[string]string{
		"MCPAUTH_ADDR": "127.0.0.1:" + proxyPort, "MCPAUTH_JWT_BASE_URL": proxyBase, "MCPAUTH_UPSTREAM": up.URL + "/mcp",
	})); got != proxyBase {
		t.Fatalf("mcpauth proxy listens on %s, want %s", got, proxyBase)
	}

	client := startDPoPClient(t, map[string]string{
		"TOKEN_ENDPOINT": op.TokenEndpoint, "CLIENT_ID": op.Client.ID, "CLIENT_SECRET": op.Client.Secret,
		"RESOURCE": mcpURL, "SCOPE": "mcp:tools",
	})
	token := client.Token

	t.Run("oidc-provider issued a DPoP-bound JWT", func(t *testing.T) {
		parts := strings.Split(token, ".")
		if client.TokenType != "DPoP" || len(parts) != 3 {
			t.Fatalf("token_type %q, %d segments; want a DPoP-bound JWT", client.TokenType, len(parts))
		}
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		var claims struct {
			Aud any `json:"aud"`
			Cnf struct {
				JKT string `json:"jkt"`
			} `json:"cnf"`
		}
		if err := json.Unmarshal(payload, &claims); err != nil {
			t.Fatal(err)
		}
		if claims.Cnf.JKT != client.JKT || claims.Aud != mcpURL {
			t.Fatalf("cnf.jkt %q aud %v; want the client's key %q and %q", claims.Cnf.JKT, claims.Aud, client.JKT, mcpURL)
		}
	})

	for _, target := range []struct{ name, base string }{{"serve", serveBase}, {"proxy", proxyBase}} {
		url, meta := target.base+"/mcp", target.base+"/.well-known/oauth-protected-resource/mcp"
		t.Run(target.name, func(t *testing.T) {
			accepted := client.proof(t, "client", http.MethodPost, url, true)
			t.Run("whoami with the DPoP scheme and a jose proof", func(t *testing.T) {
				r := callWhoamiWith(t, http.MethodPost, url, "DPoP "+token, accepted)
				if r.status != http.StatusOK {
					t.Fatalf("status %d, WWW-Authenticate %q, body %s", r.status, r.header.Values("WWW-Authenticate"), r.body)
				}
				var rpc struct {
					Result struct {
						StructuredContent struct {
							ClientID string `json:"client_id"`
							Issuer   string `json:"issuer"`
							DPoPJKT  string `json:"dpop_jkt"`
						} `json:"structuredContent"`
					} `json:"result"`
				}
				if err := json.Unmarshal(r.body, &rpc); err != nil {
					t.Fatalf("%v: %s", err, r.body)
				}
				got := rpc.Result.StructuredContent
				if got.ClientID != op.Client.ID || got.Issuer != op.Issuer || got.DPoPJKT != client.JKT {
					t.Fatalf("whoami %+v; want client %q, issuer %q, dpop_jkt %q", got, op.Client.ID, op.Issuer, client.JKT)
				}
			})
			t.Run("the same token with the Bearer scheme", func(t *testing.T) {
				r := callWhoamiWith(t, http.MethodPost, url, "Bearer "+token)
				checkDPoPRefusal(t, r, meta, "invalid_token")
			})
			t.Run("the same token as Bearer beside a valid proof", func(t *testing.T) {
				r := callWhoamiWith(t, http.MethodPost, url, "Bearer "+token, client.proof(t, "client", http.MethodPost, url, true))
				checkDPoPRefusal(t, r, meta, "invalid_token")
			})
			t.Run("a proof of another key", func(t *testing.T) {
				r := callWhoamiWith(t, http.MethodPost, url, "DPoP "+token, client.proof(t, "other", http.MethodPost, url, true))
				checkDPoPRefusal(t, r, meta, "invalid_dpop_proof")
			})
			t.Run("a replayed proof", func(t *testing.T) {
				r := callWhoamiWith(t, http.MethodPost, url, "DPoP "+token, accepted)
				checkDPoPRefusal(t, r, meta, "invalid_dpop_proof")
			})
			t.Run("a proof for another URI", func(t *testing.T) {
				other := serveBase + "/mcp"
				if target.name == "serve" {
					other = proxyBase + "/mcp"
				}
				r := callWhoamiWith(t, http.MethodPost, url, "DPoP "+token, client.proof(t, "client", http.MethodPost, other, true))
				checkDPoPRefusal(t, r, meta, "invalid_dpop_proof")
			})
			t.Run("a proof for another method", func(t *testing.T) {
				r := callWhoamiWith(t, http.MethodPost, url, "DPoP "+token, client.proof(t, "client", http.MethodGet, url, true))
				checkDPoPRefusal(t, r, meta, "invalid_dpop_proof")
			})
			t.Run("a proof without ath", func(t *testing.T) {
				r := callWhoamiWith(t, http.MethodPost, url, "DPoP "+token, client.proof(t, "client", http.MethodPost, url, false))
				checkDPoPRefusal(t, r, meta, "invalid_dpop_proof")
			})
			t.Run("no proof", func(t *testing.T) {
				r := callWhoamiWith(t, http.MethodPost, url, "DPoP "+token)
				checkDPoPRefusal(t, r, meta, "invalid_dpop_proof")
			})
		})
	}

	t.Run("the proxy forwarded the thumbprint, never the token or the proof", func(t *testing.T) {
		upMu.Lock()
		defer upMu.Unlock()
		if len(upSeen) != 1 {
			t.Fatalf("the upstream got %d requests; want only the accepted one", len(upSeen))
		}
		h := upSeen[0]
		if h.Get("Authorization") != "" || h.Get("DPoP") != "" || h.Get("X-MCPAuth-DPoP-JKT") != client.JKT {
			t.Fatalf("upstream headers: Authorization %q, DPoP %q, X-MCPAuth-DPoP-JKT %q", h.Get("Authorization"), h.Get("DPoP"), h.Get("X-MCPAuth-DPoP-JKT"))
		}
	})
}
