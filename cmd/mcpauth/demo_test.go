package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
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
