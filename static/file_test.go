package static

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth"
)

func TestParseTokens(t *testing.T) {
	in := `
	{
	  "dev-token-alice": {"client_id": "alice", "scopes": ["read", "write"], "sub": "alice@example.com"},
	  "dev-token-ci":    {"client_id": "ci", "scopes": ["read"], "expires_at": 1893456000},
	  "dev-token-nulls": {"client_id": "n", "scopes": null, "expires_at": null, "sub": null},
	  "dev-token-\u0062": {"client_id": "escaped"}
	}
	`
	got, err := ParseTokens(strings.NewReader(in))
	if err != nil {
		t.Fatalf("ParseTokens: %v", err)
	}
	want := map[string]Token{
		"dev-token-alice": {ClientID: "alice", Scopes: []string{"read", "write"}, Subject: "alice@example.com"},
		"dev-token-ci":    {ClientID: "ci", Scopes: []string{"read"}, ExpiresAt: 1893456000},
		"dev-token-nulls": {ClientID: "n"},
		"dev-token-b":     {ClientID: "escaped"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
	if _, err := NewTokenVerifier(got); err != nil {
		t.Errorf("NewTokenVerifier refused a parsed table: %v", err)
	}
}

func TestParseTokensErrors(t *testing.T) {
	const s = secret
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty input", ``, "unexpected end of input"},
		{"array", `["` + s + `"]`, `top level: expected "{"`},
		{"null", `null`, `top level: expected "{"`},
		{"string", `"` + s + `"`, `top level: expected "{"`},
		{"empty object", `{}`, "no tokens configured"},
		{"duplicate token", `{"` + s + `": {"client_id": "a"}, "` + s + `": {"client_id": "b"}}`, "entry 2: duplicate token (the same as entry 1)"},
		{"duplicate token via escape", `{"` + s + `b": {"client_id": "a"}, "` + s + `\u0062": {"client_id": "b"}}`, "entry 2: duplicate token"},
		{"unknown member", `{"` + s + `": {"client_id": "a", "scope": "read"}}`, `entry 1 (client_id "a"): unknown member "scope"`},
		{"case-variant member", `{"` + s + `": {"Client_ID": "a"}}`, `entry 1: unknown member "Client_ID"`},
		{"duplicate member", `{"` + s + `": {"client_id": "a", "client_id": "b"}}`, `duplicate member "client_id"`},
		{"expires_at string", `{"` + s + `": {"client_id": "a", "expires_at": "1893456000"}}`, `member "expires_at": wrong JSON type (string)`},
		{"expires_at float", `{"` + s + `": {"client_id": "a", "expires_at": 1.5}}`, `member "expires_at": wrong JSON type`},
		{"expires_at overflow", `{"` + s + `": {"client_id": "a", "expires_at": 1e300}}`, `member "expires_at": wrong JSON type`},
		{"negative expires_at", `{"` + s + `": {"client_id": "a", "expires_at": -5}}`, "negative expires_at"},
		{"scopes string", `{"` + s + `": {"client_id": "a", "scopes": "read write"}}`, `member "scopes": wrong JSON type`},
		{"scopes numbers", `{"` + s + `": {"client_id": "a", "scopes": [1]}}`, `member "scopes": wrong JSON type`},
		{"entry not object", `{"` + s + `": "alice"}`, `entry 1: value: expected "{"`},
		{"missing client_id", `{"` + s + `": {"scopes": ["read"]}}`, "entry 1: a token has no client_id"},
		{"empty scope", `{"` + s + `": {"client_id": "a", "scopes": [""]}}`, "entry 1: token of client_id \"a\": empty scope"},
		{"empty token", `{"": {"client_id": "a"}}`, "entry 1: token of client_id \"a\": empty token"},
		{"token with space", `{"` + s + ` x": {"client_id": "a"}}`, "contains whitespace"},
		{"token with escaped NUL", `{"` + s + `\u0000": {"client_id": "a"}}`, "control character"},
		{"token with lone surrogate", `{"` + s + `\ud800": {"client_id": "a"}}`, "U+FFFD"},
		{"sub with lone surrogate", `{"` + s + `": {"client_id": "a", "sub": "\ud800"}}`, "unpaired UTF-16 surrogate"},
		{"client_id with lone surrogate", `{"` + s + `": {"client_id": "a\udc00"}}`, "unpaired UTF-16 surrogate"},
		{"raw control char in key", "{\"" + s + "\x01\": {\"client_id\": \"a\"}}", "entry 1: malformed JSON at byte offset"},
		{"invalid UTF-8", "{\"" + s + "\xff\": {\"client_id\": \"a\"}}", "not valid UTF-8"},
		{"trailing object", `{"` + s + `": {"client_id": "a"}} {}`, "unexpected data after the object"},
		{"trailing garbage", `{"` + s + `": {"client_id": "a"}}x`, "unexpected data after the object"},
		{"truncated", `{"` + s + `": {"client_id": "a"`, "unexpected end of input"},
		{"missing comma", `{"` + s + `": {"client_id": "a"} "` + s + `2": {"client_id": "b"}}`, "malformed JSON"},
		{"too large", `{"` + s + `": {"client_id": "` + strings.Repeat("a", MaxFileBytes) + `"}}`, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTokens(strings.NewReader(tt.in))
			if err == nil {
				t.Fatalf("ParseTokens = %v, want error", got)
			}
			if !errors.Is(err, mcpauth.ErrInvalidConfig) {
				t.Errorf("error %v does not match mcpauth.ErrInvalidConfig", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q contains the token", err)
			}
		})
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	if err := os.WriteFile(good, []byte(`{"tok": {"client_id": "a", "scopes": ["read"]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := LoadFile(good)
	if err != nil {
		t.Fatalf("LoadFile: %v", err)
	}
	if want := map[string]Token{"tok": {ClientID: "a", Scopes: []string{"read"}}}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}

	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"`+secret+`": {}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadFile(bad)
	if !errors.Is(err, mcpauth.ErrInvalidConfig) || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "no client_id") {
		t.Errorf("LoadFile(bad) error = %v, want an ErrInvalidConfig naming the file and the problem", err)
	}
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Errorf("error %q contains the token", err)
	}

	_, err = LoadFile(filepath.Join(dir, "missing.json"))
	if !errors.Is(err, mcpauth.ErrInvalidConfig) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadFile(missing) error = %v, want ErrInvalidConfig and fs.ErrNotExist", err)
	}
}
