package mcpauth_test

import (
	"os/exec"
	"slices"
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

// operatorModules are what only the command needs to meet operators'
// tooling (Envoy's gRPC ext_authz, Prometheus, OpenTelemetry): no library
// package may compile them.
var operatorModules = []string{
	"google.golang.org/grpc",
	"google.golang.org/protobuf",
	"github.com/envoyproxy/",
	"github.com/prometheus/",
	"go.opentelemetry.io/",
}

// TestLibraryCompilesNoOperatorModule keeps gRPC, the Envoy types,
// Prometheus and OpenTelemetry in the command: a user importing any library
// package (middleware, verify, jwks, ...) compiles none of them.
func TestLibraryCompilesNoOperatorModule(t *testing.T) {
	out, err := exec.Command("go", "list", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list ./...: %v\n%s", err, out)
	}
	var library []string
	for _, pkg := range strings.Fields(string(out)) {
		if !strings.HasPrefix(pkg, "github.com/mcpauth/mcpauth/cmd/") {
			library = append(library, pkg)
		}
	}
	if len(library) < 10 || !slices.Contains(library, "github.com/mcpauth/mcpauth/verify") || !slices.Contains(library, "github.com/mcpauth/mcpauth/middleware") {
		t.Fatalf("library packages %v: expected verify, middleware and more", library)
	}
	out, err = exec.Command("go", append([]string{"list", "-deps"}, library...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, m := range operatorModules {
			if strings.HasPrefix(dep, m) {
				t.Errorf("a library package compiles %s", dep)
			}
		}
	}
	// The command does compile them: the check looks at the right names.
	out, err = exec.Command("go", "list", "-deps", "./cmd/mcpauth").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps ./cmd/mcpauth: %v\n%s", err, out)
	}
	cmdDeps := strings.Fields(string(out))
	for _, pkg := range []string{
		"google.golang.org/grpc",
		"github.com/prometheus/client_golang/prometheus",
		"go.opentelemetry.io/otel/sdk/trace",
		"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp",
	} {
		if !slices.Contains(cmdDeps, pkg) {
			t.Errorf("./cmd/mcpauth does not compile %s", pkg)
		}
	}
}

// TestOnlyRedisStoreCompilesGoRedis keeps go-redis out of what a library
// user compiles unless they import dpop/redisstore: no other library
// package (dpop and middleware included) compiles it, and redisstore and
// the command do.
func TestOnlyRedisStoreCompilesGoRedis(t *testing.T) {
	const goRedis = "github.com/redis/go-redis/"
	out, err := exec.Command("go", "list", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list ./...: %v\n%s", err, out)
	}
	var library []string
	for _, pkg := range strings.Fields(string(out)) {
		switch {
		case strings.HasPrefix(pkg, "github.com/mcpauth/mcpauth/cmd/"), pkg == "github.com/mcpauth/mcpauth/dpop/redisstore":
		default:
			library = append(library, pkg)
		}
	}
	if !slices.Contains(library, "github.com/mcpauth/mcpauth/dpop") || !slices.Contains(library, "github.com/mcpauth/mcpauth/middleware") {
		t.Fatalf("library packages %v: expected dpop and middleware", library)
	}
	out, err = exec.Command("go", append([]string{"list", "-deps"}, library...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, goRedis) {
			t.Errorf("a library package other than dpop/redisstore compiles %s", dep)
		}
	}
	for _, pkg := range []string{"./dpop/redisstore", "./cmd/mcpauth"} {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil || !strings.Contains(string(out), goRedis+"v9\n") {
			t.Errorf("%s does not compile %sv9: %v", pkg, goRedis, err)
		}
	}
}
