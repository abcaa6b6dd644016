package policy

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth"
)

// notesConfig is the policy of the Fixed interface example.
func notesConfig() Config {
	return Config{
		Tools:     map[string][]string{"delete_notes": {"notes:write"}, "*": {"notes:read"}},
		Resources: map[string][]string{"notes://private/*": {"notes:admin"}, "notes://public/readme": {}},
		Prompts:   map[string][]string{"summarize": {"notes:read"}},
		Methods:   map[string][]string{"tools/list": {"notes:read"}},
		Implies:   map[string][]string{"notes:admin": {"notes:write"}, "notes:write": {"notes:read"}},
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		opts []Option
		want string
	}{
		{"scope with space", Config{Tools: map[string][]string{"a": {"x y"}}}, nil, `tools["a"]: scope "x y" has a character`},
		{"empty scope", Config{Prompts: map[string][]string{"a": {""}}}, nil, `prompts["a"]: empty scope`},
		{"scope with quote", Config{Methods: map[string][]string{"tools/list": {`a"b`}}}, nil, `methods["tools/list"]: scope`},
		{"non-ASCII scope", Config{Resources: map[string][]string{"x://a": {"é"}}}, nil, `resources["x://a"]: scope`},
		{"offline_access required", Config{Tools: map[string][]string{"a": {"offline_access"}}}, nil, "offline_access cannot be required"},
		{"empty tool name", Config{Tools: map[string][]string{"": {"a"}}}, nil, "tools: empty key"},
		{"control character in name", Config{Tools: map[string][]string{"a\nb": {"a"}}}, nil, "control character"},
		{"star inside resource key", Config{Resources: map[string][]string{"notes://*/x": {"a"}}}, nil, "'*' may only end a resource key"},
		{"ambiguous resource key", Config{Resources: map[string][]string{`notes://a%2Fb`: {"a"}}}, nil, "encoded '/'"},
		{"resource keys equal once normalised", Config{Resources: map[string][]string{"notes://a/x": {"a"}, "NOTES://a/x": {"b"}}}, nil, "same URI once normalised"},
		{"resource prefixes equal once normalised", Config{Resources: map[string][]string{"notes://a/*": {"a"}, "notes://A/*": {"b"}}}, nil, "same prefix once normalised"},
		{"star as method", Config{Methods: map[string][]string{"*": {"a"}}}, nil, "not a JSON-RPC method name"},
		{"cycle", Config{Implies: map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"a"}}}, nil, "implies has a cycle: a -> b -> c -> a"},
		{"self implication", Config{Implies: map[string][]string{"a": {"a"}}}, nil, "implies has a cycle: a -> a"},
		{"empty implication", Config{Implies: map[string][]string{"a": {}}}, nil, `implies["a"]: lists no scope`},
		{"bad implied scope", Config{Implies: map[string][]string{"a": {"b c"}}}, nil, `implies["a"]: scope "b c"`},
		{"bad implying scope", Config{Implies: map[string][]string{"b c": {"a"}}}, nil, `implies["b c"]: scope "b c"`},
		{"nil option", Config{}, []Option{nil}, "nil Option"},
		{"zero body cap", Config{}, []Option{WithMaxBodyBytes(0)}, "WithMaxBodyBytes: 0 is not positive"},
		{"bad prefix", Config{}, []Option{WithScopePrefix("api://x y/")}, "WithScopePrefix"},
		{"scope that is only the prefix", Config{Tools: map[string][]string{"a": {"api://app/"}}}, []Option{WithScopePrefix("api://app/")}, "only the scope prefix"},
		{"cycle through the prefix", Config{Implies: map[string][]string{"api://app/a": {"b"}, "b": {"a"}}}, []Option{WithScopePrefix("api://app/")}, "cycle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(tt.cfg, tt.opts...)
			if err == nil {
				t.Fatalf("New = %v, want an error containing %q", p, tt.want)
			}
			if !errors.Is(err, mcpauth.ErrInvalidConfig) {
				t.Errorf("error %v does not match ErrInvalidConfig", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestMustNewPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustNew did not panic on a cycle")
		}
	}()
	MustNew(Config{Implies: map[string][]string{"a": {"a"}}})
}

