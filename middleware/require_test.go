package middleware

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mcpauth/mcpauth"
)

func TestRequireScopes(t *testing.T) {
	tests := []struct {
		name      string
		auth      string
		route     []string
		status    int
		challenge string
	}{
		{"granted", tokGood, []string{"write", "admin"}, 200, ""},
		{"missing one", tokGood, []string{"write", "delete"}, 403,
			`Bearer realm="mcp", error="insufficient_scope", error_description="the access token lacks a required scope", scope="read write delete", resource_metadata="` + metaURL + `"`},
		{"missing all", tokNoScopes, []string{"read"}, 403, ""}, // rejected by New's own scope first
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, logs := logBuffer()
			var outcomes []Outcome
			mw := New(&fakeVerifier{},
				WithRealm("mcp"),
				WithResourceMetadata(metaURL),
				WithRequiredScopes("read"),
				WithLogger(logger),
				WithObserver(func(_ *http.Request, o Outcome) { outcomes = append(outcomes, o) }),
			)
			h := mw(RequireScopes(tt.route...)(okHandler(t)))
			r := httptest.NewRequest(http.MethodGet, "/tools", nil)
			r.Header.Set("Authorization", "Bearer "+tt.auth)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d", w.Code, tt.status)
			}
			if tt.challenge != "" {
				if got := w.Header().Get("WWW-Authenticate"); got != tt.challenge {
					t.Errorf("WWW-Authenticate = %q\nwant             %q", got, tt.challenge)
				}
				if got, want := w.Body.String(), `{"error":"insufficient_scope","error_description":"the access token lacks a required scope"}`; got != want {
					t.Errorf("body = %s, want %s", got, want)
				}
				if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Content-Type") != "application/json" {
					t.Errorf("headers = %v", w.Header())
				}
				if !strings.Contains(logs.String(), "level=INFO") || !strings.Contains(logs.String(), "reason=insufficient_scope") || !strings.Contains(logs.String(), "client_id=client-1") {
					t.Errorf("log = %q, want an info record for the route refusal", logs)
				}
				// One accepted outcome from New, one refusal from RequireScopes.
				if len(outcomes) != 2 || !outcomes[0].Accepted || outcomes[1].Accepted ||
					outcomes[1].Status != 403 || outcomes[1].Reason != mcpauth.ReasonInsufficientScope || outcomes[1].ClientID != "client-1" ||
					!slices.Equal(outcomes[1].Scopes, []string{"read", "write", "admin"}) {
					t.Errorf("outcomes = %+v", outcomes)
				}
			}
			if containsSecret(w.Body.String(), logs.String(), w.Header().Get("WWW-Authenticate")) {
				t.Error("the token leaked")
			}
		})
	}
}

func TestRequireScopesCachesPerConfig(t *testing.T) {
	route := RequireScopes("admin", "admin")
	h1 := New(&fakeVerifier{}, WithRequiredScopes("read"), WithLogger(slog.New(slog.DiscardHandler)))(route(okHandler(t)))
	h2 := New(&fakeVerifier{}, WithRealm("two"), WithLogger(slog.New(slog.DiscardHandler)))(route(okHandler(t)))
	for i, tt := range []struct {
		h    http.Handler
		want string
	}{
		{h1, `Bearer error="insufficient_scope", error_description="the access token lacks a required scope", scope="read admin"`},
		{h2, `Bearer realm="two", error="insufficient_scope", error_description="the access token lacks a required scope", scope="admin"`},
		{h1, `Bearer error="insufficient_scope", error_description="the access token lacks a required scope", scope="read admin"`},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", "Bearer "+tokReadOnly)
		w := httptest.NewRecorder()
		tt.h.ServeHTTP(w, r)
		if got := w.Header().Get("WWW-Authenticate"); w.Code != 403 || got != tt.want {
			t.Errorf("request %d: %d %q, want 403 %q", i, w.Code, got, tt.want)
		}
	}
}

func TestRequireScopesWithoutMiddleware(t *testing.T) {
	logger, logs := logBuffer()
	old := slog.Default()
	slog.SetDefault(logger)
	t.Cleanup(func() { slog.SetDefault(old) })

	called := false
	h := RequireScopes("read")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
	r := httptest.NewRequest(http.MethodGet, "/tools", nil)
	r.Header.Set("Authorization", "Bearer "+tokGood)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)

	if called {
		t.Error("next handler called without authentication")
	}
	if w.Code != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", w.Code)
	}
	if got, want := w.Body.String(), `{"error":"server_error","error_description":"the server cannot authorize this request"}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	if w.Header().Get("WWW-Authenticate") != "" || w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("headers = %v", w.Header())
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "path=/tools") {
		t.Errorf("log = %q, want an error record", logs)
	}
	if containsSecret(logs.String(), w.Body.String()) {
		t.Error("the token leaked")
	}
}

func TestConcurrentRequests(t *testing.T) {
	h := New(&fakeVerifier{}, WithRequiredScopes("read"), WithLogger(slog.New(slog.DiscardHandler)),
		WithObserver(func(*http.Request, Outcome) {}))(RequireScopes("write")(okHandler(t)))
	cases := []struct {
		token  string
		status int
	}{{tokGood, 200}, {tokReadOnly, 403}, {tokNoScopes, 403}, {"nope", 401}, {tokUnavailable, 503}}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				tc := cases[(i+j)%len(cases)]
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				r.Header.Set("Authorization", "Bearer "+tc.token)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != tc.status {
					t.Errorf("%s: status %d, want %d", tc.token, w.Code, tc.status)
					return
				}
			}
		}()
	}
	wg.Wait()
}
