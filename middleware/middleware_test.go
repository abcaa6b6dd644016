package middleware

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
)

const metaURL = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"

// okHandler reports the accepted token's client; it fails the test when
// called without one.
func okHandler(t *testing.T) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at, ok := AccessTokenFrom(r.Context())
		if !ok {
			t.Error("next handler called without an access token")
			http.Error(w, "no token", http.StatusTeapot)
			return
		}
		io.WriteString(w, "hello "+at.ClientID)
	})
}

func TestHTTPResponses(t *testing.T) {
	const (
		withParams = `realm="mcp", `
		tail       = `scope="read profile", resource_metadata="` + metaURL + `"`
	)
	tests := []struct {
		name       string
		header     []string // Authorization lines
		status     int
		challenge  string // exact WWW-Authenticate; "" means none
		body       string
		retryAfter string
		logLevel   string // level of the single log record; "" means none
		logReason  string
	}{
		{
			name:      "no credentials",
			status:    401,
			challenge: `Bearer ` + withParams + tail,
			body:      `{"error":"invalid_token","error_description":"authentication required: send an access token in the Authorization header with the Bearer scheme"}`,
			logLevel:  "DEBUG", logReason: "no_credentials",
		},
		{
			name:      "Basic scheme",
			header:    []string{"Basic dXNlcjpwYXNz"},
			status:    401,
			challenge: `Bearer ` + withParams + tail,
			body:      `{"error":"invalid_token","error_description":"authentication required: send an access token in the Authorization header with the Bearer scheme"}`,
			logLevel:  "DEBUG", logReason: "no_credentials",
		},
		{
			name:      "empty bearer token",
			header:    []string{"Bearer  "},
			status:    400,
			challenge: `Bearer ` + withParams + `error="invalid_request", error_description="the Authorization header has the Bearer scheme but no token", ` + tail,
			body:      `{"error":"invalid_request","error_description":"the Authorization header has the Bearer scheme but no token"}`,
			logLevel:  "INFO", logReason: "invalid_request",
		},
		{
			name:      "two Authorization lines",
			header:    []string{"Bearer " + tokGood, "Bearer " + tokGood},
			status:    400,
			challenge: `Bearer ` + withParams + `error="invalid_request", error_description="the request has more than one Authorization header", ` + tail,
			body:      `{"error":"invalid_request","error_description":"the request has more than one Authorization header"}`,
			logLevel:  "INFO", logReason: "invalid_request",
		},
		{
			name:      "not b64token",
			header:    []string{"Bearer " + secret + " " + secret},
			status:    400,
			challenge: `Bearer ` + withParams + `error="invalid_request", error_description="the bearer token is not in RFC 6750 b64token syntax", ` + tail,
			body:      `{"error":"invalid_request","error_description":"the bearer token is not in RFC 6750 b64token syntax"}`,
			logLevel:  "INFO", logReason: "invalid_request",
		},
		{
			name:      "unknown token",
			header:    []string{"Bearer nope-" + secret},
			status:    401,
			challenge: `Bearer ` + withParams + `error="invalid_token", error_description="the access token is invalid", ` + tail,
			body:      `{"error":"invalid_token","error_description":"the access token is invalid"}`,
			logLevel:  "INFO", logReason: "unknown_token",
		},
		{
			name:      "expired token",
			header:    []string{"bearer " + tokExpired},
			status:    401,
			challenge: `Bearer ` + withParams + `error="invalid_token", error_description="the access token expired", ` + tail,
			body:      `{"error":"invalid_token","error_description":"the access token expired"}`,
			logLevel:  "INFO", logReason: "expired",
		},
		{
			name:      "verifier detail is not echoed",
			header:    []string{"Bearer " + tokSignature},
			status:    401,
			challenge: `Bearer ` + withParams + `error="invalid_token", error_description="the access token is invalid", ` + tail,
			body:      `{"error":"invalid_token","error_description":"the access token is invalid"}`,
			logLevel:  "INFO", logReason: "signature",
		},
		{
			name:      "verifier error quoting the token",
			header:    []string{"Bearer " + tokLeakyInvalid},
			status:    401,
			challenge: `Bearer ` + withParams + `error="invalid_token", error_description="the access token is invalid", ` + tail,
			body:      `{"error":"invalid_token","error_description":"the access token is invalid"}`,
			logLevel:  "INFO", logReason: "malformed",
		},
		{
			name:      "unknown verifier error",
			header:    []string{"Bearer " + tokUnknownErr},
			status:    401,
			challenge: `Bearer ` + withParams + `error="invalid_token", error_description="the access token is invalid", ` + tail,
			body:      `{"error":"invalid_token","error_description":"the access token is invalid"}`,
			logLevel:  "ERROR", logReason: "other",
		},
		{
			name:      "middleware scope missing",
			header:    []string{"Bearer " + tokNoScopes},
			status:    403,
			challenge: `Bearer ` + withParams + `error="insufficient_scope", error_description="the access token lacks a required scope", ` + tail,
			body:      `{"error":"insufficient_scope","error_description":"the access token lacks a required scope"}`,
			logLevel:  "INFO", logReason: "insufficient_scope",
		},
		{
			name:      "verifier insufficient scope adds its scopes",
			header:    []string{"Bearer " + tokScope},
			status:    403,
			challenge: `Bearer ` + withParams + `error="insufficient_scope", error_description="the access token lacks a required scope", scope="read profile files:write", resource_metadata="` + metaURL + `"`,
			body:      `{"error":"insufficient_scope","error_description":"the access token lacks a required scope"}`,
			logLevel:  "INFO", logReason: "insufficient_scope",
		},
		{
			name:      "verifier scopes are sanitised",
			header:    []string{"Bearer " + tokScopeWeird},
			status:    403,
			challenge: `Bearer ` + withParams + `error="insufficient_scope", error_description="the access token lacks a required scope", scope="read profile weirdone", resource_metadata="` + metaURL + `"`,
			body:      `{"error":"insufficient_scope","error_description":"the access token lacks a required scope"}`,
			logLevel:  "INFO", logReason: "insufficient_scope",
		},
		{
			name:       "key source unavailable",
			header:     []string{"Bearer " + tokUnavailable},
			status:     503,
			body:       `{"error":"temporarily_unavailable","error_description":"the server cannot verify access tokens right now; retry later"}`,
			retryAfter: "10",
			logLevel:   "WARN", logReason: "key_source_unavailable",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, logs := logBuffer()
			v := scopedVerifier{TokenVerifier: &fakeVerifier{}, scopes: []string{"read", "profile", "read"}}
			h := New(v,
				WithRealm("mcp"),
				WithResourceMetadata(metaURL),
				WithRequiredScopes("read"),
				WithLogger(logger),
			)(okHandler(t))
			r := httptest.NewRequest(http.MethodPost, "/mcp?access_token=q-"+secret, nil)
			for _, line := range tt.header {
				r.Header.Add("Authorization", line)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)

			if w.Code != tt.status {
				t.Errorf("status = %d, want %d", w.Code, tt.status)
			}
			if got := w.Header().Values("WWW-Authenticate"); tt.challenge == "" && len(got) != 0 || tt.challenge != "" && (len(got) != 1 || got[0] != tt.challenge) {
				t.Errorf("WWW-Authenticate = %q\nwant             %q", got, tt.challenge)
			}
			if got := w.Body.String(); got != tt.body {
				t.Errorf("body = %s\nwant   %s", got, tt.body)
			}
			if got := w.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tt.retryAfter)
			}
			for name, want := range map[string]string{
				"Content-Type":           "application/json",
				"Cache-Control":          "no-store",
				"X-Content-Type-Options": "nosniff",
			} {
				if got := w.Header().Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}

			records := strings.Split(strings.TrimSpace(logs.String()), "\n")
			if len(records) != 1 {
				t.Fatalf("log records = %q, want one", records)
			}
			for _, want := range []string{
				"level=" + tt.logLevel,
				"reason=" + tt.logReason,
				"status=" + strconv.Itoa(tt.status),
				"method=POST",
				"path=/mcp",
			} {
				if !strings.Contains(records[0], want) {
					t.Errorf("log record %q lacks %q", records[0], want)
				}
			}

			var headers []string
			for name, vals := range w.Header() {
				headers = append(headers, name)
				headers = append(headers, vals...)
			}
			if containsSecret(append(headers, w.Body.String(), logs.String())...) {
				t.Errorf("the token leaked:\nheaders %q\nbody %s\nlog %s", headers, w.Body, logs)
			}
		})
	}
}

