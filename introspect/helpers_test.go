package introspect

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
)

const (
	testIssuer   = "https://as.example.com"
	testAudience = "https://mcp.example.com/mcp"
	testClient   = "rs client"
	testSecret   = "s3cret:+/&"
)

var testNow = time.Unix(1_700_000_000, 0)

// clock is an adjustable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: testNow} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// authServer is a fake introspection endpoint. answer decides the response
// for each token; requests are counted.
type authServer struct {
	*httptest.Server
	calls  atomic.Int64
	mu     sync.Mutex
	answer func(w http.ResponseWriter, r *http.Request, token string)
	last   *http.Request
	form   url.Values
}

// activeAnswer is a typical positive answer at testNow.
func activeAnswer() map[string]any {
	return map[string]any{
		"active":     true,
		"client_id":  "client-1",
		"sub":        "user-1",
		"scope":      "read write",
		"iss":        testIssuer,
		"aud":        testAudience,
		"exp":        testNow.Add(time.Hour).Unix(),
		"iat":        testNow.Add(-time.Minute).Unix(),
		"token_type": "Bearer",
		"ext":        map[string]any{"tenant": "t1"},
	}
}

// writeJSON writes v as an application/json 200 answer.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

// writeRaw writes body as an application/json 200 answer.
func writeRaw(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, body)
}

func newAuthServer(t testing.TB, answer func(w http.ResponseWriter, r *http.Request, token string)) *authServer {
	t.Helper()
	s := &authServer{answer: answer}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		if r.Method != http.MethodPost || r.URL.Path != "/introspect" {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.last, s.form = r, r.PostForm
		s.mu.Unlock()
		s.answer(w, r, r.PostForm.Get("token"))
	}))
	t.Cleanup(s.Close)
	return s
}

// answerWith answers every token with the same JSON value.
func answerWith(v any) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, _ *http.Request, _ string) { writeJSON(w, v) }
}

func (s *authServer) endpoint() string { return s.URL + "/introspect" }

// testConfig returns a valid configuration for s.
func testConfig(s *authServer) Config {
	return Config{
		Endpoint:     s.endpoint(),
		Issuer:       testIssuer,
		Audiences:    []string{testAudience},
		ClientID:     testClient,
		ClientSecret: testSecret,
	}
}

func newVerifier(t testing.TB, c Config, clk *clock) *Verifier {
	t.Helper()
	if clk == nil {
		clk = newClock()
	}
	v, err := New(c, WithClock(clk.Now), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

// wantReason fails unless err is an InvalidTokenError with reason r.
func wantReason(t testing.TB, err error, r mcpauth.Reason) {
	t.Helper()
	var ite *mcpauth.InvalidTokenError
	if !errors.As(err, &ite) || ite.Reason != r {
		t.Fatalf("error = %v; want an invalid token error with reason %q", err, r)
	}
	if errors.Is(err, mcpauth.ErrKeySourceUnavailable) || errors.Is(err, mcpauth.ErrInsufficientScope) {
		t.Fatalf("error %v matches more than one sentinel", err)
	}
}

// wantUnavailable fails unless err matches only ErrKeySourceUnavailable.
func wantUnavailable(t testing.TB, err error) {
	t.Helper()
	if !errors.Is(err, mcpauth.ErrKeySourceUnavailable) {
		t.Fatalf("error = %v; want ErrKeySourceUnavailable (503)", err)
	}
	if errors.Is(err, mcpauth.ErrInvalidToken) || errors.Is(err, mcpauth.ErrInsufficientScope) {
		t.Fatalf("error %v matches more than one sentinel", err)
	}
}
