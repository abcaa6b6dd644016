package middleware

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth"
)

type parentKey struct{}

// TestRequestContext checks the context the middleware hands on: it carries
// the token, keeps the parent's values and cancellation, and never prints
// the token.
func TestRequestContext(t *testing.T) {
	v := verifierFunc(func(context.Context, string) (*mcpauth.AccessToken, error) {
		return &mcpauth.AccessToken{Token: tokGood, ClientID: "client-1"}, nil
	})
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), parentKey{}, "parent value"))
	var checked bool
	h := New(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		at, ok := AccessTokenFrom(ctx)
		if !ok || at.ClientID != "client-1" {
			t.Errorf("AccessTokenFrom = %v, %v", at, ok)
		}
		if got := ctx.Value(parentKey{}); got != "parent value" {
			t.Errorf("parent value = %v", got)
		}
		for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
			if s := fmt.Sprintf(format, ctx); strings.Contains(s, secret) {
				t.Errorf("%s of the context prints the token: %s", format, s)
			}
		}
		if s := fmt.Sprint(ctx); !strings.Contains(s, "WithValue(middleware.ctxKey") || !strings.Contains(s, "WithCancel") {
			t.Errorf("String() = %s", s)
		}
		select {
		case <-ctx.Done():
			t.Error("done before the parent was cancelled")
		default:
		}
		cancel()
		<-ctx.Done() // the parent's cancellation reaches the handler
		if ctx.Err() != context.Canceled {
			t.Errorf("Err() = %v", ctx.Err())
		}
		checked = true
	}))
	req := httptest.NewRequestWithContext(parent, http.MethodGet, "/mcp", nil)
	req.Header.Set("Authorization", "Bearer "+tokGood)
	h.ServeHTTP(httptest.NewRecorder(), req)
	if !checked {
		t.Fatal("handler not reached")
	}
	if got := withAuthInfo(context.Background(), authInfo{}).(fmt.Stringer).String(); got != "context.Background.WithValue(middleware.ctxKey, *middleware.authInfo)" {
		t.Fatalf("String() = %s", got)
	}
}
