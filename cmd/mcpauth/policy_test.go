package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/policy"
)

// notesPolicyFile is the policy of the Fixed interface example.
const notesPolicyFile = `{
  "tools":     {"delete_notes": ["notes:write"], "*": ["notes:read"]},
  "resources": {"notes://private/*": ["notes:admin"], "notes://public/readme": []},
  "prompts":   {"summarize": ["notes:read"]},
  "methods":   {"tools/list": ["notes:read"]},
  "implies":   {"notes:admin": ["notes:write"], "notes:write": ["notes:read"]}
}`

// notesStaticTokens grant the notes scopes; every token has mcp, the
// server's required scope.
const notesStaticTokens = `{
  "tok-basic":  {"client_id": "basic",  "scopes": ["mcp"]},
  "tok-reader": {"client_id": "reader", "scopes": ["mcp", "notes:read"]},
  "tok-writer": {"client_id": "writer", "scopes": ["mcp", "notes:write"]},
  "tok-admin":  {"client_id": "admin",  "scopes": ["mcp", "notes:admin"]},
  "tok-nomcp":  {"client_id": "nomcp",  "scopes": ["notes:admin"]}
}`

// writeTemp writes content to a new file and returns its path.
func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPolicyVariablesErrors(t *testing.T) {
	dir := t.TempDir()
	bad := writeTemp(t, "bad.json", `{"tools":{"a":["notes write"]}}`)
	unknown := writeTemp(t, "unknown.json", `{"tool":{}}`)
	cycle := writeTemp(t, "cycle.json", `{"implies":{"a":["b"],"b":["a"]}}`)
	good := writeTemp(t, "good.json", notesPolicyFile)
	missing := filepath.Join(dir, "missing.json")
	for _, tt := range []struct {
		name string
		vars map[string]string
		want []string
	}{
		{"unreadable file", map[string]string{envPolicyFile: missing}, []string{envPolicyFile, missing, "no such file"}},
		{"malformed scope", map[string]string{envPolicyFile: bad}, []string{envPolicyFile, bad, `scope "notes write"`}},
		{"unknown key", map[string]string{envPolicyFile: unknown}, []string{envPolicyFile, unknown, `unknown key "tool"`}},
		{"cycle", map[string]string{envPolicyFile: cycle}, []string{cycle, "implies has a cycle"}},
		{"deny without file", map[string]string{envPolicyDenyUnlisted: "true"}, []string{envPolicyDenyUnlisted, envPolicyFile}},
		{"deny not a bool", map[string]string{envPolicyFile: good, envPolicyDenyUnlisted: "yes please"}, []string{envPolicyDenyUnlisted, `"yes please"`}},
		{"bad prefix", map[string]string{envScopePrefix: "api://a b/"}, []string{envScopePrefix, "WithScopePrefix"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, command := range []string{"serve", "proxy"} {
				vars := map[string]string{envStaticTokens: writeTemp(t, "tokens.json", notesStaticTokens)}
				if command == "proxy" {
					vars[envUpstream] = "http://127.0.0.1:1/mcp"
				}
				for k, v := range tt.vars {
					vars[k] = v
				}
				_, err := configFromEnv(command, vars, "", "")
				if err == nil {
					t.Fatalf("%s: configFromEnv accepted %v", command, tt.vars)
				}
				for _, w := range tt.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("%s: error %q does not name %q", command, err, w)
					}
				}
			}
		})
	}
	// The command itself stops with exit 2 and the message.
	code, _, stderr := runCmd(t, "", []string{envStaticTokens + "=" + writeTemp(t, "tokens.json", notesStaticTokens), envPolicyFile + "=" + unknown}, "serve")
	if code != exitUsage || !strings.Contains(stderr, unknown) || !strings.Contains(stderr, `unknown key "tool"`) {
		t.Errorf("serve with a bad policy file: exit %d, stderr %q", code, stderr)
	}
}

// rpcResponse is a JSON-RPC response, success or error.
type rpcResponse struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code int `json:"code"`
		Data struct {
			Scope string `json:"scope"`
		} `json:"data"`
	} `json:"error"`
}

// postRPC posts body to endpoint and decodes a single JSON-RPC response.
func postRPC(t *testing.T, endpoint, token, body string, header ...string) (*http.Response, rpcResponse) {
	t.Helper()
	resp, text := do(t, http.MethodPost, endpoint, token, body, header...)
	var r rpcResponse
	if strings.HasPrefix(text, "[") {
		var all []rpcResponse
		if err := json.Unmarshal([]byte(text), &all); err != nil || len(all) == 0 {
			t.Fatalf("batch response %q: %v", text, err)
		}
		r = all[0]
	} else if err := json.Unmarshal([]byte(text), &r); err != nil && resp.StatusCode != http.StatusForbidden {
		// Only the middleware's own 403 (a required scope) has an OAuth
		// error body rather than a JSON-RPC one.
		t.Fatalf("response %d %q is not JSON-RPC: %v", resp.StatusCode, text, err)
	}
	return resp, r
}

