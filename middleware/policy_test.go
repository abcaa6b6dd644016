package middleware

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/policy"
)

// scopeTokens is a verifier whose tokens are "t-" + a name; the scopes are
// in the map.
type scopeTokens map[string][]string

func (s scopeTokens) VerifyToken(_ context.Context, token string) (*mcpauth.AccessToken, error) {
	scopes, ok := s[token]
	if !ok {
		return nil, mcpauth.InvalidToken(mcpauth.ReasonUnknownToken, "no such token")
	}
	return &mcpauth.AccessToken{Token: token, ClientID: "client-" + strings.TrimPrefix(token, tok("")), Scopes: scopes}, nil
}

var notesTokens = scopeTokens{
	"t-" + secret + "-read":    {"notes:read"},
	"t-" + secret + "-write":   {"notes:write"},
	"t-" + secret + "-admin":   {"notes:admin"},
	"t-" + secret + "-none":    {},
	"t-" + secret + "-entra":   {"notes.write"},
	"t-" + secret + "-offline": {"notes:read", "offline_access"},
}

func tok(name string) string { return "t-" + secret + "-" + name }

func notesPolicy(t testing.TB, opts ...policy.Option) *policy.Policy {
	t.Helper()
	p, err := policy.New(policy.Config{
		Tools:     map[string][]string{"delete_notes": {"notes:write"}, "*": {"notes:read"}},
		Resources: map[string][]string{"notes://private/*": {"notes:admin"}, "notes://public/readme": {}},
		Methods:   map[string][]string{"tools/list": {"notes:read"}},
		Implies:   map[string][]string{"notes:admin": {"notes:write"}, "notes:write": {"notes:read"}},
	}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// quiet discards log records.
func quiet() Option {
	l, _ := logBuffer()
	return WithLogger(l)
}

func toolCall(id, name string) string {
	return `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"` + name + `","arguments":{"q":"x"}}}`
}

// echoBody is the next handler: it answers with the body it received and
// the scopes of the token.
type echoBody struct {
	calls  int
	body   []byte
	scopes []string
}

func (e *echoBody) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.calls++
	e.body, _ = io.ReadAll(r.Body)
	at, _ := AccessTokenFrom(r.Context())
	e.scopes = at.Scopes
	w.Write(e.body)
}

func TestWithPolicy(t *testing.T) {
	const challengeTail = `, resource_metadata="` + metaURL + `"`
	tests := []struct {
		name      string
		token     string
		body      string
		header    map[string]string
		opts      []Option
		status    int
		challenge string // exact; "" means none
		rpcCode   int
		rpcID     string
		reason    mcpauth.Reason
		scopes    []string // effective scopes seen by the next handler
	}{
		{name: "allowed with the scope", token: tok("write"), body: toolCall("1", "delete_notes"), status: 200, scopes: []string{"notes:write", "notes:read"}},
		{name: "allowed with an implying scope", token: tok("admin"), body: toolCall("1", "delete_notes"), status: 200, scopes: []string{"notes:admin", "notes:read", "notes:write"}},
		{name: "refused without the scope", token: tok("read"), body: toolCall(`"a-1"`, "delete_notes"), status: 403,
			challenge: `Bearer error="insufficient_scope", error_description="the access token lacks a required scope", scope="notes:write"` + challengeTail,
			rpcCode:   policy.CodeForbidden, rpcID: `"a-1"`, reason: mcpauth.ReasonInsufficientScope},
		{name: "the challenge names the required scopes too", token: tok("read"), body: toolCall("2", "delete_notes"), opts: []Option{WithRequiredScopes("notes:read")}, status: 403,
			challenge: `Bearer error="insufficient_scope", error_description="the access token lacks a required scope", scope="notes:read notes:write"` + challengeTail,
			rpcCode:   policy.CodeForbidden, rpcID: "2", reason: mcpauth.ReasonInsufficientScope},
		{name: "batch with one forbidden item", token: tok("read"), body: "[" + toolCall("1", "search") + "," + toolCall("2", "delete_notes") + "]", status: 403,
			challenge: `Bearer error="insufficient_scope", error_description="the access token lacks a required scope", scope="notes:read notes:write"` + challengeTail,
			rpcCode:   policy.CodeForbidden, rpcID: "1", reason: mcpauth.ReasonInsufficientScope},
		{name: "batch allowed", token: tok("write"), body: "[" + toolCall("1", "search") + "," + toolCall("2", "delete_notes") + "]", status: 200, scopes: []string{"notes:write", "notes:read"}},
		{name: "private resource", token: tok("write"), body: `{"jsonrpc":"2.0","id":3,"method":"resources/read","params":{"uri":"notes://private/a"}}`, status: 403,
			challenge: `Bearer error="insufficient_scope", error_description="the access token lacks a required scope", scope="notes:admin"` + challengeTail,
			rpcCode:   policy.CodeForbidden, rpcID: "3", reason: mcpauth.ReasonInsufficientScope},
		{name: "operation without rule", token: tok("none"), body: `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`, status: 200, scopes: []string{}},
		{name: "GET without body", token: tok("none"), body: "", status: 200, scopes: []string{}},
		{name: "header mismatch", token: tok("admin"), body: toolCall("4", "delete_notes"), header: map[string]string{"Mcp-Method": "tools/call", "Mcp-Name": "search"}, status: 400,
			rpcCode: policy.CodeHeaderMismatch, rpcID: "4", reason: policy.ReasonHeaderMismatch},
		{name: "matching base64 header", token: tok("write"), body: toolCall("4", "delete_notes"), header: map[string]string{"Mcp-Method": "tools/call", "Mcp-Name": "=?base64?ZGVsZXRlX25vdGVz?="}, status: 200, scopes: []string{"notes:write", "notes:read"}},
		{name: "header alone never authorizes", token: tok("read"), body: toolCall("5", "delete_notes"), header: map[string]string{"Mcp-Method": "tools/call", "Mcp-Name": "delete_notes"}, status: 403,
			challenge: `Bearer error="insufficient_scope", error_description="the access token lacks a required scope", scope="notes:write"` + challengeTail,
			rpcCode:   policy.CodeForbidden, rpcID: "5", reason: mcpauth.ReasonInsufficientScope},
		{name: "ambiguous body", token: tok("admin"), body: `{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"search","NAME":"delete_notes"}}`, status: 400,
			rpcCode: policy.CodeParseError, rpcID: "null", reason: policy.ReasonInvalidBody},
		{name: "unnamed tool call", token: tok("admin"), body: `{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{}}`, status: 400,
			rpcCode: policy.CodeInvalidRequest, rpcID: "6", reason: policy.ReasonInvalidBody},
		{name: "hierarchy on the required scopes", token: tok("admin"), body: toolCall("1", "search"), opts: []Option{WithRequiredScopes("notes:read")}, status: 200, scopes: []string{"notes:admin", "notes:read", "notes:write"}},
		{name: "offline_access is never in a challenge", token: tok("none"), body: toolCall("1", "search"),
			opts:   []Option{WithRequiredScopes("offline_access")},
			status: 403, challenge: `Bearer error="insufficient_scope", error_description="the access token lacks a required scope"` + challengeTail,
			reason: mcpauth.ReasonInsufficientScope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var outcomes []Outcome
			logger, logs := logBuffer()
			opts := append([]Option{
				WithPolicy(notesPolicy(t)),
				WithResourceMetadata(metaURL),
				WithLogger(logger),
				WithObserver(func(_ *http.Request, o Outcome) { outcomes = append(outcomes, o) }),
			}, tt.opts...)
			next := &echoBody{}
			h := New(notesTokens, opts...)(next)
			method := http.MethodPost
			if tt.body == "" {
				method = http.MethodGet
			}
			req := httptest.NewRequest(method, "/mcp", strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer "+tt.token)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.status, rec.Body)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tt.challenge {
				t.Errorf("WWW-Authenticate\n got %s\nwant %s", got, tt.challenge)
			}
			if len(outcomes) != 1 {
				t.Fatalf("%d outcomes, want 1", len(outcomes))
			}
			if containsSecret(logs.String(), rec.Body.String(), rec.Header().Get("WWW-Authenticate")) {
				t.Error("the token leaked into a log record or the response")
			}
			if tt.status == 200 {
				if next.calls != 1 || string(next.body) != tt.body {
					t.Errorf("next handler got %q (%d calls), want the body unchanged", next.body, next.calls)
				}
				if !slices.Equal(next.scopes, tt.scopes) {
					t.Errorf("next handler saw scopes %q, want %q", next.scopes, tt.scopes)
				}
				if !outcomes[0].Accepted || !slices.Equal(outcomes[0].Scopes, next.scopes) {
					t.Errorf("outcome %+v, want accepted with the scopes the handler saw", outcomes[0])
				}
				return
			}
			if next.calls != 0 {
				t.Error("a refused request reached the next handler")
			}
			if o := outcomes[0]; o.Accepted || o.Status != tt.status || o.Reason != tt.reason || o.ClientID != "client-"+strings.TrimPrefix(tt.token, tok("")) {
				t.Errorf("outcome %+v, want status %d reason %s", o, tt.status, tt.reason)
			}
			for _, sc := range notesTokens[tt.token] {
				if o := outcomes[0]; !slices.Contains(o.Scopes, sc) {
					t.Errorf("outcome %+v lacks the token's scope %s", o, sc)
				}
			}
			if !strings.Contains(logs.String(), "reason="+string(tt.reason)) {
				t.Errorf("no log record with the reason: %s", logs)
			}
			if rec.Header().Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type %q", rec.Header().Get("Content-Type"))
			}
			if tt.rpcCode == 0 {
				return
			}
			var rpc struct {
				ID    json.RawMessage `json:"id"`
				Error struct {
					Code int `json:"code"`
					Data struct {
						Scope string `json:"scope"`
					} `json:"data"`
				} `json:"error"`
			}
			body := rec.Body.Bytes()
			if body[0] == '[' {
				var all []json.RawMessage
				if err := json.Unmarshal(body, &all); err != nil || len(all) == 0 {
					t.Fatalf("batch body %s: %v", body, err)
				}
				body = all[0]
			}
			if err := json.Unmarshal(body, &rpc); err != nil {
				t.Fatalf("body %s: %v", rec.Body, err)
			}
			if rpc.Error.Code != tt.rpcCode || string(rpc.ID) != tt.rpcID {
				t.Errorf("JSON-RPC error %s: want code %d id %s", rec.Body, tt.rpcCode, tt.rpcID)
			}
			if tt.challenge != "" && !strings.Contains(tt.challenge, `scope="`+rpc.Error.Data.Scope+`"`) {
				t.Errorf("error data scope %q differs from the challenge", rpc.Error.Data.Scope)
			}
		})
	}
}

