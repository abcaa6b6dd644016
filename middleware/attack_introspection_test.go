package middleware_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/internal/attacks"
	"github.com/mcpauth/mcpauth/introspect"
	"github.com/mcpauth/mcpauth/middleware"
)

// TestAttackIntrospectionAnswersHTTP sends the token of every hostile
// introspection answer of the shared table to the middleware over HTTP:
// the status and error= of each, 503 with Retry-After whenever the
// endpoint failed, and never the token or the endpoint's answer in the
// response or the logs.
func TestAttackIntrospectionAnswersHTTP(t *testing.T) {
	f, cases := attacks.IntrospectionCases(t)
	v, err := introspect.New(f.Config(), introspect.WithClock(func() time.Time { return f.Now }))
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at, _ := middleware.AccessTokenFrom(r.Context())
		io.WriteString(w, "hello "+at.ClientID)
	})
	srv := httptest.NewServer(middleware.New(v, middleware.WithResourceMetadata(attacks.ResourceMetadata), middleware.WithLogger(logger))(next))
	t.Cleanup(srv.Close)
	s := &attackServer{srv: srv, logs: logs}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			s.logs.take()
			req, err := http.NewRequest(http.MethodGet, srv.URL+"/mcp", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+c.Token)
			r := s.do(t, req, true)
			logged := s.logs.take()
			if c.WantStatus == http.StatusServiceUnavailable {
				if r.status != c.WantStatus || r.header.Get("Retry-After") == "" || !strings.Contains(string(r.body), c.WantError) {
					t.Fatalf("status %d Retry-After %q body %s; want 503 with Retry-After", r.status, r.header.Get("Retry-After"), r.body)
				}
				for _, leak := range []string{c.Token, "internal error", "login", "invalid_client"} {
					if strings.Contains(string(r.body), leak) || strings.Contains(logged, c.Token) {
						t.Fatalf("%q leaked into the response %s or the logs %s", leak, r.body, logged)
					}
				}
				return
			}
			checkAnswer(t, r, logged, c.WantStatus, c.WantError, c.Token)
		})
	}
}
