package mcpauth_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLightPackagesCompileNoThirdPartyModule keeps the vocabulary, the
// middleware and the static verifier free of third-party modules: a user who
// imports only them compiles the standard library and this module, nothing
// else. It runs `go list -deps` and fails on any package path whose first
// element contains a dot (a module path) outside github.com/mcpauth/mcpauth.
func TestLightPackagesCompileNoThirdPartyModule(t *testing.T) {
	light := []string{".", "./middleware", "./static", "./metadata", "./resource", "./policy", "./introspect", "./dpop", "./chain"}
	for _, pkg := range light {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if thirdParty(dep) {
				t.Errorf("%s compiles third-party package %s", pkg, dep)
			}
		}
	}
}

// thirdParty reports whether an import path belongs to a module other than
// the standard library and this one.
func thirdParty(path string) bool {
	if path == "github.com/mcpauth/mcpauth" || strings.HasPrefix(path, "github.com/mcpauth/mcpauth/") {
		return false
	}
	first, _, _ := strings.Cut(path, "/")
	return strings.Contains(first, ".")
}

func TestThirdParty(t *testing.T) {
	for path, want := range map[string]bool{
		"net/http":                          false,
		"vendor/golang.org/x/net/idna":      false,
		"github.com/mcpauth/mcpauth":        false,
		"github.com/mcpauth/mcpauth/static": false,
		"github.com/golang-jwt/jwt/v5":      true,
		"golang.org/x/time/rate":            true,
		"github.com/mcpauth/mcpauthx":       true,
	} {
		if got := thirdParty(path); got != want {
			t.Errorf("thirdParty(%q) = %v, want %v", path, got, want)
		}
	}
}
