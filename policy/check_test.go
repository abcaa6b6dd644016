package policy

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth"
)

// call is a tools/call body.
func call(id, tool string) string {
	return `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"` + tool + `","arguments":{}}}`
}

func TestCheck(t *testing.T) {
	notes := MustNew(notesConfig())
	deny := MustNew(Config{Tools: map[string][]string{"search": {}}}, WithDenyUnlisted())
	empty := MustNew(Config{Implies: map[string][]string{"a": {"b"}}})
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Add(kv[i], kv[i+1])
		}
		return h
	}
	tests := []struct {
		name    string
		p       *Policy
		body    string
		header  http.Header
		granted []string
		status  int
		reason  mcpauth.Reason
		scopes  []string
		code    int
	}{
		{"tool with its scope", notes, call("1", "delete_notes"), nil, []string{"notes:write"}, 0, "", nil, 0},
		{"tool with an implying scope", notes, call("1", "delete_notes"), nil, []string{"notes:admin"}, 0, "", nil, 0},
		{"tool without its scope", notes, call("1", "delete_notes"), nil, []string{"notes:read"}, 403, mcpauth.ReasonInsufficientScope, []string{"notes:write"}, CodeForbidden},
		{"default tool rule", notes, call("1", "search"), nil, nil, 403, mcpauth.ReasonInsufficientScope, []string{"notes:read"}, CodeForbidden},
		{"method rule", notes, `{"id":1,"method":"tools/list"}`, nil, []string{"notes:write"}, 0, "", nil, 0},
		{"method rule refused", notes, `{"id":1,"method":"tools/list"}`, nil, []string{"other"}, 403, mcpauth.ReasonInsufficientScope, []string{"notes:read"}, CodeForbidden},
		{"private resource", notes, `{"id":"r","method":"resources/read","params":{"uri":"notes://private/1"}}`, nil, []string{"notes:write"}, 403, mcpauth.ReasonInsufficientScope, []string{"notes:admin"}, CodeForbidden},
		{"public resource", notes, `{"id":"r","method":"resources/read","params":{"uri":"notes://public/readme"}}`, nil, nil, 0, "", nil, 0},
		{"unnamed operation", notes, `{"id":1,"method":"initialize","params":{}}`, nil, nil, 0, "", nil, 0},
		{"response passes", notes, `{"jsonrpc":"2.0","id":1,"result":{}}`, nil, nil, 0, "", nil, 0},
		{"empty body passes", notes, ``, nil, nil, 0, "", nil, 0},
		{"batch all allowed", notes, "[" + call("1", "search") + "," + call("2", "delete_notes") + "]", nil, []string{"notes:write"}, 0, "", nil, 0},
		{"batch with one forbidden item names the union", notes, "[" + call("1", "search") + "," + call("2", "delete_notes") + "]", nil, []string{"notes:read"}, 403, mcpauth.ReasonInsufficientScope, []string{"notes:read", "notes:write"}, CodeForbidden},
		{"not JSON, policy needs it", notes, `{"method":"tools/call",}`, nil, []string{"notes:admin"}, 400, ReasonInvalidBody, nil, CodeParseError},
		{"not JSON, policy does not need it", empty, `not json`, nil, nil, 0, "", nil, 0},
		{"duplicate members, policy needs it", notes, `{"id":1,"method":"tools/list","method":"tools/call","params":{"name":"delete_notes"}}`, nil, []string{"notes:read"}, 400, ReasonInvalidBody, nil, CodeParseError},
		{"case-variant member", notes, `{"id":1,"method":"tools/call","params":{"name":"search","Name":"delete_notes"}}`, nil, []string{"notes:read"}, 400, ReasonInvalidBody, nil, CodeParseError},
		{"tools/call without a name", notes, `{"id":1,"method":"tools/call","params":{}}`, nil, []string{"notes:admin"}, 400, ReasonInvalidBody, nil, CodeInvalidRequest},
		{"tools/call with a non-string name", notes, `{"id":1,"method":"tools/call","params":{"name":["delete_notes"]}}`, nil, []string{"notes:admin"}, 400, ReasonInvalidBody, nil, CodeInvalidRequest},
		{"tools/call with params an array", notes, `{"id":1,"method":"tools/call","params":["delete_notes"]}`, nil, []string{"notes:admin"}, 400, ReasonInvalidBody, nil, CodeInvalidRequest},
		{"method not a string", notes, `{"id":1,"method":["tools/call"]}`, nil, []string{"notes:admin"}, 400, ReasonInvalidBody, nil, CodeInvalidRequest},
		{"ambiguous resource URI", notes, `{"id":1,"method":"resources/read","params":{"uri":"notes://private%2F1"}}`, nil, []string{"notes:write"}, 400, ReasonInvalidBody, nil, CodeInvalidRequest},
		{"denied tool", deny, call("1", "delete"), nil, []string{"anything"}, 403, ReasonDenied, nil, CodeForbidden},
		{"allowed tool under deny", deny, call("1", "search"), nil, nil, 0, "", nil, 0},
		{"batch with a denied item", deny, "[" + call("1", "search") + "," + call("2", "x") + "]", nil, nil, 403, ReasonDenied, nil, CodeForbidden},

		// Mcp-Method and Mcp-Name.
		{"matching headers", notes, call("1", "delete_notes"), hdr("Mcp-Method", "tools/call", "Mcp-Name", "delete_notes"), []string{"notes:write"}, 0, "", nil, 0},
		{"base64 name header", notes, call("1", "delete_notes"), hdr("Mcp-Method", "tools/call", "Mcp-Name", "=?base64?ZGVsZXRlX25vdGVz?="), []string{"notes:write"}, 0, "", nil, 0},
		{"unpadded base64 name header", notes, `{"id":1,"method":"prompts/get","params":{"name":"ab"}}`, hdr("Mcp-Name", "=?base64?YWI?="), nil, 0, "", nil, 0},
		{"base64 non-ASCII name", notes, `{"id":1,"method":"prompts/get","params":{"name":"résumé"}}`, hdr("Mcp-Name", "=?base64?csOpc3Vtw6k=?="), nil, 0, "", nil, 0},
		{"upper-case sentinel is literal", notes, call("1", "delete_notes"), hdr("Mcp-Name", "=?BASE64?ZGVsZXRlX25vdGVz?="), []string{"notes:write"}, 400, ReasonHeaderMismatch, nil, CodeHeaderMismatch},
		{"invalid base64", notes, call("1", "delete_notes"), hdr("Mcp-Name", "=?base64?!!!?="), []string{"notes:write"}, 400, ReasonHeaderMismatch, nil, CodeHeaderMismatch},
		{"name header disagrees", notes, call("1", "delete_notes"), hdr("Mcp-Method", "tools/call", "Mcp-Name", "search"), []string{"notes:admin"}, 400, ReasonHeaderMismatch, nil, CodeHeaderMismatch},
		{"method header disagrees", notes, call("1", "delete_notes"), hdr("Mcp-Method", "tools/list"), []string{"notes:admin"}, 400, ReasonHeaderMismatch, nil, CodeHeaderMismatch},
		{"two method headers", notes, call("1", "delete_notes"), hdr("Mcp-Method", "tools/call", "Mcp-Method", "tools/call"), []string{"notes:admin"}, 400, ReasonHeaderMismatch, nil, CodeHeaderMismatch},
		{"name header on a method without a name", notes, `{"id":1,"method":"tools/list"}`, hdr("Mcp-Name", "x"), []string{"notes:admin"}, 400, ReasonHeaderMismatch, nil, CodeHeaderMismatch},
		{"resource uri header", notes, `{"id":1,"method":"resources/read","params":{"uri":"notes://public/readme"}}`, hdr("Mcp-Method", "resources/read", "Mcp-Name", "notes://public/readme"), nil, 0, "", nil, 0},
		{"header alone: empty body", notes, ``, hdr("Mcp-Method", "tools/call", "Mcp-Name", "search"), []string{"notes:read"}, 400, ReasonHeaderMismatch, nil, CodeHeaderMismatch},
		{"header alone: unreadable body", empty, `{"method":"tools/call",}`, hdr("Mcp-Method", "tools/call"), nil, 400, ReasonInvalidBody, nil, CodeParseError},
		{"header alone: response body", notes, `{"id":1,"result":{}}`, hdr("Mcp-Method", "tools/call"), nil, 400, ReasonHeaderMismatch, nil, CodeHeaderMismatch},
		{"header naming an allowed tool does not authorize the body's", notes, call("1", "delete_notes"), hdr("Mcp-Method", "tools/call", "Mcp-Name", "delete_notes"), []string{"notes:read"}, 403, mcpauth.ReasonInsufficientScope, []string{"notes:write"}, CodeForbidden},
		{"headers checked without rules", empty, call("1", "a"), hdr("Mcp-Name", "b"), nil, 400, ReasonHeaderMismatch, nil, CodeHeaderMismatch},
		{"batch with headers must match every item", notes, "[" + call("1", "search") + "," + call("2", "delete_notes") + "]", hdr("Mcp-Name", "search"), []string{"notes:admin"}, 400, ReasonHeaderMismatch, nil, CodeHeaderMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(tt.body)
			orig := slices.Clone(b)
			d := tt.p.Check(b, tt.header, tt.granted)
			if !slices.Equal(b, orig) {
				t.Fatal("Check changed the body")
			}
			if d.Status != tt.status || d.Reason != tt.reason || !slices.Equal(d.Scopes, tt.scopes) {
				t.Fatalf("Check = status %d reason %q scopes %q (%v); want %d %q %q", d.Status, d.Reason, d.Scopes, d.Err, tt.status, tt.reason, tt.scopes)
			}
			if d.Allowed() != (tt.status == 0) {
				t.Errorf("Allowed = %v", d.Allowed())
			}
			if tt.status == 0 {
				if d.Body(nil) != nil {
					t.Error("an allowed decision has a body")
				}
				return
			}
			if d.Err == nil {
				t.Error("a refusal without Err")
			}
			assertErrorBody(t, d.Body(d.Scopes), tt.code, tt.body)
		})
	}
}

