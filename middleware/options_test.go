package middleware

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestNewPanicsOnBadConfiguration(t *testing.T) {
	v := &fakeVerifier{}
	tests := []struct {
		name string
		f    func()
		want string
	}{
		{"nil verifier", func() { New(nil) }, "middleware.New: nil verifier"},
		{"nil option", func() { New(v, nil) }, "middleware.New: nil Option"},
		{"nil handler", func() { New(v)(nil) }, "middleware.New: nil handler"},
		{"empty scope", func() { New(v, WithRequiredScopes("read", "")) }, "WithRequiredScopes: empty scope"},
		{"scope with space", func() { New(v, WithRequiredScopes("read write")) }, `WithRequiredScopes: scope "read write"`},
		{"scope with quote", func() { New(v, WithRequiredScopes(`a"b`)) }, "WithRequiredScopes: scope"},
		{"scope with backslash", func() { New(v, WithRequiredScopes(`a\b`)) }, "WithRequiredScopes: scope"},
		{"scope non-ASCII", func() { New(v, WithRequiredScopes("é")) }, "WithRequiredScopes: scope"},
		{"metadata relative", func() { New(v, WithResourceMetadata("/.well-known/oauth-protected-resource")) }, "not an absolute http or https URL"},
		{"metadata no scheme", func() { New(v, WithResourceMetadata("mcp.example.com/x")) }, "not an absolute http or https URL"},
		{"metadata ftp", func() { New(v, WithResourceMetadata("ftp://mcp.example.com/x")) }, "not an absolute http or https URL"},
		{"metadata javascript", func() { New(v, WithResourceMetadata("javascript:alert(1)")) }, "not an absolute http or https URL"},
		{"metadata opaque", func() { New(v, WithResourceMetadata("https:mcp.example.com")) }, "has no host"},
		{"metadata no host", func() { New(v, WithResourceMetadata("https:///x")) }, "has no host"},
		{"metadata user info", func() { New(v, WithResourceMetadata("https://u:p@mcp.example.com/x")) }, "user information"},
		{"metadata fragment", func() { New(v, WithResourceMetadata("https://mcp.example.com/x#y")) }, "fragment"},
		{"metadata empty fragment", func() { New(v, WithResourceMetadata("https://mcp.example.com/x#")) }, "fragment"},
		{"metadata quote", func() { New(v, WithResourceMetadata(`https://mcp.example.com/"x`)) }, "character not allowed"},
		{"metadata backslash", func() { New(v, WithResourceMetadata(`https://mcp.example.com/\x`)) }, "character not allowed"},
		{"metadata space", func() { New(v, WithResourceMetadata("https://mcp.example.com/ x")) }, "character not allowed"},
		{"metadata CRLF", func() { New(v, WithResourceMetadata("https://mcp.example.com/\r\nX: y")) }, "character not allowed"},
		{"metadata non-ASCII", func() { New(v, WithResourceMetadata("https://mcp.example.com/é")) }, "character not allowed"},
		{"metadata bad escape", func() { New(v, WithResourceMetadata("https://mcp.example.com/%zz")) }, "is not a URL"},
		{"realm quote", func() { New(v, WithRealm(`a"b`)) }, "WithRealm"},
		{"realm backslash", func() { New(v, WithRealm(`a\b`)) }, "WithRealm"},
		{"realm newline", func() { New(v, WithRealm("a\nb")) }, "WithRealm"},
		{"realm non-ASCII", func() { New(v, WithRealm("é")) }, "WithRealm"},
		{"retry after zero", func() { New(v, WithRetryAfter(0)) }, "WithRetryAfter: 0s is not positive"},
		{"retry after negative", func() { New(v, WithRetryAfter(-time.Second)) }, "WithRetryAfter: -1s is not positive"},
		{"RequireScopes none", func() { RequireScopes() }, "middleware.RequireScopes: no scopes"},
		{"RequireScopes empty", func() { RequireScopes("") }, "middleware.RequireScopes: empty scope"},
		{"RequireScopes bad", func() { RequireScopes("a b") }, `middleware.RequireScopes: scope "a b"`},
		{"RequireScopes nil handler", func() { RequireScopes("a")(nil) }, "middleware.RequireScopes: nil handler"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil {
					t.Fatal("no panic")
				}
				if msg := fmt.Sprint(r); !strings.Contains(msg, tt.want) {
					t.Errorf("panic %q does not contain %q", msg, tt.want)
				}
			}()
			tt.f()
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
