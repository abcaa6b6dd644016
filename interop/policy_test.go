//go:build interop

package interop

// policy_test.go: mcpauth proxy with an operation policy in front of an MCP
// server written with the TypeScript SDK (ts-notes-server.mjs), called over
// real sockets by Go and by the TypeScript SDK client (policy-client.mjs).

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const policyFile = `{
  "tools":     {"delete_notes": ["notes:write"], "*": ["notes:read"]},
  "resources": {"notes://private/*": ["notes:admin"]},
  "methods":   {"tools/list": ["notes:read"]},
  "implies":   {"notes:admin": ["notes:write"], "notes:write": ["notes:read"]}
}`

const policyTokens = `{
  "tok-reader": {"client_id": "reader", "scopes": ["notes:read"]},
  "tok-writer": {"client_id": "writer", "scopes": ["notes:write"]},
  "tok-admin":  {"client_id": "admin",  "scopes": ["notes:admin"]}
}`

// startProxy starts "mcpauth proxy" with env and returns its listen URL.
func startProxy(t *testing.T, env map[string]string) string {
	t.Helper()
	return startMCPAuth(t, "proxy", env)
}

// rpcPost posts a JSON-RPC body as the SDK would, with extra headers.
func rpcPost(t *testing.T, url, token, body string, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, req)
}

// rpcOf returns the JSON-RPC message of a response: the body, or the data
// of the last SSE event.
func rpcOf(t *testing.T, r response) map[string]json.RawMessage {
	t.Helper()
	body := r.body
	if strings.HasPrefix(r.header.Get("Content-Type"), "text/event-stream") {
		var last string
		for _, line := range strings.Split(string(body), "\n") {
			if d, ok := strings.CutPrefix(line, "data: "); ok {
				last = d
			}
		}
		body = []byte(last)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("response %d is not a JSON-RPC message: %v\n%s", r.status, err, r.body)
	}
	return m
}