func TestHTTPAccepted(t *testing.T) {
	logger, logs := logBuffer()
	type ctxMarker struct{}
	var seenCtx bool
	v := verifierFunc(func(ctx context.Context, token string) (*mcpauth.AccessToken, error) {
		seenCtx = ctx.Value(ctxMarker{}) == "request"
		return (&fakeVerifier{}).VerifyToken(ctx, token)
	})
	var got *mcpauth.AccessToken
	h := New(v, WithRequiredScopes("read", "write"), WithLogger(logger))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = AccessTokenFrom(r.Context())
		w.WriteHeader(http.StatusNoContent)
	}))
	r := httptest.NewRequest(http.MethodGet, "/mcp", nil)
	r = r.WithContext(context.WithValue(r.Context(), ctxMarker{}, "request"))
	r.Header.Set("Authorization", "Bearer "+tokGood)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)

	if w.Code != http.StatusNoContent {
		t.Fatalf("status = %d, want 204 from the next handler", w.Code)
	}
	if got == nil || got.ClientID != "client-1" || got.Token != tokGood {
		t.Errorf("AccessTokenFrom = %+v, want client-1's token", got)
	}
	if !seenCtx {
		t.Error("the verifier did not get the request's context")
	}
	if w.Header().Get("WWW-Authenticate") != "" || logs.Len() != 0 {
		t.Errorf("accepted request produced a challenge %q or logs %q", w.Header().Get("WWW-Authenticate"), logs)
	}
}

