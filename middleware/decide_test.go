package middleware

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth"
)

func TestDecide(t *testing.T) {
	type want struct {
		resp      func(c *config) *response // nil: accepted or preflight
		status    int
		reason    mcpauth.Reason
		level     slog.Level
		clientID  string
		token     string // raw token of an accepted request
		preflight bool
		called    bool  // verifier called
		errIs     error // the logged error wraps it
	}
	noCreds := want{resp: func(c *config) *response { return c.noCredentials }, status: 401, reason: ReasonNoCredentials, level: slog.LevelDebug}
	empty := want{resp: func(c *config) *response { return c.emptyToken }, status: 400, reason: ReasonInvalidRequest, level: slog.LevelInfo}
	multiple := want{resp: func(c *config) *response { return c.multipleHeaders }, status: 400, reason: ReasonInvalidRequest, level: slog.LevelInfo}
	syntax := want{resp: func(c *config) *response { return c.badSyntax }, status: 400, reason: ReasonInvalidRequest, level: slog.LevelInfo}
	accepted := want{token: tokGood, clientID: "client-1", called: true}

	form := url.Values{"access_token": {tokGood}}.Encode()
	tests := []struct {
		name    string
		method  string
		target  string
		headers [][2]string
		body    string
		opts    []Option
		want    want
	}{
		{name: "no Authorization header", want: noCreds},
		{name: "Basic scheme", headers: [][2]string{{"Authorization", "Basic dXNlcjpwYXNz"}}, want: noCreds},
		{name: "Digest scheme", headers: [][2]string{{"Authorization", `Digest username="u"`}}, want: noCreds},
		{name: "scheme glued to token", headers: [][2]string{{"Authorization", "Bearer" + tokGood}}, want: noCreds},
		{name: "empty header value", headers: [][2]string{{"Authorization", ""}}, want: noCreds},
		{name: "token in query string ignored", target: "/mcp?access_token=" + tokGood, want: noCreds},
		{name: "token in form body ignored", method: http.MethodPost, body: form,
			headers: [][2]string{{"Content-Type", "application/x-www-form-urlencoded"}}, want: noCreds},
		{name: "token in other header ignored", headers: [][2]string{{"X-Access-Token", tokGood}}, want: noCreds},

		{name: "valid token", headers: [][2]string{{"Authorization", "Bearer " + tokGood}}, want: accepted},
		{name: "lowercase scheme", headers: [][2]string{{"Authorization", "bearer " + tokGood}}, want: accepted},
		{name: "uppercase scheme", headers: [][2]string{{"Authorization", "BEARER " + tokGood}}, want: accepted},
		{name: "mixed-case scheme", headers: [][2]string{{"Authorization", "bEaReR " + tokGood}}, want: accepted},
		{name: "several spaces after scheme", headers: [][2]string{{"Authorization", "Bearer   " + tokGood}}, want: accepted},
		{name: "surrounding whitespace", headers: [][2]string{{"Authorization", " \tBearer " + tokGood + " \t"}}, want: accepted},
		{name: "header token wins over query", target: "/mcp?access_token=other", headers: [][2]string{{"Authorization", "Bearer " + tokGood}}, want: accepted},

		{name: "scheme only", headers: [][2]string{{"Authorization", "Bearer"}}, want: empty},
		{name: "scheme and spaces", headers: [][2]string{{"Authorization", "Bearer    "}}, want: empty},
		{name: "scheme and tabs", headers: [][2]string{{"Authorization", "Bearer \t \t"}}, want: empty},
		{name: "lowercase scheme only", headers: [][2]string{{"Authorization", "bearer "}}, want: empty},

		{name: "two Authorization lines", headers: [][2]string{{"Authorization", "Bearer " + tokGood}, {"Authorization", "Bearer " + tokGood}}, want: multiple},
		{name: "Bearer and Basic lines", headers: [][2]string{{"Authorization", "Basic dXNlcjpwYXNz"}, {"Authorization", "Bearer " + tokGood}}, want: multiple},

		{name: "tab after scheme", headers: [][2]string{{"Authorization", "Bearer\t" + tokGood}}, want: syntax},
		{name: "space then tab after scheme", headers: [][2]string{{"Authorization", "Bearer \t" + tokGood}}, want: syntax},
		{name: "internal space", headers: [][2]string{{"Authorization", "Bearer " + tokGood + " more"}}, want: syntax},
		{name: "internal tab", headers: [][2]string{{"Authorization", "Bearer abc\t" + secret}}, want: syntax},
		{name: "comma list", headers: [][2]string{{"Authorization", "Bearer " + secret + ", Basic x"}}, want: syntax},
		{name: "padding in the middle", headers: [][2]string{{"Authorization", "Bearer ab=" + secret}}, want: syntax},
		{name: "padding only", headers: [][2]string{{"Authorization", "Bearer =="}}, want: syntax},
		{name: "quote", headers: [][2]string{{"Authorization", `Bearer "` + secret + `"`}}, want: syntax},
		{name: "non-ASCII", headers: [][2]string{{"Authorization", "Bearer " + secret + "é"}}, want: syntax},
		{name: "control character", headers: [][2]string{{"Authorization", "Bearer " + secret + "\x00"}}, want: syntax},

		{name: "unknown token", headers: [][2]string{{"Authorization", "Bearer nope-" + secret}},
			want: want{resp: func(c *config) *response { return c.invalidToken }, status: 401, reason: mcpauth.ReasonUnknownToken, level: slog.LevelInfo, called: true, errIs: mcpauth.ErrInvalidToken}},
		{name: "expired token", headers: [][2]string{{"Authorization", "Bearer " + tokExpired}},
			want: want{resp: func(c *config) *response { return c.expiredToken }, status: 401, reason: mcpauth.ReasonExpired, level: slog.LevelInfo, called: true, errIs: mcpauth.ErrInvalidToken}},
		{name: "bad signature", headers: [][2]string{{"Authorization", "Bearer " + tokSignature}},
			want: want{resp: func(c *config) *response { return c.invalidToken }, status: 401, reason: mcpauth.ReasonSignature, level: slog.LevelInfo, called: true, errIs: mcpauth.ErrInvalidToken}},
		{name: "wrapped ErrInvalidToken", headers: [][2]string{{"Authorization", "Bearer " + tokWrapped}},
			want: want{resp: func(c *config) *response { return c.invalidToken }, status: 401, reason: mcpauth.ReasonOther, level: slog.LevelInfo, called: true, errIs: mcpauth.ErrInvalidToken}},
		{name: "unknown verifier error fails closed", headers: [][2]string{{"Authorization", "Bearer " + tokUnknownErr}},
			want: want{resp: func(c *config) *response { return c.invalidToken }, status: 401, reason: mcpauth.ReasonOther, level: slog.LevelError, called: true, errIs: errUnknown}},
		{name: "context canceled fails closed", headers: [][2]string{{"Authorization", "Bearer " + tokCanceled}},
			want: want{resp: func(c *config) *response { return c.invalidToken }, status: 401, reason: mcpauth.ReasonOther, level: slog.LevelError, called: true, errIs: context.Canceled}},
		{name: "nil token and nil error fails closed", headers: [][2]string{{"Authorization", "Bearer " + tokNil}},
			want: want{resp: func(c *config) *response { return c.invalidToken }, status: 401, reason: mcpauth.ReasonOther, level: slog.LevelError, called: true, errIs: errNilToken}},
		{name: "verifier InsufficientScopeError", headers: [][2]string{{"Authorization", "Bearer " + tokScope}},
			want: want{status: 403, reason: mcpauth.ReasonInsufficientScope, level: slog.LevelInfo, clientID: "client-4", called: true, errIs: mcpauth.ErrInsufficientScope}},
		{name: "verifier plain ErrInsufficientScope", headers: [][2]string{{"Authorization", "Bearer " + tokScopePlain}},
			want: want{resp: func(c *config) *response { return c.insufficientScope }, status: 403, reason: mcpauth.ReasonInsufficientScope, level: slog.LevelInfo, called: true, errIs: mcpauth.ErrInsufficientScope}},
		{name: "key source unavailable", headers: [][2]string{{"Authorization", "Bearer " + tokUnavailable}},
			want: want{resp: func(c *config) *response { return c.unavailable }, status: 503, reason: mcpauth.ReasonUnavailable, level: slog.LevelWarn, called: true, errIs: mcpauth.ErrKeySourceUnavailable}},
		{name: "middleware scope missing", headers: [][2]string{{"Authorization", "Bearer " + tokNoScopes}},
			want: want{resp: func(c *config) *response { return c.insufficientScope }, status: 403, reason: mcpauth.ReasonInsufficientScope, level: slog.LevelInfo, clientID: "client-2", called: true}},

		{name: "preflight with opt-in", method: http.MethodOptions, opts: []Option{WithCORSPreflight()},
			headers: [][2]string{{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "POST"}}, want: want{preflight: true}},
		{name: "preflight without opt-in", method: http.MethodOptions,
			headers: [][2]string{{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "POST"}}, want: noCreds},
		{name: "OPTIONS without Access-Control-Request-Method", method: http.MethodOptions, opts: []Option{WithCORSPreflight()},
			headers: [][2]string{{"Origin", "https://app.example"}}, want: noCreds},
		{name: "OPTIONS without Origin", method: http.MethodOptions, opts: []Option{WithCORSPreflight()},
			headers: [][2]string{{"Access-Control-Request-Method", "POST"}}, want: noCreds},
		{name: "preflight headers on GET", opts: []Option{WithCORSPreflight()},
			headers: [][2]string{{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "POST"}}, want: noCreds},
		{name: "preflight with Authorization is authenticated", method: http.MethodOptions, opts: []Option{WithCORSPreflight()},
			headers: [][2]string{{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "POST"}, {"Authorization", "Bearer nope-" + secret}},
			want:    want{resp: func(c *config) *response { return c.invalidToken }, status: 401, reason: mcpauth.ReasonUnknownToken, level: slog.LevelInfo, called: true, errIs: mcpauth.ErrInvalidToken}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, target := tt.method, tt.target
			if method == "" {
				method = http.MethodGet
			}
			if target == "" {
				target = "/mcp"
			}
			r := httptest.NewRequest(method, target, strings.NewReader(tt.body))
			for _, h := range tt.headers {
				r.Header.Add(h[0], h[1])
			}
			fv := &fakeVerifier{}
			c := mustConfig(t, fv, append([]Option{WithRequiredScopes("read")}, tt.opts...))
			d := decide(r, fv, c)

			if got := fv.calls.Load() > 0; got != tt.want.called {
				t.Errorf("verifier called = %v, want %v", got, tt.want.called)
			}
			if d.preflight != tt.want.preflight {
				t.Errorf("preflight = %v, want %v", d.preflight, tt.want.preflight)
			}
			if d.clientID != tt.want.clientID {
				t.Errorf("clientID = %q, want %q", d.clientID, tt.want.clientID)
			}
			if tt.want.status == 0 {
				if d.resp != nil {
					t.Fatalf("rejected with %d %s, want accepted", d.resp.status, d.resp.code)
				}
				if tt.want.token == "" {
					if d.token != nil {
						t.Errorf("token = %v, want none", d.token)
					}
					return
				}
				if d.token == nil || d.token.Token != tt.want.token {
					t.Errorf("token = %v, want raw token %q", d.token, tt.want.token)
				}
				return
			}
			if d.token != nil {
				t.Errorf("token = %v on a rejection", d.token)
			}
			if d.resp == nil {
				t.Fatalf("accepted, want status %d", tt.want.status)
			}
			if d.resp.status != tt.want.status {
				t.Errorf("status = %d, want %d", d.resp.status, tt.want.status)
			}
			if tt.want.resp != nil && d.resp != tt.want.resp(c) {
				t.Errorf("response = %+v, want %+v", d.resp, tt.want.resp(c))
			}
			if d.reason != tt.want.reason {
				t.Errorf("reason = %q, want %q", d.reason, tt.want.reason)
			}
			if d.level != tt.want.level {
				t.Errorf("level = %v, want %v", d.level, tt.want.level)
			}
			if tt.want.errIs != nil {
				logged := d.err
				if re, ok := d.err.(redactedError); ok {
					logged = re.err
				}
				if !errors.Is(logged, tt.want.errIs) {
					t.Errorf("logged error = %v, want one wrapping %v", d.err, tt.want.errIs)
				}
			}
			if d.err != nil && containsSecret(d.err.Error()) {
				t.Errorf("logged error %q contains the token", d.err)
			}
		})
	}
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		value string
		token string
		state credState
	}{
		{"Bearer abc", "abc", credOK},
		{"Bearer a-b.c_d~e+f/g", "a-b.c_d~e+f/g", credOK},
		{"Bearer abc=", "abc=", credOK},
		{"Bearer abc===", "abc===", credOK},
		{"Bearer A", "A", credOK},
		{"Bearer =", "", credSyntax},
		{"Bearer a=b", "", credSyntax},
		{"Bearer a b", "", credSyntax},
		{"Bearer a!", "", credSyntax},
		{"Bearer a%20", "", credSyntax},
		{"Bearer", "", credEmpty},
		{"Bearer \t", "", credEmpty},
		{"Basic abc", "", credNone},
		{"Bearerabc", "", credNone},
		{"Bear abc", "", credNone},
		{"Beare abc", "", credNone},
		{"Be\u0430rer abc", "", credNone}, // Cyrillic a
		{"", "", credNone},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			h := http.Header{"Authorization": {tt.value}}
			token, state := bearerToken(h)
			if token != tt.token || state != tt.state {
				t.Errorf("bearerToken(%q) = %q, %d; want %q, %d", tt.value, token, state, tt.token, tt.state)
			}
		})
	}
}

func TestDecideFormBodyNotParsed(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader("access_token="+tokGood))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	fv := &fakeVerifier{}
	d := decide(r, fv, mustConfig(t, fv, nil))
	if d.resp == nil || d.resp.status != http.StatusUnauthorized {
		t.Fatalf("decision = %+v, want 401", d)
	}
	if r.Form != nil || r.PostForm != nil {
		t.Error("the middleware parsed the request body")
	}
}
