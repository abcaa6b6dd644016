package verify

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth"
)

func TestProvidersFileVariable(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "providers.json")
	if err := os.WriteFile(good, []byte(`[{"issuer":"https://a.example.com","jwks_uri":"https://a.example.com/jwks"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := SettingsFromMap(EnvPrefix, map[string]string{EnvPrefix + "PROVIDERS_FILE": good, EnvPrefix + "AUDIENCE": "x"})
	if err != nil || len(s.Providers) != 1 || s.Providers[0].JWKSURI != "https://a.example.com/jwks" {
		t.Fatalf("%+v, %v", s.Providers, err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`[{"issuer":"https://a","jwks":"x"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{bad: `unknown member "jwks"`, filepath.Join(dir, "none.json"): "none.json"} {
		_, err := SettingsFromMap(EnvPrefix, map[string]string{EnvPrefix + "PROVIDERS_FILE": path})
		if !errors.Is(err, mcpauth.ErrInvalidConfig) || !strings.Contains(err.Error(), "MCPAUTH_JWT_PROVIDERS_FILE") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want an error naming the variable and %q", path, err, want)
		}
	}
}