func TestProxyPolicyWithTypeScriptServer(t *testing.T) {
	var up struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(startNode(t, nil, "ts-notes-server.mjs"), &up); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	base := startProxy(t, map[string]string{
		"MCPAUTH_UPSTREAM":              up.URL + "/mcp",
		"MCPAUTH_STATIC_TOKENS_FILE":    write("tokens.json", policyTokens),
		"MCPAUTH_POLICY_FILE":           write("policy.json", policyFile),
		"MCPAUTH_AUTHORIZATION_SERVERS": up.URL + "/as",
	})
	mcpURL := base + "/mcp"
	metaURL := base + "/.well-known/oauth-protected-resource/mcp"
	call := func(id, name string) string {
		return `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"` + name + `","arguments":{}}}`
	}
	var sent []string // bodies that should have reached the upstream, in order

	t.Run("refused without the scope", func(t *testing.T) {
		r := rpcPost(t, mcpURL, "tok-reader", call(`"d-1"`, "delete_notes"))
		want := `Bearer error="insufficient_scope", error_description="the access token lacks a required scope", scope="notes:write", resource_metadata="` + metaURL + `"`
		if r.status != 403 || r.header.Get("WWW-Authenticate") != want {
			t.Fatalf("%d %s\nwant 403 %s", r.status, r.header.Get("WWW-Authenticate"), want)
		}
		m := rpcOf(t, r)
		if string(m["id"]) != `"d-1"` || !strings.Contains(string(m["error"]), `"code":-32003`) {
			t.Errorf("JSON-RPC error %s", r.body)
		}
	})
	t.Run("allowed with the scope or an implying one", func(t *testing.T) {
		for _, tok := range []string{"tok-writer", "tok-admin"} {
			body := call("2", "delete_notes")
			r := rpcPost(t, mcpURL, tok, body)
			sent = append(sent, body)
			m := rpcOf(t, r)
			if r.status != 200 || m["result"] == nil || !strings.Contains(string(m["result"]), "deleted") {
				t.Errorf("%s: %d %s", tok, r.status, r.body)
			}
		}
	})
	t.Run("batch with one forbidden item", func(t *testing.T) {
		r := rpcPost(t, mcpURL, "tok-reader", "["+call("3", "search_notes")+","+call("4", "delete_notes")+"]")
		if r.status != 403 || challengeParam(r.header.Get("WWW-Authenticate"), "scope") != "notes:read notes:write" {
			t.Errorf("%d %s", r.status, r.header.Get("WWW-Authenticate"))
		}
	})
	t.Run("Mcp-Name disagreeing with the body", func(t *testing.T) {
		r := rpcPost(t, mcpURL, "tok-admin", call("5", "delete_notes"), "Mcp-Method", "tools/call", "Mcp-Name", "search_notes")
		if r.status != 400 || !strings.Contains(string(rpcOf(t, r)["error"]), `"code":-32020`) {
			t.Errorf("%d %s", r.status, r.body)
		}
	})
	t.Run("a header alone never authorizes", func(t *testing.T) {
		// The header names the allowed tool, the body the forbidden one.
		r := rpcPost(t, mcpURL, "tok-reader", call("6", "delete_notes"), "Mcp-Method", "tools/call", "Mcp-Name", "delete_notes")
		if r.status != 403 {
			t.Errorf("%d %s", r.status, r.body)
		}
		r = rpcPost(t, mcpURL, "tok-reader", "", "Mcp-Method", "tools/call", "Mcp-Name", "search_notes")
		if r.status != 400 {
			t.Errorf("headers without a body: %d %s", r.status, r.body)
		}
	})
	t.Run("the upstream receives the exact bytes", func(t *testing.T) {
		odd := "{\"jsonrpc\":\"2.0\" , \"id\": 7,\n \"params\":{\"arguments\":{\"query\":\"caf\\u00e9 \\ud83d\\ude00\"},\"name\":\"search\\u005fnotes\"}, \"method\":\"tools/call\"}"
		r := rpcPost(t, mcpURL, "tok-reader", odd)
		sent = append(sent, odd)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		sr := do(t, mustRequest(t, http.MethodGet, up.URL+"/seen"))
		var seen []string
		if err := json.Unmarshal(sr.body, &seen); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, b := range seen {
			raw, err := base64.StdEncoding.DecodeString(b)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(raw))
		}
		// The SDK client runs below add their own requests; these come first.
		if len(got) < len(sent) || !slices.Equal(got[:len(sent)], sent) {
			t.Errorf("upstream received\n%q\nwant\n%q", got, sent)
		}
	})
	t.Run("SSE responses stream through unbuffered", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, mcpURL, strings.NewReader(call("8", "slow_task")))
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("MCP-Protocol-Version", "2025-11-25")
		req.Header.Set("Authorization", "Bearer tok-reader")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("%d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		br := bufio.NewReader(res.Body)
		event := func() string {
			var data string
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					t.Fatalf("reading the stream: %v", err)
				}
				if line == "\n" && data != "" {
					return data
				}
				if d, ok := strings.CutPrefix(line, "data: "); ok {
					data = strings.TrimSpace(d)
				}
			}
		}
		// The upstream answers only after /release: the notification must
		// arrive before, or the proxy is buffering.
		if first := event(); !strings.Contains(first, "notifications/message") {
			t.Fatalf("first event %s", first)
		}
		do(t, mustRequest(t, http.MethodPost, up.URL+"/release"))
		if second := event(); !strings.Contains(second, "finished") {
			t.Fatalf("second event %s", second)
		}
	})
	t.Run("TypeScript SDK client surfaces the required scope", func(t *testing.T) {
		out := runNode(t, map[string]string{"MCP_URL": mcpURL, "TOKEN": "tok-reader"}, "policy-client.mjs", "forbidden")
		var got struct {
			Search struct {
				OK      bool `json:"ok"`
				IsError bool `json:"isError"`
			} `json:"search"`
			Delete struct {
				OK    bool `json:"ok"`
				Error struct {
					Code    int    `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			} `json:"delete"`
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if !got.Search.OK || got.Search.IsError {
			t.Errorf("search_notes: %s", out)
		}
		// Without an auth provider the SDK throws StreamableHTTPError with
		// the status and the response body, which names the scope.
		if got.Delete.OK || got.Delete.Error.Code != 403 || !strings.Contains(got.Delete.Error.Message, `"scope":"notes:write"`) {
			t.Errorf("delete_notes: %s", out)
		}
	})
	t.Run("TypeScript SDK client steps up with the challenge's scope", func(t *testing.T) {
		out := runNode(t, map[string]string{"MCP_URL": mcpURL, "TOKEN": "tok-reader"}, "policy-client.mjs", "stepup")
		var got struct {
			AuthorizationURL string `json:"authorizationURL"`
			RequestedScope   string `json:"requestedScope"`
			Delete           struct {
				OK    bool `json:"ok"`
				Error struct {
					Name string `json:"name"`
				} `json:"error"`
			} `json:"delete"`
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		// With an OAuth client provider the SDK reads error and scope from
		// WWW-Authenticate and starts an authorization for that scope
		// (here recorded instead of opening a browser).
		if got.Delete.OK || got.RequestedScope != "notes:write" || !strings.HasPrefix(got.AuthorizationURL, up.URL+"/as/authorize?") {
			t.Errorf("step-up: %s", out)
		}
	})
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