func TestWithPolicyDenied(t *testing.T) {
	p, err := policy.New(policy.Config{Tools: map[string][]string{"search": {}}}, policy.WithDenyUnlisted())
	if err != nil {
		t.Fatal(err)
	}
	h := New(notesTokens, quiet(), WithPolicy(p), WithResourceMetadata(metaURL))(&echoBody{})
	req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(toolCall("9", "delete_notes")))
	req.Header.Set("Authorization", "Bearer "+tok("admin"))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 403 || rec.Header().Get("WWW-Authenticate") != "" || !strings.Contains(rec.Body.String(), `"id":9`) {
		t.Errorf("denied operation: %d %q %s; want 403 without a challenge", rec.Code, rec.Header().Get("WWW-Authenticate"), rec.Body)
	}
}

func TestWithPolicyBodyLimits(t *testing.T) {
	big := toolCall("1", "search") + strings.Repeat(" ", 200)
	for _, tt := range []struct {
		name    string
		cfg     policy.Config
		header  string
		chunked bool
		status  int
	}{
		{"over the cap, policy needs it", policy.Config{Tools: map[string][]string{"*": {"x"}}}, "", false, 413},
		{"over the cap, chunked", policy.Config{Tools: map[string][]string{"*": {"x"}}}, "", true, 413},
		{"over the cap, policy does not need it", policy.Config{}, "", false, 200},
		{"over the cap, chunked, policy does not need it", policy.Config{}, "", true, 200},
		{"over the cap with Mcp-Method", policy.Config{}, "tools/call", true, 413},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := policy.New(tt.cfg, policy.WithMaxBodyBytes(100))
			if err != nil {
				t.Fatal(err)
			}
			next := &echoBody{}
			h := New(notesTokens, quiet(), WithPolicy(p))(next)
			req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(big))
			if tt.chunked {
				req.Body = io.NopCloser(iotest.OneByteReader(strings.NewReader(big)))
				req.ContentLength = -1
			}
			if tt.header != "" {
				req.Header.Set("Mcp-Method", tt.header)
			}
			req.Header.Set("Authorization", "Bearer "+tok("admin"))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.status == 200 && string(next.body) != big {
				t.Errorf("next handler got %d bytes, want the %d sent", len(next.body), len(big))
			}
		})
	}
}