func rpcCall(id, method, params string) string {
	return `{"jsonrpc":"2.0","id":` + id + `,"method":"` + method + `","params":` + params + `}`
}

func toolCallBody(id, name string) string {
	return rpcCall(id, "tools/call", `{"name":"`+name+`","arguments":{}}`)
}

// TestServeWithPolicy runs mcpauth serve over a real socket with static
// tokens, MCPAUTH_JWT_REQUIRED_SCOPES=mcp and the documented policy file.
func TestServeWithPolicy(t *testing.T) {
	ts := startServer(t, "serve", map[string]string{
		envStaticTokens: writeTemp(t, "tokens.json", notesStaticTokens),
		envScopes:       "mcp",
		envPolicyFile:   writeTemp(t, "policy.json", notesPolicyFile),
	})
	metaURL := ts.url + "/.well-known/oauth-protected-resource/mcp"
	challenge := func(scopes string) string {
		return `Bearer error="insufficient_scope", error_description="the access token lacks a required scope", scope="` + scopes + `", resource_metadata="` + metaURL + `"`
	}
	tests := []struct {
		name      string
		token     string
		body      string
		header    []string
		status    int
		challenge string
		code      int    // JSON-RPC error code; 0 for success
		id        string // id of the (first) response
	}{
		{"reader searches", "tok-reader", toolCallBody("1", "search_notes"), nil, 200, "", 0, "1"},
		{"reader cannot delete", "tok-reader", toolCallBody(`"del-1"`, "delete_notes"), nil, 403, challenge("mcp notes:write"), policy.CodeForbidden, `"del-1"`},
		{"writer deletes", "tok-writer", toolCallBody("2", "delete_notes"), nil, 200, "", 0, "2"},
		{"admin deletes through the hierarchy", "tok-admin", toolCallBody("3", "delete_notes"), nil, 200, "", 0, "3"},
		{"admin searches through two implications", "tok-admin", toolCallBody("4", "search_notes"), nil, 200, "", 0, "4"},
		{"required scope still applies", "tok-nomcp", toolCallBody("5", "search_notes"), nil, 403, challenge("mcp"), 0, ""},
		{"basic cannot list tools", "tok-basic", rpcCall("6", "tools/list", "{}"), nil, 403, challenge("mcp notes:read"), policy.CodeForbidden, "6"},
		{"reader lists tools", "tok-reader", rpcCall("7", "tools/list", "{}"), nil, 200, "", 0, "7"},
		{"public resource needs no operation scope", "tok-basic", rpcCall("8", "resources/read", `{"uri":"notes://public/readme"}`), nil, 200, "", 0, "8"},
		{"private resource needs notes:admin", "tok-writer", rpcCall("9", "resources/read", `{"uri":"notes://private/plans"}`), nil, 403, challenge("mcp notes:admin"), policy.CodeForbidden, "9"},
		{"admin reads private", "tok-admin", rpcCall("10", "resources/read", `{"uri":"notes://private/plans"}`), nil, 200, "", 0, "10"},
		{"prompt", "tok-basic", rpcCall("11", "prompts/get", `{"name":"summarize"}`), nil, 403, challenge("mcp notes:read"), policy.CodeForbidden, "11"},
		{"batch with one forbidden item", "tok-reader", "[" + toolCallBody("12", "search_notes") + "," + toolCallBody("13", "delete_notes") + "]", nil, 403, challenge("mcp notes:read notes:write"), policy.CodeForbidden, "12"},
		{"Mcp-Name disagreeing with the body", "tok-admin", toolCallBody("14", "delete_notes"), []string{"Mcp-Method", "tools/call", "Mcp-Name", "search_notes"}, 400, "", policy.CodeHeaderMismatch, "14"},
		{"Mcp-Method disagreeing with the body", "tok-admin", toolCallBody("15", "delete_notes"), []string{"Mcp-Method", "tools/list"}, 400, "", policy.CodeHeaderMismatch, "15"},
		{"matching base64 Mcp-Name", "tok-writer", toolCallBody("16", "delete_notes"), []string{"Mcp-Method", "tools/call", "Mcp-Name", "=?base64?ZGVsZXRlX25vdGVz?="}, 200, "", 0, "16"},
		{"a header naming an allowed tool does not authorize", "tok-reader", toolCallBody("17", "delete_notes"), []string{"Mcp-Method", "tools/call", "Mcp-Name", "delete_notes"}, 403, challenge("mcp notes:write"), policy.CodeForbidden, "17"},
		{"a case-variant member is refused", "tok-reader", `{"jsonrpc":"2.0","id":18,"method":"tools/call","params":{"name":"search_notes","Name":"delete_notes"}}`, nil, 400, "", policy.CodeParseError, "null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, r := postRPC(t, ts.mcp(), tt.token, tt.body, tt.header...)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if got := resp.Header.Get("WWW-Authenticate"); got != tt.challenge {
				t.Errorf("WWW-Authenticate\n got %s\nwant %s", got, tt.challenge)
			}
			if tt.id != "" && string(r.ID) != tt.id {
				t.Errorf("id %s, want %s", r.ID, tt.id)
			}
			switch {
			case tt.code == 0 && tt.status == 200:
				if r.Error != nil || r.Result == nil {
					t.Errorf("want a result, got %+v", r)
				}
			case tt.code != 0:
				if r.Error == nil || r.Error.Code != tt.code {
					t.Errorf("want JSON-RPC error %d, got %+v", tt.code, r.Error)
				}
			}
		})
	}

	// A header alone, with nothing in the body, authorizes nothing.
	resp, _ := do(t, http.MethodPost, ts.mcp(), "tok-admin", "", "Mcp-Method", "tools/call", "Mcp-Name", "delete_notes")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("headers without a body: %d, want 400", resp.StatusCode)
	}

	// Refusals are counted and logged with their reason, never the token.
	logs := ts.logs.String()
	if !strings.Contains(logs, "reason=insufficient_scope") || !strings.Contains(logs, "reason=header_mismatch") {
		t.Errorf("refusals not logged with their reason:\n%s", logs)
	}
	for _, tok := range []string{"tok-reader", "tok-writer", "tok-admin", "tok-basic"} {
		if strings.Contains(logs, tok) {
			t.Errorf("the logs contain the token %s", tok)
		}
	}

	// scopes_supported: the required scope, then the operation scopes.
	_, meta := do(t, http.MethodGet, ts.url+"/.well-known/oauth-protected-resource/mcp", "", "")
	var doc struct {
		Scopes []string `json:"scopes_supported"`
	}
	if err := json.Unmarshal([]byte(meta), &doc); err != nil {
		t.Fatal(err)
	}
	if want := []string{"mcp", "notes:admin", "notes:read", "notes:write"}; !slices.Equal(doc.Scopes, want) {
		t.Errorf("scopes_supported = %q, want %q", doc.Scopes, want)
	}
}