func TestHTTPRejectionSkipsNextHandler(t *testing.T) {
	called := false
	h := New(&fakeVerifier{}, WithLogger(slog.New(slog.DiscardHandler)))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
	for _, auth := range []string{"", "Bearer nope", "Bearer " + tokUnavailable, "Bearer " + tokUnknownErr} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	if called {
		t.Error("next handler called for a rejected request")
	}
}

func TestHTTPMinimalChallenges(t *testing.T) {
	h := New(&fakeVerifier{}, WithLogger(slog.New(slog.DiscardHandler)))(okHandler(t))
	tests := []struct {
		auth, challenge string
	}{
		{"", `Bearer`},
		{"Bearer nope", `Bearer error="invalid_token", error_description="the access token is invalid"`},
		{"Bearer " + tokScope, `Bearer error="insufficient_scope", error_description="the access token lacks a required scope", scope="read files:write"`},
		{"Bearer " + tokScopePlain, `Bearer error="insufficient_scope", error_description="the access token lacks a required scope"`},
	}
	for _, tt := range tests {
		t.Run(tt.auth, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if got := w.Header().Get("WWW-Authenticate"); got != tt.challenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.challenge)
			}
		})
	}
}

func TestHTTPScopeRequirerSanitised(t *testing.T) {
	v := scopedVerifier{TokenVerifier: &fakeVerifier{}, scopes: []string{"a b", `c"d`, "\x01", "e\\f", "ü"}}
	h := New(v, WithLogger(slog.New(slog.DiscardHandler)))(okHandler(t))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if got, want := w.Header().Get("WWW-Authenticate"), `Bearer scope="ab cd ef"`; got != want {
		t.Errorf("WWW-Authenticate = %q, want %q", got, want)
	}
}

func TestHTTPRetryAfter(t *testing.T) {
	tests := []struct {
		opts []Option
		want string
	}{
		{nil, "10"},
		{[]Option{WithRetryAfter(3 * time.Second)}, "3"},
		{[]Option{WithRetryAfter(1500 * time.Millisecond)}, "2"},
		{[]Option{WithRetryAfter(time.Nanosecond)}, "1"},
		{[]Option{WithRetryAfter(2 * time.Minute)}, "120"},
		{[]Option{WithRetryAfter(time.Duration(1<<63 - 1))}, "9223372037"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			h := New(&fakeVerifier{}, append(tt.opts, WithLogger(slog.New(slog.DiscardHandler)))...)(okHandler(t))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Authorization", "Bearer "+tokUnavailable)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != tt.want {
				t.Errorf("status %d, Retry-After %q; want 503, %q", w.Code, w.Header().Get("Retry-After"), tt.want)
			}
		})
	}
}

func TestHTTPUnavailableDropsEarlierChallenge(t *testing.T) {
	h := New(&fakeVerifier{}, WithLogger(slog.New(slog.DiscardHandler)))(okHandler(t))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+tokUnavailable)
	w := httptest.NewRecorder()
	w.Header().Set("WWW-Authenticate", "Basic")
	h.ServeHTTP(w, r)
	if got := w.Header().Values("WWW-Authenticate"); len(got) != 0 {
		t.Errorf("503 carries WWW-Authenticate %q", got)
	}
}

func TestHTTPDefaultLogger(t *testing.T) {
	logger, logs := logBuffer()
	old := slog.Default()
	slog.SetDefault(logger)
	t.Cleanup(func() { slog.SetDefault(old) })

	h := New(&fakeVerifier{})(okHandler(t))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+tokUnknownErr)
	h.ServeHTTP(httptest.NewRecorder(), r)
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "[REDACTED]") {
		t.Errorf("default logger got %q, want an error record with the token redacted", logs)
	}
	if containsSecret(logs.String()) {
		t.Errorf("log contains the token: %s", logs)
	}
}