func TestWithPolicyUnreadableBody(t *testing.T) {
	next := &echoBody{}
	h := New(notesTokens, quiet(), WithPolicy(notesPolicy(t)))(next)
	req := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	req.Body = io.NopCloser(io.MultiReader(strings.NewReader(`{"method":`), iotest.ErrReader(errors.New("connection reset"))))
	req.Header.Set("Authorization", "Bearer "+tok("admin"))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 400 || next.calls != 0 {
		t.Errorf("status %d, %d calls; want 400 and none", rec.Code, next.calls)
	}
}

func TestWithPolicyHierarchyInRequireScopes(t *testing.T) {
	chain := func(tokenName string) int {
		next := &echoBody{}
		h := New(notesTokens, quiet(), WithPolicy(notesPolicy(t)))(RequireScopes("notes:read")(next))
		req := httptest.NewRequest(http.MethodGet, "/mcp", nil)
		req.Header.Set("Authorization", "Bearer "+tok(tokenName))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if got := chain("admin"); got != 200 {
		t.Errorf("notes:admin through RequireScopes(notes:read): %d, want 200", got)
	}
	if got := chain("none"); got != 403 {
		t.Errorf("no scope through RequireScopes(notes:read): %d, want 403", got)
	}
}

func TestWithPolicyScopePrefix(t *testing.T) {
	p, err := policy.New(policy.Config{
		Tools:   map[string][]string{"delete_notes": {"notes.write"}},
		Implies: map[string][]string{"notes.write": {"notes.read"}},
	}, policy.WithScopePrefix("api://app/"))
	if err != nil {
		t.Fatal(err)
	}
	next := &echoBody{}
	h := New(scopedVerifier{notesTokens, []string{"api://app/mcp.access", "offline_access"}},
		WithPolicy(p), WithRequiredScopes("api://app/notes.read"))(next)
	do := func(token, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	// The token carries notes.write (Entra's scp form): it satisfies
	// api://app/notes.read through the hierarchy, and delete_notes.
	if rec := do(tok("entra"), toolCall("1", "delete_notes")); rec.Code != 200 || !slices.Equal(next.scopes, []string{"notes.write", "notes.read"}) {
		t.Errorf("Entra token: %d, scopes %q", rec.Code, next.scopes)
	}
	rec := do(tok("none"), toolCall("1", "delete_notes"))
	want := `Bearer error="insufficient_scope", error_description="the access token lacks a required scope", scope="api://app/notes.read api://app/mcp.access"`
	if rec.Code != 403 || rec.Header().Get("WWW-Authenticate") != want {
		t.Errorf("no scope: %d %s\nwant %s", rec.Code, rec.Header().Get("WWW-Authenticate"), want)
	}
	rec = do(tok("read"), toolCall("1", "delete_notes"))
	if rec.Code != 403 {
		t.Errorf("notes:read (another scope): %d", rec.Code)
	}
}

// FuzzWithPolicy sends any body through the middleware with a policy: a
// request either is refused without reaching the next handler, or reaches
// it with the exact bytes sent; a tools/call that encoding/json reads as
// delete_notes never reaches it with a token lacking notes:write.
func FuzzWithPolicy(f *testing.F) {
	f.Add([]byte(toolCall("1", "delete_notes")), false)
	f.Add([]byte(toolCall("1", "search")), true)
	f.Add([]byte(`[`+toolCall("1", "search")+`,`+toolCall("2", "delete_notes")+`]`), false)
	f.Add([]byte(`{"method":"tools/call","params":{"name":"search","Name":"delete_notes"}}`), true)
	h := New(notesTokens, quiet(), WithPolicy(notesPolicy(f)))
	f.Fuzz(func(t *testing.T, body []byte, chunked bool) {
		next := &echoBody{}
		srv := h(next)
		req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(string(body)))
		if chunked {
			req.Body = io.NopCloser(iotest.HalfReader(strings.NewReader(string(body))))
			req.ContentLength = -1
		}
		req.Header.Set("Authorization", "Bearer "+tok("read"))
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if next.calls == 0 {
			if rec.Code == 200 {
				t.Fatal("200 without the next handler")
			}
			return
		}
		if string(next.body) != string(body) {
			t.Fatalf("next handler got %q, sent %q", next.body, body)
		}
		var m struct {
			Method string `json:"method"`
			Params struct {
				Name string `json:"name"`
			} `json:"params"`
		}
		if json.Unmarshal(body, &m) == nil && m.Method == "tools/call" && m.Params.Name == "delete_notes" {
			t.Fatalf("delete_notes reached the handler with notes:read only: %q", body)
		}
	})
}

// countingBody counts the bytes read from it.
type countingBody struct {
	r    io.Reader
	read int
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}

func (c *countingBody) Close() error { return nil }

func TestWithPolicyFromHeaders(t *testing.T) {
	p := notesPolicy(t)
	mcp := func(method, name string) []string {
		h := []string{policy.HeaderProtocolVersion, policy.HeaderValidationVersion, policy.HeaderMethod, method}
		if name != "" {
			h = append(h, policy.HeaderName, name)
		}
		return h
	}
	for _, tc := range []struct {
		name      string
		opts      []Option
		token     string
		header    []string
		status    int
		challenge string
	}{
		{"tool allowed by its header", []Option{WithPolicyFromHeaders(p)}, tok("write"), mcp("tools/call", "delete_notes"), 200, ""},
		{"tool refused by its header", []Option{WithPolicyFromHeaders(p)}, tok("read"), mcp("tools/call", "delete_notes"), 403, `error="insufficient_scope", error_description="the access token lacks a required scope", scope="notes:write"`},
		{"no headers", []Option{WithPolicyFromHeaders(p)}, tok("admin"), nil, 400, ""},
		{"older protocol", []Option{WithPolicyFromHeaders(p)}, tok("admin"), []string{policy.HeaderProtocolVersion, "2025-11-25", policy.HeaderMethod, "tools/call", policy.HeaderName, "delete_notes"}, 400, ""},
		{"WithPolicy after it reads the body", []Option{WithPolicyFromHeaders(p), WithPolicy(p)}, tok("read"), nil, 403, `error="insufficient_scope"`},
		{"nil policy", []Option{WithPolicy(p), WithPolicyFromHeaders(nil)}, tok("none"), nil, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next := &echoBody{}
			h := New(notesTokens, append([]Option{quiet()}, tc.opts...)...)(next)
			body := &countingBody{r: strings.NewReader(toolCall("1", "delete_notes"))}
			r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
			r.Body = body
			r.Header.Set("Authorization", "Bearer "+tc.token)
			for i := 0; i+1 < len(tc.header); i += 2 {
				r.Header.Add(tc.header[i], tc.header[i+1])
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if ch := w.Header().Get("WWW-Authenticate"); tc.challenge != "" && !strings.Contains(ch, tc.challenge) {
				t.Errorf("WWW-Authenticate %q, want %q", ch, tc.challenge)
			}
			// A refusal is written before the next handler reads the
			// body: only WithPolicy read it.
			if readsBody := tc.name == "WithPolicy after it reads the body"; w.Code != 200 && readsBody != (body.read != 0) {
				t.Errorf("the policy read %d bytes of the body", body.read)
			}
			if w.Code == 200 && string(next.body) != toolCall("1", "delete_notes") {
				t.Errorf("next got body %q", next.body)
			}
		})
	}
}

// TestWithPolicyRestoresBodyForEveryReader checks that the next handler gets
// the exact bytes sent whichever way it reads them (Read, io.Copy through
// WriteTo, ReadFrom), for bodies that fit the one-allocation buffer, that
// just do not, that are passed on above the cap, and whose length is
// unknown or announced wrongly.
func TestWithPolicyRestoresBodyForEveryReader(t *testing.T) {
	// A policy that needs the body, and one that passes bodies above the
	// cap on.
	needs, err := policy.New(policy.Config{Methods: map[string][]string{"tools/list": {"notes:read"}}}, policy.WithMaxBodyBytes(4000))
	if err != nil {
		t.Fatal(err)
	}
	passes, err := policy.New(policy.Config{}, policy.WithMaxBodyBytes(4000))
	if err != nil {
		t.Fatal(err)
	}
	readers := map[string]func(io.Reader) ([]byte, error){
		"ReadAll": io.ReadAll,
		"Copy": func(r io.Reader) ([]byte, error) {
			var b strings.Builder
			_, err := io.Copy(&b, r)
			return []byte(b.String()), err
		},
		"ReadFrom": func(r io.Reader) ([]byte, error) {
			var b bytes.Buffer
			_, err := b.ReadFrom(r)
			return b.Bytes(), err
		},
		"OneByte": func(r io.Reader) ([]byte, error) { return io.ReadAll(iotest.OneByteReader(r)) },
	}
	for _, size := range []int{0, 1, 100, len(smallBody{}.buf) - 2, len(smallBody{}.buf) - 1, len(smallBody{}.buf), 3999, 4000, 4001, 9000} {
		// A tools/call padded with spaces, or a number of size digits.
		body := strings.Repeat("1", size)
		if call := toolCall("1", "search"); size >= len(call) {
			body = call + strings.Repeat(" ", size-len(call))
		}
		p := needs
		if size > 4000 {
			p = passes
		}
		for _, announce := range []string{"exact", "unknown", "short"} {
			for name, read := range readers {
				t.Run(fmt.Sprintf("%d/%s/%s", size, announce, name), func(t *testing.T) {
					var got []byte
					var readErr error
					h := New(notesTokens, quiet(), WithPolicy(p))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						got, readErr = read(r.Body)
					}))
					req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
					switch announce {
					case "unknown":
						req.ContentLength = -1
					case "short":
						req.ContentLength = int64(size / 2)
					}
					req.Header.Set("Authorization", "Bearer "+tok("read"))
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						t.Fatalf("status %d: %s", rec.Code, rec.Body)
					}
					if readErr != nil || string(got) != body {
						t.Errorf("next handler read %d bytes (%v), want the %d sent", len(got), readErr, len(body))
					}
				})
			}
		}
	}
}

// TestWithPolicyEffectiveScopes checks the token handed to the next
// handler: its Scopes are the effective ones, however many, and the
// verifier's token is left as it was.
func TestWithPolicyEffectiveScopes(t *testing.T) {
	granted := map[string][]string{
		tok("few"):  {"notes:admin"},
		tok("many"): {"a", "b", "notes:admin", "c"},
		tok("same"): {"a", "notes:read"},
	}
	want := map[string][]string{
		tok("few"):  {"notes:admin", "notes:read", "notes:write"},
		tok("many"): {"a", "b", "notes:admin", "c", "notes:read", "notes:write"},
		tok("same"): {"a", "notes:read"},
	}
	v := scopeTokens{}
	for k, s := range granted {
		v[k] = slices.Clone(s)
	}
	next := &echoBody{}
	h := New(v, quiet(), WithPolicy(notesPolicy(t)))(next)
	for token, w := range want {
		req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(toolCall("1", "search")))
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || !slices.Equal(next.scopes, w) {
			t.Errorf("%s: %d, scopes %q; want 200, %q", token, rec.Code, next.scopes, w)
		}
		if !slices.Equal(v[token], granted[token]) {
			t.Errorf("%s: the verifier's scopes became %q", token, v[token])
		}
	}
}
