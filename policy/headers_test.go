package policy

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/mcpauth/mcpauth"
)

// mcpHeaders returns 2026-07-28 request headers for method and name
// ("" leaves Mcp-Name out).
func mcpHeaders(method, name string, extra ...string) http.Header {
	h := http.Header{}
	h.Set(HeaderProtocolVersion, HeaderValidationVersion)
	h.Set(HeaderMethod, method)
	if name != "" {
		h.Set(HeaderName, name)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		h.Add(extra[i], extra[i+1])
	}
	return h
}

func TestCheckHeaders(t *testing.T) {
	notes := MustNew(notesConfig())
	deny := MustNew(Config{Tools: map[string][]string{"search": {}}}, WithDenyUnlisted())
	toolsOnly := MustNew(Config{Tools: map[string][]string{"delete_notes": {"notes:write"}}, Methods: map[string][]string{"resources/subscribe": {"notes:watch"}}})
	scopesOnly := MustNew(Config{Implies: map[string][]string{"a": {"b"}}})
	old := mcpHeaders("tools/call", "delete_notes")
	old.Set(HeaderProtocolVersion, "2025-11-25")
	twoVersions := mcpHeaders("tools/call", "delete_notes")
	twoVersions.Add(HeaderProtocolVersion, "2026-07-28")
	noVersion := mcpHeaders("tools/call", "delete_notes")
	noVersion.Del(HeaderProtocolVersion)
	later := mcpHeaders("tools/call", "delete_notes")
	later.Set(HeaderProtocolVersion, "2027-03-01")
	tests := []struct {
		name    string
		p       *Policy
		method  string
		header  http.Header
		granted []string
		status  int
		reason  mcpauth.Reason
		scopes  []string
	}{
		{"tool with its scope", notes, "POST", mcpHeaders("tools/call", "delete_notes"), []string{"notes:write"}, 0, "", nil},
		{"tool through the hierarchy", notes, "POST", mcpHeaders("tools/call", "delete_notes"), []string{"notes:admin"}, 0, "", nil},
		{"tool without its scope", notes, "POST", mcpHeaders("tools/call", "delete_notes"), []string{"notes:read"}, 403, mcpauth.ReasonInsufficientScope, []string{"notes:write"}},
		{"default tool", notes, "POST", mcpHeaders("tools/call", "other"), nil, 403, mcpauth.ReasonInsufficientScope, []string{"notes:read"}},
		{"base64 name", notes, "POST", mcpHeaders("tools/call", "=?base64?ZGVsZXRlX25vdGVz?="), []string{"notes:read"}, 403, mcpauth.ReasonInsufficientScope, []string{"notes:write"}},
		{"bad base64 name", notes, "POST", mcpHeaders("tools/call", "=?base64?!!?="), []string{"notes:write"}, 400, ReasonHeadersRequired, nil},
		{"resource prefix", notes, "POST", mcpHeaders("resources/read", "notes://private/x"), []string{"notes:write"}, 403, mcpauth.ReasonInsufficientScope, []string{"notes:admin"}},
		{"resource normalised", notes, "POST", mcpHeaders("resources/read", "NOTES://private/%78"), []string{"notes:write"}, 403, mcpauth.ReasonInsufficientScope, []string{"notes:admin"}},
		{"public resource", notes, "POST", mcpHeaders("resources/read", "notes://public/readme"), nil, 0, "", nil},
		{"method rule", notes, "POST", mcpHeaders("tools/list", ""), nil, 403, mcpauth.ReasonInsufficientScope, []string{"notes:read"}},
		{"prompt", notes, "POST", mcpHeaders("prompts/get", "summarize"), []string{"notes:read"}, 0, "", nil},
		{"unlisted method", notes, "POST", mcpHeaders("ping", ""), nil, 0, "", nil},
		{"denied tool", deny, "POST", mcpHeaders("tools/call", "rm"), []string{"admin"}, 403, ReasonDenied, nil},
		{"allowed tool under deny", deny, "POST", mcpHeaders("tools/call", "search"), nil, 0, "", nil},
		{"tools/call without Mcp-Name", notes, "POST", mcpHeaders("tools/call", ""), []string{"notes:admin"}, 400, ReasonHeadersRequired, nil},
		{"two Mcp-Name", notes, "POST", mcpHeaders("tools/call", "search", HeaderName, "delete_notes"), []string{"notes:admin"}, 400, ReasonHeadersRequired, nil},
		{"Mcp-Name on tools/list", notes, "POST", mcpHeaders("tools/list", "x"), []string{"notes:admin"}, 400, ReasonHeadersRequired, nil},
		{"no Mcp-Method", notes, "POST", mcpHeaders("", ""), []string{"notes:admin"}, 400, ReasonHeadersRequired, nil},
		{"two Mcp-Method", notes, "POST", mcpHeaders("ping", "", HeaderMethod, "tools/call"), []string{"notes:admin"}, 400, ReasonHeadersRequired, nil},
		{"older version", notes, "POST", old, []string{"notes:admin"}, 400, ReasonHeadersRequired, nil},
		{"two versions", notes, "POST", twoVersions, []string{"notes:admin"}, 400, ReasonHeadersRequired, nil},
		{"no version", notes, "POST", noVersion, []string{"notes:admin"}, 400, ReasonHeadersRequired, nil},
		{"later version", notes, "POST", later, []string{"notes:write"}, 0, "", nil},
		{"subscribe with resource rules", notes, "POST", mcpHeaders("resources/subscribe", ""), []string{"notes:admin"}, 400, ReasonHeadersRequired, nil},
		{"subscribe without resource rules", toolsOnly, "POST", mcpHeaders("resources/subscribe", ""), nil, 403, mcpauth.ReasonInsufficientScope, []string{"notes:watch"}},
		{"subscribe with its scope", toolsOnly, "POST", mcpHeaders("resources/subscribe", ""), []string{"notes:watch"}, 0, "", nil},
		{"subscribe under deny", deny, "POST", mcpHeaders("resources/subscribe", ""), nil, 400, ReasonHeadersRequired, nil},
		{"GET has no operation", notes, "GET", nil, nil, 0, "", nil},
		{"DELETE has no operation", notes, "DELETE", nil, nil, 0, "", nil},
		{"nothing to decide", scopesOnly, "POST", nil, nil, 0, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.p.CheckHeaders(tc.method, tc.header, tc.granted)
			if d.Status != tc.status || d.Reason != tc.reason || !slices.Equal(d.Scopes, tc.scopes) {
				t.Fatalf("got %d %q %v (%v), want %d %q %v", d.Status, d.Reason, d.Scopes, d.Err, tc.status, tc.reason, tc.scopes)
			}
			if d.Allowed() {
				return
			}
			var body struct {
				ID    any `json:"id"`
				Error struct {
					Code int `json:"code"`
				} `json:"error"`
			}
			if err := json.Unmarshal(d.Body(nil), &body); err != nil || body.ID != nil || body.Error.Code == 0 {
				t.Errorf("body %s: %v", d.Body(nil), err)
			}
		})
	}
}

func TestIsVersionAtLeast(t *testing.T) {
	for v, want := range map[string]bool{
		"2026-07-28": true, "2027-01-01": true, "2025-11-25": false, "2026-07-2": false,
		"2026-07-28 ": false, "2026/07/28": false, "9999-99-99": true, "202a-07-28": false, "": false,
	} {
		if got := isVersionAtLeast(v, HeaderValidationVersion); got != want {
			t.Errorf("isVersionAtLeast(%q) = %v", v, got)
		}
	}
}
