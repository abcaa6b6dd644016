package policy

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth"
)

// fixedExample is the policy file of the documented shape.
const fixedExample = `{
  "tools":     {"delete_notes": ["notes:write"], "*": ["notes:read"]},
  "resources": {"notes://private/*": ["notes:admin"], "notes://public/readme": []},
  "prompts":   {"summarize": ["notes:read"]},
  "methods":   {"tools/list": ["notes:read"]},
  "implies":   {"notes:admin": ["notes:write"], "notes:write": ["notes:read"]}
}`

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadFileReadsTheDocumentedShape(t *testing.T) {
	p, err := LoadFile(writeFile(t, fixedExample))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		method, name string
		want         []string
	}{
		{"tools/call", "delete_notes", []string{"notes:write"}},
		{"tools/call", "other", []string{"notes:read"}},
		{"resources/read", "notes://private/x", []string{"notes:admin"}},
		{"resources/read", "notes://public/readme", []string{}},
		{"prompts/get", "summarize", []string{"notes:read"}},
		{"tools/list", "", []string{"notes:read"}},
	} {
		got, ok := p.Required(tt.method, tt.name)
		if !ok || !slices.Equal(got, tt.want) {
			t.Errorf("Required(%q, %q) = %q, %v; want %q", tt.method, tt.name, got, ok, tt.want)
		}
	}
	if !p.Grants([]string{"notes:admin"}, "notes:read") {
		t.Error("implies was not loaded")
	}
	if _, err := LoadFile(writeFile(t, `{}`)); err != nil {
		t.Errorf("an empty policy: %v", err)
	}
}

func TestLoadFileErrorsNameThePathAndTheProblem(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{"unknown key", `{"tools":{},"tool":{}}`, `unknown key "tool" (known: tools, resources, prompts, methods, implies)`},
		{"case-variant key", `{"Tools":{}}`, `unknown key "Tools"`},
		{"duplicate key", `{"tools":{"a":["x"]},"tools":{}}`, "equal or differ only in letter case"},
		{"duplicate tool", `{"tools":{"a":["x"],"a":[]}}`, "equal or differ only in letter case"},
		{"malformed scope", `{"tools":{"a":["notes write"]}}`, `tools["a"]: scope "notes write" has a character`},
		{"scope not a string", `{"tools":{"a":[1]}}`, `tools["a"] must be an array of scope strings`},
		{"scopes not an array", `{"tools":{"a":"x"}}`, `tools["a"] must be an array of scope strings`},
		{"null scopes", `{"tools":{"a":null}}`, `tools["a"] must be an array of scope strings`},
		{"member not an object", `{"tools":["a"]}`, `"tools" must be an object`},
		{"null member", `{"implies":null}`, `"implies" must be an object`},
		{"cycle", `{"implies":{"a":["b"],"b":["a"]}}`, "implies has a cycle: a -> b -> a"},
		{"not JSON", `tools: {}`, "not a JSON object"},
		{"trailing data", `{} {}`, "data after its JSON value"},
		{"trailing comma", `{"tools":{},}`, "not JSON"},
		{"invalid UTF-8", "{\"tools\":{\"a\xff\":[]}}", "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".json")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadFile(path)
			if err == nil {
				t.Fatal("LoadFile accepted the file")
			}
			if !errors.Is(err, mcpauth.ErrInvalidConfig) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q: want ErrInvalidConfig, the path and %q", err, tt.want)
			}
		})
	}
}

func TestLoadFileUnreadable(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, []byte(`{"tools":{"a":["`+strings.Repeat("x", maxFileBytes)+`"]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		filepath.Join(dir, "missing.json"): "no such file or directory",
		dir:                                "is a directory",
		big:                                "larger than",
	} {
		_, err := LoadFile(path)
		if err == nil || !errors.Is(err, mcpauth.ErrInvalidConfig) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadFile(%s) = %v; want the path and %q", path, err, want)
		}
	}
}
