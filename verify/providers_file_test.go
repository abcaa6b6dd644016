package verify

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
)

func TestParseProviders(t *testing.T) {
	got, err := ParseProviders([]byte(`[
		{"issuer": "https://a.example.com", "jwks_uri": "https://a.example.com/jwks", "audiences": ["x"],
		 "algorithms": ["RS256"], "required_scopes": ["read", "write"], "leeway": "10s"},
		{"issuer": "https://b.example.com", "public_key": "PEM"},
		{"issuer": "https://c.example.com", "leeway": "0s"}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Provider{
		{Issuer: "https://a.example.com", JWKSURI: "https://a.example.com/jwks", Audiences: []string{"x"},
			Algorithms: []string{"RS256"}, RequiredScopes: []string{"read", "write"}, Leeway: 10 * time.Second},
		{Issuer: "https://b.example.com", PublicKey: "PEM"},
		{Issuer: "https://c.example.com", Leeway: -1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestParseProvidersErrors(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{}`, "not a JSON array"},
		{`[]`, "the array is empty"},
		{`[1]`, "entry 1 is not a JSON object"},
		{`[{"issuer":"a"},{}]`, "entry 2: issuer is required"},
		{`[{"issuer":"a","Issuer":"b"}]`, `entry 1: unknown member "Issuer"`},
		{`[{"issuer":"a","jwks":"x"}]`, `unknown member "jwks"`},
		{`[{"issuer":"a","issuer":"b"}]`, "duplicate member"},
		{`[{"issuer":1}]`, "issuer is not a string"},
		{`[{"issuer":"a","audiences":"x"}]`, "audiences is not an array of strings"},
		{`[{"issuer":"a","algorithms":[1]}]`, "algorithms has a member that is not a string"},
		{`[{"issuer":"a","leeway":"soon"}]`, `leeway "soon" is not`},
		{`[{"issuer":"a","leeway":"-1s"}]`, `leeway "-1s" is not`},
		{`[{"issuer":"a"}] x`, "not a valid JSON array"},
		{`[{"issuer":"a"}], "more": 1`, "not a JSON array of provider objects"},
		{"[{\"issuer\":\"\xff\"}]", "not a valid JSON array"},
		{`[{"issuer":"a"}`, "not a valid JSON array"},
	} {
		_, err := ParseProviders([]byte(tt.in))
		if !errors.Is(err, mcpauth.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseProviders(%s) = %v; want an error containing %q", tt.in, err, tt.want)
		}
	}
}

func TestLoadProviders(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "providers.json")
	if err := os.WriteFile(path, []byte(`[{"issuer":"https://a"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	if ps, err := LoadProviders(path); err != nil || len(ps) != 1 || ps[0].Issuer != "https://a" {
		t.Fatalf("%+v, %v", ps, err)
	}
	_, err := LoadProviders(filepath.Join(dir, "missing.json"))
	if !errors.Is(err, mcpauth.ErrInvalidConfig) || !strings.Contains(err.Error(), "missing.json") {
		t.Fatalf("missing file: %v", err)
	}
	if err := os.WriteFile(path, []byte(`[{"issuer":"https://a","x":1}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadProviders(path); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `unknown member "x"`) {
		t.Fatalf("bad file: %v", err)
	}
}