// rpcError is a JSON-RPC error response.
type rpcError struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Error   struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Data    struct {
			Reason string `json:"reason"`
			Scope  string `json:"scope"`
		} `json:"data"`
	} `json:"error"`
}

// assertErrorBody checks a refusal's JSON-RPC body: the code, and the ids
// of the request's messages (null when unreadable).
func assertErrorBody(t *testing.T, got []byte, code int, request string) {
	t.Helper()
	var reqs []map[string]json.RawMessage
	batch := strings.HasPrefix(request, "[")
	if batch {
		if err := json.Unmarshal([]byte(request), &reqs); err != nil {
			t.Fatal(err)
		}
	} else {
		var one map[string]json.RawMessage
		_ = json.Unmarshal([]byte(request), &one)
		reqs = append(reqs, one)
	}
	var resps []rpcError
	if batch && code != CodeParseError {
		if err := json.Unmarshal(got, &resps); err != nil {
			t.Fatalf("batch refusal body %s: %v", got, err)
		}
	} else {
		var one rpcError
		if err := json.Unmarshal(got, &one); err != nil {
			t.Fatalf("refusal body %s: %v", got, err)
		}
		resps = append(resps, one)
	}
	i := 0
	for _, req := range reqs {
		id, ok := req["id"]
		if !ok && batch {
			continue
		}
		if code == CodeParseError || !ok {
			id = json.RawMessage("null")
		}
		if i >= len(resps) {
			t.Fatalf("body %s has fewer responses than requests", got)
		}
		r := resps[i]
		i++
		if r.JSONRPC != "2.0" || r.Error.Code != code || string(r.ID) != string(id) || r.Error.Message == "" {
			t.Errorf("response %s: want code %d and id %s", got, code, id)
		}
	}
}

func TestDecisionBodyCarriesScopes(t *testing.T) {
	p := MustNew(notesConfig())
	d := p.Check([]byte(call(`"x-1"`, "delete_notes")), nil, nil)
	var r rpcError
	if err := json.Unmarshal(d.Body([]string{"mcp", "notes:write"}), &r); err != nil {
		t.Fatal(err)
	}
	if string(r.ID) != `"x-1"` || r.Error.Data.Scope != "mcp notes:write" || r.Error.Data.Reason != "insufficient_scope" {
		t.Errorf("body = %+v", r)
	}
}

func TestCheckOversized(t *testing.T) {
	notes := MustNew(notesConfig())
	empty := MustNew(Config{})
	if d := notes.CheckOversized(nil); d.Status != http.StatusRequestEntityTooLarge || d.Reason != ReasonBodyTooLarge {
		t.Errorf("policy with rules: %+v", d)
	}
	if d := empty.CheckOversized(nil); !d.Allowed() {
		t.Errorf("policy without rules: %+v", d)
	}
	if d := empty.CheckOversized(http.Header{"Mcp-Method": {"tools/call"}}); d.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("headers that cannot be validated: %+v", d)
	}
}
