package middleware_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/internal/attacks"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/verify"
)

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// take returns the logs written so far and empties the buffer.
func (b *lockedBuffer) take() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	b.buf.Reset()
	return s
}

// attackServer is the middleware of one variant over HTTP.
type attackServer struct {
	handler http.Handler
	srv     *httptest.Server
	logs    *lockedBuffer
}

func newAttackServer(t *testing.T, f *attacks.Fixture, variant attacks.Variant) *attackServer {
	t.Helper()
	v, err := verify.NewJWTVerifier(f.Settings(variant), verify.WithClock(func() time.Time { return f.Now }))
	if err != nil {
		t.Fatalf("%s: %v", variant, err)
	}
	t.Cleanup(func() { v.Close() })
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at, ok := middleware.AccessTokenFrom(r.Context())
		if !ok {
			t.Error("handler reached without an access token")
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "hello "+at.ClientID)
	})
	h := middleware.New(v, middleware.WithResourceMetadata(attacks.ResourceMetadata), middleware.WithLogger(logger))(next)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &attackServer{handler: h, srv: srv, logs: logs}
}

// response is what a test checks of an answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (s *attackServer) do(t *testing.T, req *http.Request, overWire bool) response {
	t.Helper()
	if !overWire {
		rec := httptest.NewRecorder()
		s.handler.ServeHTTP(rec, req)
		return response{rec.Code, rec.Header(), rec.Body.Bytes()}
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, body}
}

var challengeParam = regexp.MustCompile(`([a-z_]+)="([^"]*)"`)

// checkAnswer asserts the status, the challenge's error parameter, the
// JSON body and that secret appears neither in the response nor in logs.
func checkAnswer(t *testing.T, r response, logs string, wantStatus int, wantError, secret string) {
	t.Helper()
	if r.status != wantStatus {
		t.Fatalf("status %d; want %d (body %s)", r.status, wantStatus, r.body)
	}
	if secret != "" && len(secret) >= 16 {
		dump := string(r.body) + "\n" + logs
		for k, vs := range r.header {
			dump += "\n" + k + ": " + strings.Join(vs, ", ")
		}
		if strings.Contains(dump, secret) {
			t.Fatalf("the token appears in the response or the logs:\n%s", dump)
		}
		for _, seg := range strings.Split(secret, ".") {
			if len(seg) >= 16 && strings.Contains(dump, seg) {
				t.Fatalf("a token segment appears in the response or the logs:\n%s", dump)
			}
		}
	}
	if wantStatus == http.StatusOK {
		if !strings.HasPrefix(string(r.body), "hello ") {
			t.Fatalf("body %q; want the next handler's", r.body)
		}
		if c := r.header.Get("WWW-Authenticate"); c != "" {
			t.Fatalf("challenge %q on success", c)
		}
		return
	}
	challenges := r.header.Values("WWW-Authenticate")
	if len(challenges) != 1 {
		t.Fatalf("WWW-Authenticate %q; want exactly one challenge", challenges)
	}
	c := challenges[0]
	if !strings.HasPrefix(c, "Bearer ") {
		t.Fatalf("challenge %q is not a Bearer challenge", c)
	}
	params := map[string]string{}
	for _, m := range challengeParam.FindAllStringSubmatch(c, -1) {
		if _, dup := params[m[1]]; dup {
			t.Fatalf("challenge %q repeats %s", c, m[1])
		}
		params[m[1]] = m[2]
	}
	if got, ok := params["error"]; got != wantError || ok != (wantError != "") {
		t.Fatalf("challenge %q: error=%q (present %v); want %q", c, got, ok, wantError)
	}
	if params["resource_metadata"] != attacks.ResourceMetadata {
		t.Fatalf("challenge %q: resource_metadata missing or wrong", c)
	}
	if params["scope"] != attacks.RequiredScope {
		t.Fatalf("challenge %q: scope=%q; want %q", c, params["scope"], attacks.RequiredScope)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q", ct)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("Cache-Control %q; want no-store", cc)
	}
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("body %q is not JSON: %v", r.body, err)
	}
	wantBody := wantError
	if wantBody == "" {
		wantBody = "invalid_token" // no credentials: no error in the challenge, but the body needs a code
	}
	if body.Error != wantBody || body.Description == "" {
		t.Fatalf("body %+v; want error %q with a description", body, wantBody)
	}
	if desc := params["error_description"]; wantError != "" && desc != body.Description {
		t.Fatalf("error_description %q in the challenge, %q in the body", desc, body.Description)
	}
}

// TestAttackTokensHTTP sends every token of the shared attack table
// (internal/attacks) to the middleware over HTTP and asserts the status,
// the exact error= of the challenge, the JSON body, and that the token
// appears neither in the response nor in the logs.
func TestAttackTokensHTTP(t *testing.T) {
	f, cases := attacks.Cases(t)
	servers := map[attacks.Variant]*attackServer{
		attacks.PEM:  newAttackServer(t, f, attacks.PEM),
		attacks.JWKS: newAttackServer(t, f, attacks.JWKS),

		attacks.Providers: newAttackServer(t, f, attacks.Providers),
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			s := servers[c.Variant]
			s.logs.take()
			wire := c.SendableInHeader()
			var req *http.Request
			if wire {
				var err error
				if req, err = http.NewRequest(http.MethodGet, s.srv.URL+"/mcp", nil); err != nil {
					t.Fatal(err)
				}
			} else {
				req = httptest.NewRequest(http.MethodGet, "/mcp", nil)
			}
			req.Header.Set("Authorization", "Bearer "+c.Token)
			r := s.do(t, req, wire)
			checkAnswer(t, r, s.logs.take(), c.WantStatus, c.WantError, c.Token)
		})
	}
}

// TestAttackRequestsHTTP sends the request-level cases of the shared table
// (several Authorization headers, query-string and form tokens, other
// schemes) to the middleware over HTTP.
func TestAttackRequestsHTTP(t *testing.T) {
	f, _ := attacks.Cases(t)
	s := newAttackServer(t, f, attacks.PEM)
	for _, c := range attacks.HTTPCases(f) {
		t.Run(c.Name, func(t *testing.T) {
			s.logs.take()
			method, target := c.Method, s.srv.URL+"/mcp"
			if method == "" {
				method = http.MethodGet
			}
			if c.Query != "" {
				target += "?" + c.Query
			}
			var body io.Reader
			if len(c.Form) > 0 {
				body = strings.NewReader(c.Form.Encode())
			}
			req, err := http.NewRequest(method, target, body)
			if err != nil {
				t.Fatal(err)
			}
			if body != nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			for _, a := range c.Authorization {
				req.Header.Add("Authorization", a)
			}
			checkAnswer(t, s.do(t, req, true), s.logs.take(), c.WantStatus, c.WantError, c.Secret)
		})
	}
}