func TestObserver(t *testing.T) {
	tests := []struct {
		name string
		auth string
		want Outcome
	}{
		{"accepted", "Bearer " + tokGood, Outcome{Accepted: true, ClientID: "client-1", Scopes: []string{"read", "write", "admin"}, Duration: 5 * time.Millisecond}},
		{"no credentials", "", Outcome{Status: 401, Reason: ReasonNoCredentials, Duration: 5 * time.Millisecond}},
		{"invalid request", "Bearer", Outcome{Status: 400, Reason: ReasonInvalidRequest, Duration: 5 * time.Millisecond}},
		{"expired", "Bearer " + tokExpired, Outcome{Status: 401, Reason: mcpauth.ReasonExpired, Duration: 5 * time.Millisecond}},
		{"unknown error", "Bearer " + tokUnknownErr, Outcome{Status: 401, Reason: mcpauth.ReasonOther, Duration: 5 * time.Millisecond}},
		{"missing scope", "Bearer " + tokNoScopes, Outcome{Status: 403, Reason: mcpauth.ReasonInsufficientScope, ClientID: "client-2", Duration: 5 * time.Millisecond}},
		// The verifier's own scope check names the client it verified.
		{"verifier missing scope", "Bearer " + tokScope, Outcome{Status: 403, Reason: mcpauth.ReasonInsufficientScope, ClientID: "client-4", Scopes: []string{"read"}, Duration: 5 * time.Millisecond}},
		{"verifier missing scope, client unknown", "Bearer " + tokScopePlain, Outcome{Status: 403, Reason: mcpauth.ReasonInsufficientScope, Duration: 5 * time.Millisecond}},
		{"unavailable", "Bearer " + tokUnavailable, Outcome{Status: 503, Reason: mcpauth.ReasonUnavailable, Duration: 5 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Outcome
			var gotReq *http.Request
			c := mustConfig(t, &fakeVerifier{}, []Option{
				WithRequiredScopes("read"),
				WithLogger(slog.New(slog.DiscardHandler)),
				WithObserver(func(r *http.Request, o Outcome) { got = append(got, o); gotReq = r }),
			})
			t0 := time.Unix(1000, 0)
			ticks := 0
			c.now = func() time.Time { ticks++; return t0.Add(time.Duration(ticks-1) * 5 * time.Millisecond) }
			h := &handler{cfg: c, next: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
				c.now() // time spent in the next handler is not counted
			})}
			r := httptest.NewRequest(http.MethodGet, "/mcp", nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if len(got) != 1 || !reflect.DeepEqual(got[0], tt.want) {
				t.Errorf("outcomes = %+v, want [%+v]", got, tt.want)
			}
			if gotReq != r {
				t.Error("observer did not get the request")
			}
		})
	}
}

func TestCORSPreflight(t *testing.T) {
	preflight := func() *http.Request {
		r := httptest.NewRequest(http.MethodOptions, "/mcp", nil)
		r.Header.Set("Origin", "https://app.example")
		r.Header.Set("Access-Control-Request-Method", "POST")
		return r
	}
	cors := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := AccessTokenFrom(r.Context()); ok {
			t.Error("preflight has an access token")
		}
		w.Header().Set("Access-Control-Allow-Origin", "https://app.example")
		w.WriteHeader(http.StatusNoContent)
	})

	t.Run("opt-in passes preflight, also through RequireScopes", func(t *testing.T) {
		observed := 0
		fv := &fakeVerifier{}
		h := New(fv, WithCORSPreflight(), WithObserver(func(*http.Request, Outcome) { observed++ }))(RequireScopes("admin")(cors))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, preflight())
		if w.Code != http.StatusNoContent || w.Header().Get("Access-Control-Allow-Origin") == "" {
			t.Errorf("status %d, headers %v; want the CORS handler's 204", w.Code, w.Header())
		}
		if fv.calls.Load() != 0 || observed != 0 {
			t.Errorf("verifier calls %d, observer calls %d; want 0, 0", fv.calls.Load(), observed)
		}
	})
	t.Run("default refuses preflight", func(t *testing.T) {
		h := New(&fakeVerifier{}, WithLogger(slog.New(slog.DiscardHandler)))(cors)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, preflight())
		if w.Code != http.StatusUnauthorized {
			t.Errorf("status = %d, want 401", w.Code)
		}
	})
}

func TestAccessTokenFromEmptyContext(t *testing.T) {
	var nilCtx context.Context
	type otherKey struct{}
	for name, ctx := range map[string]context.Context{
		"background": context.Background(),
		"nil":        nilCtx,
		"other key":  context.WithValue(context.Background(), otherKey{}, "x"),
		"preflight":  context.WithValue(context.Background(), ctxKey{}, &authInfo{preflight: true}),
	} {
		t.Run(name, func(t *testing.T) {
			if at, ok := AccessTokenFrom(ctx); at != nil || ok {
				t.Errorf("AccessTokenFrom = %v, %v; want nil, false", at, ok)
			}
		})
	}
}