// TestServeNeverAdvertisesOfflineAccess: a required offline_access (odd,
// but configurable) is checked yet never put in a challenge or in
// scopes_supported.
func TestServeNeverAdvertisesOfflineAccess(t *testing.T) {
	for _, withPolicy := range []bool{false, true} {
		vars := map[string]string{
			envStaticTokens: writeTemp(t, "tokens.json", `{"tok-a": {"client_id": "a", "scopes": ["mcp"]}}`),
			envScopes:       "mcp offline_access",
		}
		if withPolicy {
			vars[envPolicyFile] = writeTemp(t, "policy.json", notesPolicyFile)
		}
		ts := startServer(t, "serve", vars)
		resp, _ := do(t, http.MethodPost, ts.mcp(), "tok-a", toolCallBody("1", "whoami"))
		ch := resp.Header.Get("WWW-Authenticate")
		if resp.StatusCode != http.StatusForbidden || strings.Contains(ch, "offline_access") || !strings.Contains(ch, `scope="mcp`) {
			t.Errorf("policy %v: %d %s", withPolicy, resp.StatusCode, ch)
		}
		_, meta := do(t, http.MethodGet, ts.url+"/.well-known/oauth-protected-resource/mcp", "", "")
		if strings.Contains(meta, "offline_access") || !strings.Contains(meta, `"scopes_supported":["mcp"`) {
			t.Errorf("policy %v: metadata %s", withPolicy, meta)
		}
	}
}

// TestServeScopePrefix: with MCPAUTH_SCOPE_PREFIX, a token carrying the
// short form passes, and challenges and metadata carry the long form.
func TestServeScopePrefix(t *testing.T) {
	ts := startServer(t, "serve", map[string]string{
		envStaticTokens: writeTemp(t, "tokens.json", `{"tok-short": {"client_id": "a", "scopes": ["mcp", "notes:write"]}, "tok-none": {"client_id": "b", "scopes": ["mcp"]}}`),
		envScopes:       "api://app/mcp",
		envPolicyFile:   writeTemp(t, "policy.json", `{"tools": {"delete_notes": ["api://app/notes:write"]}}`),
		envScopePrefix:  "api://app/",
	})
	if resp, _ := do(t, http.MethodPost, ts.mcp(), "tok-short", toolCallBody("1", "delete_notes")); resp.StatusCode != 200 {
		t.Errorf("short-form token: %d", resp.StatusCode)
	}
	resp, _ := do(t, http.MethodPost, ts.mcp(), "tok-none", toolCallBody("1", "delete_notes"))
	if !strings.Contains(resp.Header.Get("WWW-Authenticate"), `scope="api://app/mcp api://app/notes:write"`) {
		t.Errorf("challenge %s", resp.Header.Get("WWW-Authenticate"))
	}
	_, meta := do(t, http.MethodGet, ts.url+"/.well-known/oauth-protected-resource/mcp", "", "")
	if !strings.Contains(meta, `"scopes_supported":["api://app/mcp","api://app/notes:write"]`) {
		t.Errorf("metadata %s", meta)
	}
}

