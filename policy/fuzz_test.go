package policy

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
)

// FuzzCheck feeds any bytes to Check under a policy that allows only the
// tool "search" and a token with no scope. Check must not panic, must not
// change the body, and must not let through any body in which
// encoding/json — a lenient reader that matches member names
// case-insensitively, lets the last duplicate win and replaces invalid
// UTF-8 — finds a tools/call of another tool, or a method the policy
// restricts.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search","arguments":{}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete"}}`,
		`[{"id":1,"method":"tools/call","params":{"name":"search"}},{"id":2,"method":"tools/call","params":{"name":"delete"}}]`,
		`{"method":"tools/call","params":{"name":"search","Name":"delete"}}`,
		`{"method":"tools/call","params":{"name":"search","name":"delete"}}`,
		`{"method":"tools/call","params":{"name":"search"},"Params":{"name":"delete"}}`,
		`{"method":"tools/call","params":{"nam\u0065":"delete"}}`,
		`{"method":"tools/call","params":{"name":"del\u0065te"}}`,
		`{"method":"tools/list"}`,
		`{"METHOD":"tools/list"}`,
		"{\"method\":\"tools/call\",\"params\":{\"name\":\"search\xff\"}}",
		`{"method":"tools/call","params":{"name":"\ud800"}}`,
		`{"id":1,"result":{}}`,
		``,
		`[]`,
		`null`,
	} {
		f.Add([]byte(s))
	}
	p := MustNew(Config{
		Tools:   map[string][]string{"search": {}},
		Methods: map[string][]string{"tools/list": {"list"}},
	}, WithDenyUnlisted())
	f.Fuzz(func(t *testing.T, b []byte) {
		orig := bytes.Clone(b)
		d := p.Check(b, nil, nil)
		if !bytes.Equal(b, orig) {
			t.Fatal("Check changed the body")
		}
		if !d.Allowed() {
			if body := d.Body(d.Scopes); !json.Valid(body) {
				t.Fatalf("refusal body is not JSON: %s", body)
			}
			return
		}
		type msg struct {
			Method any `json:"method"`
			Params struct {
				Name any `json:"name"`
			} `json:"params"`
		}
		var msgs []msg
		var one msg
		if json.Unmarshal(b, &one) == nil {
			msgs = append(msgs, one)
		} else if json.Unmarshal(b, &msgs) != nil {
			return
		}
		for _, m := range msgs {
			switch m.Method {
			case "tools/call":
				if m.Params.Name != "search" {
					t.Fatalf("let through a tools/call of %v: %q", m.Params.Name, b)
				}
			case "tools/list":
				t.Fatalf("let through tools/list without its scope: %q", b)
			}
		}
	})
}

// FuzzCheckHeaders checks that a request whose Mcp-Name header names the
// allowed tool never lets another tool's call through.
func FuzzCheckHeaders(f *testing.F) {
	f.Add([]byte(`{"method":"tools/call","params":{"name":"delete"}}`), "search")
	f.Add([]byte(`{"method":"tools/call","params":{"name":"search"}}`), "=?base64?c2VhcmNo?=")
	p := MustNew(Config{Tools: map[string][]string{"search": {}, "*": {"admin"}}})
	f.Fuzz(func(t *testing.T, b []byte, name string) {
		d := p.Check(b, http.Header{HeaderName: {name}}, nil)
		if !d.Allowed() {
			return
		}
		var m struct {
			Method string `json:"method"`
			Params struct {
				Name string `json:"name"`
			} `json:"params"`
		}
		if json.Unmarshal(b, &m) == nil && m.Method == "tools/call" && m.Params.Name != "search" {
			t.Fatalf("let through a tools/call of %q with Mcp-Name %q", m.Params.Name, name)
		}
	})
}

// FuzzCheckHeadersNoLooserThanBody checks CheckHeaders against Check: for a
// request whose headers agree with its body (Check does not refuse them with
// 400, as a 2026-07-28 server would not), the decision from the headers
// alone never lets through what the body's decision refuses.
func FuzzCheckHeadersNoLooserThanBody(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_notes"}}`), "tools/call", "delete_notes", uint8(1))
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"notes://private/a"}}`), "resources/read", "notes://private/a", uint8(2))
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"resources/subscribe","params":{"uri":"notes://private/a"}}`), "resources/subscribe", "", uint8(0))
	f.Add([]byte(`[{"jsonrpc":"2.0","id":1,"method":"tools/list"}]`), "tools/list", "", uint8(3))
	p := MustNew(notesConfig())
	grants := [][]string{nil, {"notes:read"}, {"notes:write"}, {"notes:admin"}}
	f.Fuzz(func(t *testing.T, b []byte, method, name string, g uint8) {
		granted := grants[int(g)%len(grants)]
		h := mcpHeaders(method, name)
		byHeaders, byBody := p.CheckHeaders(http.MethodPost, h, granted), p.Check(b, h, granted)
		if byHeaders.Allowed() && !byBody.Allowed() && byBody.Status != http.StatusBadRequest {
			t.Fatalf("headers %q %q allowed what the body %q refuses: %+v", method, name, b, byBody)
		}
	})
}