func TestRequired(t *testing.T) {
	p := MustNew(notesConfig())
	deny := MustNew(Config{
		Tools:     map[string][]string{"search": {"notes:read"}},
		Resources: map[string][]string{"notes://public/*": {}},
		Prompts:   map[string][]string{"summarize": {}},
	}, WithDenyUnlisted())
	files := MustNew(Config{Resources: map[string][]string{"file:///srv/private/*": {"admin"}}})
	tests := []struct {
		name         string
		p            *Policy
		method, what string
		want         []string
		ok           bool
	}{
		{"listed tool", p, "tools/call", "delete_notes", []string{"notes:write"}, true},
		{"unlisted tool uses *", p, "tools/call", "search_notes", []string{"notes:read"}, true},
		{"tool names are case-sensitive", p, "tools/call", "Delete_Notes", []string{"notes:read"}, true},
		{"method rule", p, "tools/list", "", []string{"notes:read"}, true},
		{"method without rule", p, "initialize", "", nil, true},
		{"listed prompt", p, "prompts/get", "summarize", []string{"notes:read"}, true},
		{"unlisted prompt without *", p, "prompts/get", "other", nil, true},
		{"exact resource with no scope", p, "resources/read", "notes://public/readme", nil, true},
		{"prefix resource", p, "resources/read", "notes://private/a/b", []string{"notes:admin"}, true},
		{"subscribe uses the resource rules", p, "resources/subscribe", "notes://private/a", []string{"notes:admin"}, true},
		{"prefix itself", p, "resources/read", "notes://private/", []string{"notes:admin"}, true},
		{"scheme case", p, "resources/read", "NOTES://private/x", []string{"notes:admin"}, true},
		{"host case", p, "resources/read", "notes://PRIVATE/x", []string{"notes:admin"}, true},
		{"encoded unreserved", p, "resources/read", "notes://%70rivate/x", []string{"notes:admin"}, true},
		{"dot segments", files, "resources/read", "file:///srv/public/../private/x", []string{"admin"}, true},
		{"encoded dot segments", files, "resources/read", "file:///srv/public/%2E%2E/private/x", []string{"admin"}, true},
		{"dot segment inside the prefix", files, "resources/read", "file:///srv/./private/x", []string{"admin"}, true},
		{"dot segments leaving the prefix", files, "resources/read", "file:///srv/private/../public/x", nil, true},
		{"encoded slash is refused", p, "resources/read", "notes://private%2Fx", nil, false},
		{"backslash is refused", p, "resources/read", `notes://public/..\private\x`, nil, false},
		{"malformed escape is refused", p, "resources/read", "notes://private/%zz", nil, false},
		{"unlisted resource", p, "resources/read", "notes://other", nil, true},
		{"deny: listed tool", deny, "tools/call", "search", []string{"notes:read"}, true},
		{"deny: unlisted tool", deny, "tools/call", "delete", nil, false},
		{"deny: unlisted prompt", deny, "prompts/get", "x", nil, false},
		{"deny: listed prompt", deny, "prompts/get", "summarize", nil, true},
		{"deny: listed resource prefix", deny, "resources/read", "notes://public/a", nil, true},
		{"deny: unlisted resource", deny, "resources/read", "notes://private/a", nil, false},
		{"deny: other methods pass", deny, "tools/list", "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.p.Required(tt.method, tt.what)
			if ok != tt.ok || !slices.Equal(got, tt.want) {
				t.Errorf("Required(%q, %q) = %q, %v; want %q, %v", tt.method, tt.what, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestLongestPrefixWins(t *testing.T) {
	p := MustNew(Config{Resources: map[string][]string{
		"notes://*":              {"a"},
		"notes://private/*":      {"b"},
		"notes://private/keys/*": {"c"},
		"notes://private/keys/x": {"d"},
	}})
	for uri, want := range map[string]string{
		"notes://public":           "a",
		"notes://private/y":        "b",
		"notes://private/keys/y":   "c",
		"notes://private/keys/x":   "d",
		"notes://private/keys/x/z": "c",
	} {
		got, _ := p.Required("resources/read", uri)
		if !slices.Equal(got, []string{want}) {
			t.Errorf("%s needs %q, want %q", uri, got, want)
		}
	}
}

func TestMethodScopesAddToOperationScopes(t *testing.T) {
	p := MustNew(Config{
		Tools:   map[string][]string{"delete": {"w"}},
		Methods: map[string][]string{"tools/call": {"mcp"}},
	})
	got, _ := p.Required("tools/call", "delete")
	if !slices.Equal(got, []string{"mcp", "w"}) {
		t.Errorf("got %q, want [mcp w]", got)
	}
}

func TestGrantsAppliesTheHierarchyTransitively(t *testing.T) {
	p := MustNew(notesConfig())
	tests := []struct {
		granted  []string
		required []string
		want     bool
	}{
		{[]string{"notes:read"}, []string{"notes:read"}, true},
		{[]string{"notes:read"}, []string{"notes:write"}, false},
		{[]string{"notes:write"}, []string{"notes:read"}, true},
		{[]string{"notes:admin"}, []string{"notes:read", "notes:write", "notes:admin"}, true},
		{[]string{"notes:read", "notes:write"}, []string{"notes:admin"}, false},
		{nil, []string{"notes:read"}, false},
		{nil, nil, true},
		{[]string{"NOTES:READ"}, []string{"notes:read"}, false},
	}
	for _, tt := range tests {
		if got := p.Grants(tt.granted, tt.required...); got != tt.want {
			t.Errorf("Grants(%q, %q) = %v, want %v", tt.granted, tt.required, got, tt.want)
		}
	}
}

func TestScopePrefix(t *testing.T) {
	const prefix = "api://app-id/"
	p := MustNew(Config{
		Tools:   map[string][]string{"delete": {"api://app-id/notes.write"}, "*": {"notes.read"}},
		Implies: map[string][]string{"api://app-id/notes.write": {"notes.read"}},
	}, WithScopePrefix(prefix))
	if got, _ := p.Required("tools/call", "delete"); !slices.Equal(got, []string{"notes.write"}) {
		t.Errorf("Required = %q, want the short form", got)
	}
	for _, granted := range [][]string{{"notes.write"}, {"api://app-id/notes.write"}} {
		if !p.Grants(granted, "notes.read", "api://app-id/notes.read", "notes.write") {
			t.Errorf("%q should grant notes.read and notes.write in either form", granted)
		}
	}
	if p.Grants([]string{"api://other/notes.write"}, "notes.write") {
		t.Error("a scope with another prefix must not count")
	}
	if got := p.EffectiveScopes([]string{"api://app-id/notes.write", "openid"}); !slices.Equal(got, []string{"notes.write", "openid", "notes.read"}) {
		t.Errorf("EffectiveScopes = %q", got)
	}
	if got := p.Advertised([]string{"notes.read", "api://app-id/notes.write", "offline_access", "notes.read"}); !slices.Equal(got, []string{"api://app-id/notes.read", "api://app-id/notes.write"}) {
		t.Errorf("Advertised = %q", got)
	}
	if got := p.Scopes(); !slices.Equal(got, []string{"notes.read", "notes.write"}) {
		t.Errorf("Scopes = %q", got)
	}
}

func TestEffectiveScopes(t *testing.T) {
	p := MustNew(notesConfig())
	in := []string{"openid", "notes:read"}
	if got := p.EffectiveScopes(in); &got[0] != &in[0] {
		t.Errorf("EffectiveScopes copied %q although nothing is implied", got)
	}
	if got := p.EffectiveScopes([]string{"notes:admin", "openid"}); !slices.Equal(got, []string{"notes:admin", "openid", "notes:read", "notes:write"}) {
		t.Errorf("EffectiveScopes = %q", got)
	}
	// AppendEffectiveScopes appends after what dst holds, without
	// dropping a scope that dst already has, and leaves dst alone when
	// nothing changes.
	dst := []string{"x", "notes:read"}
	got, changed := p.AppendEffectiveScopes(dst, []string{"notes:write", "notes:write"})
	if !changed || !slices.Equal(got, []string{"x", "notes:read", "notes:write", "notes:read"}) {
		t.Errorf("AppendEffectiveScopes = %q, %v", got, changed)
	}
	if got, changed := p.AppendEffectiveScopes(dst, in); changed || !slices.Equal(got, dst) {
		t.Errorf("AppendEffectiveScopes without a change = %q, %v", got, changed)
	}
}

func TestAdvertiseDropsOfflineAccess(t *testing.T) {
	if got := Advertise("", []string{"a", "offline_access", "b", "a", ""}); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Advertise = %q", got)
	}
	var nilPolicy *Policy
	if got := nilPolicy.Advertised([]string{"offline_access", "x"}); !slices.Equal(got, []string{"x"}) {
		t.Errorf("nil Policy Advertised = %q", got)
	}
}

func TestNeedsBody(t *testing.T) {
	for _, tt := range []struct {
		name string
		p    *Policy
		want bool
	}{
		{"empty", MustNew(Config{}), false},
		{"only empty scope lists and implications", MustNew(Config{Tools: map[string][]string{"*": {}}, Implies: map[string][]string{"a": {"b"}}}), false},
		{"a rule", MustNew(Config{Methods: map[string][]string{"tools/list": {"a"}}}), true},
		{"deny unlisted", MustNew(Config{}, WithDenyUnlisted()), true},
	} {
		if got := tt.p.NeedsBody(); got != tt.want {
			t.Errorf("%s: NeedsBody = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNormalizeURI(t *testing.T) {
	for in, want := range map[string]string{
		"notes://Host/A/./b/../c?Q=%7e#F": "notes://host/A/c?Q=~#F",
		"HTTP://u@EXAMPLE.com/%7euser":    "http://u@example.com/~user",
		"urn:x:%c3%a9":                    "urn:x:%C3%A9",
		"a/../../b":                       "b",
		"/a/b/..":                         "/a/",
		"no-scheme":                       "no-scheme",
	} {
		got, err := normalizeURI(in)
		if err != nil || got != want {
			t.Errorf("normalizeURI(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"a%2fb", "a%5Cb", `a\b`, "a%", "a%4", "a%g0"} {
		if got, err := normalizeURI(in); err == nil {
			t.Errorf("normalizeURI(%q) = %q, want an error", in, got)
		}
	}
}