// recordingUpstream records the bodies it receives; GET streams SSE events
// one at a time.
type recordingUpstream struct {
	srv     *httptest.Server
	release chan struct{}
	mu      sync.Mutex
	bodies  []string
	chunked []bool
}

func newRecordingUpstream(t *testing.T) *recordingUpstream {
	u := &recordingUpstream{release: make(chan struct{})}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "event: message\ndata: first\n\n")
			w.(http.Flusher).Flush()
			select {
			case <-u.release:
			case <-r.Context().Done():
				return
			}
			io.WriteString(w, "event: message\ndata: second\n\n")
			return
		}
		b, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.bodies = append(u.bodies, string(b))
		u.chunked = append(u.chunked, r.ContentLength < 0)
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *recordingUpstream) received() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.bodies)
}

// TestProxyWithPolicy: the proxy refuses before the upstream, forwards
// allowed bodies byte for byte, and still streams SSE.
func TestProxyWithPolicy(t *testing.T) {
	up := newRecordingUpstream(t)
	ts := startProxy(t, up.srv.URL+"/mcp", map[string]string{
		envStaticTokens: writeTemp(t, "tokens.json", notesStaticTokens),
		envPolicyFile:   writeTemp(t, "policy.json", notesPolicyFile),
	})
	// Odd but valid JSON: escapes, spacing and key order must reach the
	// upstream unchanged.
	odd := "{ \"params\" : {\"arguments\":{\"q\":\"caf\\u00e9 \\ud83d\\ude00\"}, \"name\":\"search\\u005fnotes\"},\n\t\"method\":\"tools/call\",\"id\":1e0, \"jsonrpc\":\"2.0\" }"
	resp, _ := do(t, http.MethodPost, ts.mcp(), "tok-reader", odd)
	if resp.StatusCode != 200 {
		t.Fatalf("allowed call: %d", resp.StatusCode)
	}
	resp, _ = do(t, http.MethodPost, ts.mcp(), "tok-reader", toolCallBody("2", "delete_notes"))
	if resp.StatusCode != 403 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `scope="notes:write"`) {
		t.Errorf("forbidden call: %d %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	resp, _ = do(t, http.MethodPost, ts.mcp(), "tok-reader", "["+toolCallBody("3", "search_notes")+","+toolCallBody("4", "delete_notes")+"]")
	if resp.StatusCode != 403 {
		t.Errorf("batch with a forbidden item: %d", resp.StatusCode)
	}
	resp, _ = do(t, http.MethodPost, ts.mcp(), "tok-admin", toolCallBody("5", "delete_notes"), "Mcp-Name", "search_notes")
	if resp.StatusCode != 400 {
		t.Errorf("header mismatch: %d", resp.StatusCode)
	}
	// A chunked request body arrives unchanged too.
	chunkedBody := toolCallBody("6", "delete_notes")
	req, _ := http.NewRequest(http.MethodPost, ts.mcp(), io.NopCloser(strings.NewReader(chunkedBody)))
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer tok-writer")
	req.Header.Set("Content-Type", "application/json")
	cresp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	cresp.Body.Close()
	if cresp.StatusCode != 200 {
		t.Errorf("chunked allowed call: %d", cresp.StatusCode)
	}
	if got := up.received(); !slices.Equal(got, []string{odd, chunkedBody}) {
		t.Errorf("upstream received %q\nwant %q", got, []string{odd, chunkedBody})
	}

	// SSE still streams event by event.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sreq, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.mcp(), nil)
	sreq.Header.Set("Authorization", "Bearer tok-reader")
	sreq.Header.Set("Accept", "text/event-stream")
	sresp, err := http.DefaultClient.Do(sreq)
	if err != nil {
		t.Fatal(err)
	}
	defer sresp.Body.Close()
	buf := make([]byte, 64)
	n, err := sresp.Body.Read(buf)
	if err != nil || !strings.Contains(string(buf[:n]), "data: first") {
		t.Fatalf("first event: %q %v", buf[:n], err)
	}
	close(up.release)
	rest, _ := io.ReadAll(sresp.Body)
	if !strings.Contains(string(rest), "data: second") {
		t.Errorf("second event: %q", rest)
	}
}
