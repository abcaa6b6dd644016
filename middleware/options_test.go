package middleware

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
)

// TestBadConfiguration: every invalid option makes NewChecked (and
// RequireScopesChecked) return an error matching mcpauth.ErrInvalidConfig
// that names the option, and New (RequireScopes), their Must forms, panic
// with that same error.
func TestBadConfiguration(t *testing.T) {
	v := &fakeVerifier{}
	newBoth := func(v mcpauth.TokenVerifier, opts ...Option) (func() error, func()) {
		return func() error { _, err := NewChecked(v, opts...); return err }, func() { New(v, opts...) }
	}
	requireBoth := func(scopes ...string) (func() error, func()) {
		return func() error { _, err := RequireScopesChecked(scopes...); return err }, func() { RequireScopes(scopes...) }
	}
	type pair struct {
		checked func() error
		must    func()
	}
	mk := func(c func() error, m func()) pair { return pair{c, m} }
	tests := []struct {
		name string
		f    pair
		want string
	}{
		{"nil verifier", mk(newBoth(nil)), "middleware: nil verifier"},
		{"nil option", mk(newBoth(v, WithRealm("x"), nil)), "middleware: Option 1 is nil"},
		{"empty scope", mk(newBoth(v, WithRequiredScopes("read", ""))), "WithRequiredScopes: empty scope"},
		{"scope with space", mk(newBoth(v, WithRequiredScopes("read write"))), `WithRequiredScopes: scope "read write"`},
		{"scope with quote", mk(newBoth(v, WithRequiredScopes(`a"b`))), "WithRequiredScopes: scope"},
		{"scope with backslash", mk(newBoth(v, WithRequiredScopes(`a\b`))), "WithRequiredScopes: scope"},
		{"scope non-ASCII", mk(newBoth(v, WithRequiredScopes("é"))), "WithRequiredScopes: scope"},
		{"metadata relative", mk(newBoth(v, WithResourceMetadata("/.well-known/oauth-protected-resource"))), "is not absolute (no scheme)"},
		{"metadata no scheme", mk(newBoth(v, WithResourceMetadata("mcp.example.com/x"))), "is not absolute (no scheme)"},
		{"metadata ftp", mk(newBoth(v, WithResourceMetadata("ftp://mcp.example.com/x"))), `has scheme "ftp"`},
		{"metadata javascript", mk(newBoth(v, WithResourceMetadata("javascript:alert(1)"))), `has scheme "javascript"`},
		{"metadata opaque", mk(newBoth(v, WithResourceMetadata("https:mcp.example.com"))), "is not hierarchical"},
		{"metadata no host", mk(newBoth(v, WithResourceMetadata("https:///x"))), "has no host"},
		{"metadata user info", mk(newBoth(v, WithResourceMetadata("https://u:p@mcp.example.com/x"))), "user information"},
		{"metadata fragment", mk(newBoth(v, WithResourceMetadata("https://mcp.example.com/x#y"))), "fragment"},
		{"metadata empty fragment", mk(newBoth(v, WithResourceMetadata("https://mcp.example.com/x#"))), "fragment"},
		{"metadata quote", mk(newBoth(v, WithResourceMetadata(`https://mcp.example.com/"x`))), "character not allowed"},
		{"metadata backslash", mk(newBoth(v, WithResourceMetadata(`https://mcp.example.com/\x`))), "character not allowed"},
		{"metadata space", mk(newBoth(v, WithResourceMetadata("https://mcp.example.com/ x"))), "character not allowed"},
		{"metadata CRLF", mk(newBoth(v, WithResourceMetadata("https://mcp.example.com/\r\nX: y"))), "character not allowed"},
		{"metadata non-ASCII", mk(newBoth(v, WithResourceMetadata("https://mcp.example.com/é"))), "character not allowed"},
		{"metadata bad escape", mk(newBoth(v, WithResourceMetadata("https://mcp.example.com/%zz"))), "is not a URL"},
		{"realm quote", mk(newBoth(v, WithRealm(`a"b`))), "WithRealm"},
		{"realm backslash", mk(newBoth(v, WithRealm(`a\b`))), "WithRealm"},
		{"realm newline", mk(newBoth(v, WithRealm("a\nb"))), "WithRealm"},
		{"realm non-ASCII", mk(newBoth(v, WithRealm("é"))), "WithRealm"},
		{"retry after zero", mk(newBoth(v, WithRetryAfter(0))), "WithRetryAfter: 0s is not positive"},
		{"retry after negative", mk(newBoth(v, WithRetryAfter(-time.Second))), "WithRetryAfter: -1s is not positive"},
		{"RequireScopes none", mk(requireBoth()), "middleware: RequireScopes: no scopes"},
		{"RequireScopes empty", mk(requireBoth("")), "middleware: RequireScopes: empty scope"},
		{"RequireScopes bad", mk(requireBoth("a b")), `middleware: RequireScopes: scope "a b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.f.checked()
			if !errors.Is(err, mcpauth.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("checked form: error %v; want ErrInvalidConfig containing %q", err, tt.want)
			}
			defer func() {
				r := recover()
				perr, ok := r.(error)
				if !ok || perr.Error() != err.Error() || !errors.Is(perr, mcpauth.ErrInvalidConfig) {
					t.Errorf("Must form panicked with %v; want the checked form's error %v", r, err)
				}
			}()
			tt.f.must()
		})
	}
}

func TestNilHandlerPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"New":                  func() { New(&fakeVerifier{})(nil) },
		"NewChecked":           func() { m, _ := NewChecked(&fakeVerifier{}); m(nil) },
		"RequireScopes":        func() { RequireScopes("a")(nil) },
		"RequireScopesChecked": func() { m, _ := RequireScopesChecked("a"); m(nil) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); fmt.Sprint(r) != "middleware: nil handler" {
					t.Errorf("panic %v; want middleware: nil handler", r)
				}
			}()
			f()
		})
	}
}

func TestNewAcceptsGoodConfiguration(t *testing.T) {
	v := &fakeVerifier{}
	for _, opts := range [][]Option{
		nil,
		{WithResourceMetadata("")},
		{WithRealm("")},
		{WithRealm("MCP server 1!")},
		{WithResourceMetadata("http://127.0.0.1:8080/.well-known/oauth-protected-resource")},
		{WithResourceMetadata("https://mcp.example.com/.well-known/oauth-protected-resource/mcp?x=1")},
		{WithRequiredScopes("files:read", "https://graph.example/x.y", "a!#$%&'()*+,-./:;<=>?@[]^_`{|}~")},
		{WithRetryAfter(time.Millisecond), WithLogger(nil), WithObserver(nil), WithCORSPreflight()},
	} {
		New(v, opts...)(http.NotFoundHandler())
	}
}
