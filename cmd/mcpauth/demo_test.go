package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// shellWords splits a command line of single-quoted and bare words, the
// form demoCurl prints.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted && c == '\'':
			quoted = false
		case quoted:
			cur.WriteByte(c)
		case c == '\'':
			quoted, inWord = true, true
		case c == ' ':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '"' || c == '\\' || c == '$' || c == '`':
			t.Fatalf("unexpected shell metacharacter %q in %s", c, line)
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unterminated quote in %s", line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// replayCurl sends the request a "curl -sS URL -H ... -d BODY" line
// describes.
func replayCurl(t *testing.T, line string) (*http.Response, string) {
	t.Helper()
	words := shellWords(t, line)
	if len(words) < 3 || words[0] != "curl" || words[1] != "-sS" {
		t.Fatalf("not a curl -sS command: %q", words)
	}
	var headers []string
	method, body := http.MethodGet, ""
	for i := 3; i < len(words); i += 2 {
		if i+1 >= len(words) {
			t.Fatalf("flag %s without value", words[i])
		}
		switch words[i] {
		case "-H":
			name, value, ok := strings.Cut(words[i+1], ": ")
			if !ok {
				t.Fatalf("bad header %q", words[i+1])
			}
			headers = append(headers, name, value)
		case "-d":
			method, body = http.MethodPost, words[i+1]
		default:
			t.Fatalf("unexpected curl flag %s", words[i])
		}
	}
	req, err := http.NewRequest(method, words[2], strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded") // curl's -d default
	}
	for i := 0; i < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestServeDemo(t *testing.T) {
	ts := startServer(t, "serve", nil)
	out := ts.stdout.String()
	var curl string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "curl ") {
			curl = line
		}
	}
	if curl == "" {
		t.Fatalf("no curl line in the demo output:\n%s", out)
	}
	if !strings.Contains(curl, "'"+ts.mcp()+"'") {
		t.Errorf("the curl line does not call %s: %s", ts.mcp(), curl)
	}

	// The printed command works as printed.
	resp, body := replayCurl(t, curl)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the printed curl command got %d: %s", resp.StatusCode, body)
	}
	var rpc struct {
		Result struct {
			StructuredContent struct {
				ClientID  string   `json:"client_id"`
				Subject   string   `json:"subject"`
				Scopes    []string `json:"scopes"`
				ExpiresAt int64    `json:"expires_at"`
				Issuer    string   `json:"issuer"`
				Audience  []string `json:"audience"`
			} `json:"structuredContent"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(body), &rpc); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	got := rpc.Result.StructuredContent
	if got.ClientID != demoClientID || got.Subject != demoSubject || !slices.Equal(got.Scopes, []string{demoScope}) ||
		got.Issuer != ts.url || !slices.Equal(got.Audience, []string{ts.mcp()}) ||
		got.ExpiresAt < time.Now().Add(55*time.Minute).Unix() || got.ExpiresAt > time.Now().Add(time.Hour+time.Minute).Unix() {
		t.Errorf("whoami = %+v", got)
	}

	// The same JWKS, issuer and audience checks as production.
	token := regexp.MustCompile(`Bearer ([A-Za-z0-9_.-]+)`).FindStringSubmatch(curl)[1]
	if resp, _ := do(t, http.MethodGet, ts.url+demoJWKSPath, "", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %d", demoJWKSPath, resp.StatusCode)
	}
	if status, challenge, _ := callWhoami(t, ts.mcp(), ""); status != http.StatusUnauthorized ||
		!strings.Contains(challenge, "resource_metadata=") || !strings.Contains(challenge, `scope="mcp:tools"`) {
		t.Errorf("no token: %d %q", status, challenge)
	}
	if status, _, _ := callWhoami(t, ts.mcp(), token[:len(token)-4]+"AAAA"); status != http.StatusUnauthorized {
		t.Errorf("tampered demo token: %d", status)
	}
	_, meta := do(t, http.MethodGet, ts.url+"/.well-known/oauth-protected-resource/mcp", "", "")
	if !strings.Contains(meta, `"authorization_servers":["`+ts.url+`"]`) || !strings.Contains(meta, `"scopes_supported":["mcp:tools"]`) {
		t.Errorf("demo metadata = %s", meta)
	}
	// The token is printed on stdout, never logged.
	if logs := ts.logs.String(); strings.Contains(logs, token) || strings.Contains(logs, token[strings.LastIndex(token, ".")+1:]) {
		t.Errorf("the demo token is in the logs:\n%s", logs)
	}
}

func TestServeDemoSettings(t *testing.T) {
	// The demo honours the verifier settings that do not name a key
	// source: here RFC 9068 typing and custom required scopes.
	ts := startServer(t, "serve", map[string]string{
		"MCPAUTH_JWT_REQUIRE_ACCESS_TOKEN_TYPE": "true",
		envScopes:                               "tools:read tools:call",
	})
	token := regexp.MustCompile(`Bearer ([A-Za-z0-9_.-]+)`).FindStringSubmatch(ts.stdout.String())[1]
	status, _, res := callWhoami(t, ts.mcp(), token)
	if status != http.StatusOK || fmt.Sprint(res["scopes"]) != "[tools:read tools:call]" {
		t.Errorf("demo token: %d %v", status, res)
	}
}

// TestServeDemoDPoPRequired: with MCPAUTH_DPOP=require the demo prints a
// DPoP-bound token, the client key it is bound to (a file readable by its
// owner only, removed at shutdown) and the commands that make a proof and
// call whoami; following them works, once per proof, and the token is
// refused as Bearer.
func TestServeDemoDPoPRequired(t *testing.T) {
	var keyFile string
	t.Cleanup(func() { // runs after the server stopped
		if _, err := os.Stat(keyFile); keyFile == "" || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the demo's client key %q is still there after shutdown: %v", keyFile, err)
		}
	})
	ts := startServer(t, "serve", map[string]string{"MCPAUTH_DPOP": "require"})
	out := ts.stdout.String()
	var tokenLine, evalLine, curlLine string
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "DPOP_TOKEN="):
			tokenLine = line
		case strings.HasPrefix(line, "eval "):
			evalLine = line
		case strings.HasPrefix(line, "curl "):
			curlLine = line
		}
	}
	if tokenLine == "" || evalLine == "" || curlLine == "" || strings.Contains(out, "Authorization: Bearer") {
		t.Fatalf("the banner lacks the DPoP token, proof or curl line, or offers Bearer:\n%s", out)
	}
	token := shellWords(t, strings.TrimPrefix(tokenLine, "DPOP_TOKEN="))[0]

	// The proof command: mcpauth token reading $DPOP_TOKEN on stdin.
	m := regexp.MustCompile(`^eval "\$\(printf '%s' "\$DPOP_TOKEN" \| mcpauth (.*)\)"$`).FindStringSubmatch(evalLine)
	if m == nil {
		t.Fatalf("unexpected proof command: %s", evalLine)
	}
	args := shellWords(t, m[1])
	if i := slices.Index(args, "-dpop-key"); i >= 0 && i+1 < len(args) {
		keyFile = args[i+1]
	}
	if st, err := os.Stat(keyFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("client key %q: %v (mode %v), want a file with mode 0600", keyFile, err, st)
	}
	newProof := func() string {
		t.Helper()
		code, stdout, stderr := runCmd(t, token, []string{"PATH=/usr/bin"}, args...)
		p, ok := strings.CutPrefix(strings.TrimSpace(stdout), "DPOP_PROOF=")
		if code != exitOK || !ok {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
		return shellWords(t, p)[0]
	}

	// The curl line, expanded as the shell would with the variables the
	// banner's commands set.
	const authz, dpopHeader = `"Authorization: DPoP $DPOP_TOKEN"`, `"DPoP: $DPOP_PROOF"`
	if !strings.Contains(curlLine, authz) || !strings.Contains(curlLine, dpopHeader) || !strings.HasPrefix(curlLine, "curl -sS "+shellQuote(ts.mcp())+" ") {
		t.Fatalf("unexpected curl line: %s", curlLine)
	}
	for i := range 2 {
		line := strings.NewReplacer(authz, shellQuote("Authorization: DPoP "+token), dpopHeader, shellQuote("DPoP: "+newProof())).Replace(curlLine)
		resp, body := replayCurl(t, line)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"dpop_jkt":"`) {
			t.Fatalf("call %d as printed: %d %s", i+1, resp.StatusCode, body)
		}
		if resp, _ := replayCurl(t, line); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("call %d with its proof again: %d", i+1, resp.StatusCode)
		}
	}
	if status, _, _ := callWhoami(t, ts.mcp(), token); status != http.StatusUnauthorized {
		t.Errorf("the demo token as Bearer: %d", status)
	}
	if logs := ts.logs.String(); strings.Contains(logs, token) {
		t.Errorf("the demo token is in the logs:\n%s", logs)
	}
}
