package middleware

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/scopetoken"
)

// bearerSeeds are Authorization header values covering every branch of the
// parser.
var bearerSeeds = []string{
	"", "Bearer", "Bearer ", "Bearer  ", "Bearer \t", "bearer abc", "BEARER abc", "BeArEr abc",
	"Bearer abc", "Bearer  abc", "Bearer\tabc", "Bearer \tabc", " Bearer abc ", "\tBearer abc\t",
	"Bearer abc def", "Bearer abc=", "Bearer abc==", "Bearer abc=d", "Bearer =", "Bearer ==abc",
	"Bearer a-b.c_d~e+f/g==", "Bearer a\"b", "Bearer a,b", "Bearer a;b", "Bearer a\x00b", "Bearer a\r\nb",
	"Bearer \xff\xfe", "Bearer é", "Basic dXNlcjpwYXNz", "Bearerabc", "Bear abc", "Bearer: abc", "Token abc",
	"Beare\u0280 abc", "Bearer\u00a0abc", "B\u0131arer abc", "DPoP abc", "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
	"Bearer " + strings.Repeat("a", 20000), "Bearer " + strings.Repeat(" ", 1000) + "a", strings.Repeat("Bearer ", 100),
}

// bearerGrammar is RFC 6750 §2.1 credentials with the scheme matched
// case-insensitively and optional surrounding whitespace: an independent
// statement of what bearerToken must accept.
var bearerGrammar = regexp.MustCompile(`^[ \t]*(?i:bearer) +([A-Za-z0-9._~+/-]+=*)[ \t]*$`)

func FuzzBearerToken(f *testing.F) {
	for _, s := range bearerSeeds {
		f.Add(s, uint8(1))
	}
	f.Add("Bearer abc", uint8(0))
	f.Add("Bearer abc", uint8(2))
	f.Fuzz(func(t *testing.T, value string, count uint8) {
		h := http.Header{}
		for range count % 3 {
			h["Authorization"] = append(h["Authorization"], value)
		}
		token, st := bearerToken(h)
		if st != credOK && token != "" {
			t.Fatalf("state %d with token %q", st, token)
		}
		switch count % 3 {
		case 0:
			if st != credNone {
				t.Fatalf("no header: state %d; want credNone", st)
			}
			return
		case 2:
			if st != credMultiple {
				t.Fatalf("two headers: state %d; want credMultiple", st)
			}
			return
		}
		m := bearerGrammar.FindStringSubmatch(value)
		if (st == credOK) != (m != nil) {
			t.Fatalf("%q: state %d, but the RFC 6750 grammar match is %v", value, st, m != nil)
		}
		if st != credOK {
			return
		}
		if token != m[1] {
			t.Fatalf("%q: token %q; the grammar says %q", value, token, m[1])
		}
		if token == "" || !strings.Contains(value, token) {
			t.Fatalf("%q: token %q is empty or not part of the header", value, token)
		}
		body := strings.TrimRight(token, "=")
		if body == "" || strings.ContainsFunc(body, func(r rune) bool {
			return !strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/", r)
		}) {
			t.Fatalf("%q: token %q is not a b64token", value, token)
		}
	})
}

// fuzzScopes are scopes a verifier may report as required, some of them
// with characters that must never reach a challenge.
var fuzzScopes = [][]string{
	{"read"}, {"files:write"}, {`we"ird\ one`, "\x00\xff"}, {"a b", "c,d"}, {"\r\nX-Injected: 1"}, {""}, nil,
}

// fuzzVerifier decides by the token's first byte, so the fuzzer reaches
// every verifier outcome. Its errors deliberately contain the token, as a
// careless verifier's would: the middleware must not pass them on.
type fuzzVerifier struct{}

func (fuzzVerifier) VerifyToken(_ context.Context, token string) (*mcpauth.AccessToken, error) {
	if token == "" {
		return nil, errors.New("empty token reached the verifier")
	}
	sel := int(token[len(token)/2])
	scopes := fuzzScopes[sel%len(fuzzScopes)]
	switch token[0] % 10 {
	case 0:
		return &mcpauth.AccessToken{Token: token, ClientID: "client-1", Scopes: []string{"read", "write"}}, nil
	case 1:
		return &mcpauth.AccessToken{Token: token, ClientID: "client-2", Scopes: scopes}, nil
	case 2:
		return nil, mcpauth.InvalidToken(mcpauth.ReasonExpired, "expired: "+token)
	case 3:
		return nil, &mcpauth.InvalidTokenError{Reason: mcpauth.ReasonSignature, Detail: "bad", Err: errors.New(token)}
	case 4:
		return nil, &mcpauth.InsufficientScopeError{Required: scopes, Missing: scopes}
	case 5:
		return nil, fmt.Errorf("%w: fetching keys for %s", mcpauth.ErrKeySourceUnavailable, token)
	case 6:
		return nil, fmt.Errorf("backend exploded on %s", token)
	case 7:
		return nil, nil
	case 8:
		return nil, fmt.Errorf("%s: %w", token, mcpauth.ErrInsufficientScope)
	default:
		return nil, context.Canceled
	}
}

// scopedFuzzVerifier also advertises required scopes, one of them unclean.
type scopedFuzzVerifier struct{ fuzzVerifier }

func (scopedFuzzVerifier) RequiredScopes() []string { return []string{"read", "bad\"scope", "\x7f"} }

// allowedCodes are the OAuth error codes a response body may carry.
var allowedCodes = []string{"invalid_request", "invalid_token", "insufficient_scope", "temporarily_unavailable", "server_error"}

// fixedText is what responses and logs hold whatever the request: a sent
// value found in it is not an echo.
var fixedText = strings.Join([]string{
	descNoCredentials, descEmptyToken, descMultipleHeaders, descBadSyntax, descInvalidToken, descExpiredToken,
	descInsufficient, descUnavailable, descServerError, strings.Join(allowedCodes, " "),
	"https://mcp.example.com/.well-known/oauth-protected-resource/mcp", "application/json", "Www-Authenticate Cache-Control no-store",
	"X-Content-Type-Options nosniff", "mcpauth: request rejected after an unexpected verifier error", "key_source_unavailable",
	"insufficient_scope", "backend exploded", "fetching keys for", "context canceled", "[REDACTED]", "client_id=client-1 client_id=client-2",
}, "\n")

// challengeParam matches one auth-param of a challenge.
var challengeParam = regexp.MustCompile(`^([a-z_]+)="([^"\\]*)"$`)

func FuzzMiddleware(f *testing.F) {
	for _, s := range bearerSeeds {
		f.Add(s, "", uint8(1))
	}
	for _, tok := range []string{"0-long-enough-token-value", "1xxxxxxxxxxxxxxxx", "2-expired-token-xyz", "3-bad-signature-xyz", "4-scope-required-abc",
		"5-unavailable-token-x", "6-unexpected-error-x", "7-nil-access-token-x", "8-scope-plain-error-x", "9-cancelled-context-x", "1\"xx", "12", "1-a"} {
		f.Add("Bearer "+tok, "", uint8(1))
		f.Add("bearer  "+tok+"=", "Bearer "+tok, uint8(2))
	}
	f.Add("", "", uint8(0))
	f.Add("", "", uint8(3)) // a CORS preflight
	f.Fuzz(func(t *testing.T, h1, h2 string, mode uint8) {
		logger, logs := logBuffer()
		var v mcpauth.TokenVerifier = fuzzVerifier{}
		if mode&8 != 0 {
			v = scopedFuzzVerifier{}
		}
		var outcome *Outcome
		mw := New(v,
			WithRequiredScopes("read"),
			WithRealm("mcp server"),
			WithResourceMetadata("https://mcp.example.com/.well-known/oauth-protected-resource/mcp"),
			WithLogger(logger),
			WithCORSPreflight(),
			WithObserver(func(_ *http.Request, o Outcome) { outcome = &o }),
		)
		called := false
		next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			called = true
			at, ok := AccessTokenFrom(r.Context())
			if r.Method != http.MethodOptions && (!ok || at == nil || !at.HasScopes("read")) {
				t.Errorf("next handler reached without an access token granting read (ok %v)", ok)
			}
			w.WriteHeader(http.StatusOK)
		})
		r := httptest.NewRequest(http.MethodGet, "/mcp", nil)
		if mode&3 == 3 {
			r.Method = http.MethodOptions
			r.Header.Set("Origin", "https://app.example.com")
			r.Header.Set("Access-Control-Request-Method", "POST")
		}
		switch mode & 3 {
		case 1:
			r.Header["Authorization"] = []string{h1}
		case 2:
			r.Header["Authorization"] = []string{h1, h2}
		}
		w := httptest.NewRecorder()
		mw(next).ServeHTTP(w, r)

		status := w.Code
		if !slices.Contains([]int{200, 400, 401, 403, 503}, status) {
			t.Fatalf("status %d", status)
		}
		if (status == 200) != called {
			t.Fatalf("status %d but next handler called = %v", status, called)
		}
		if status != 200 {
			checkErrorResponse(t, w)
			if outcome == nil || outcome.Status != status || outcome.Accepted {
				t.Fatalf("observer saw %+v for status %d", outcome, status)
			}
		}
		// Nothing the client sent may come back in the response or the logs.
		var sent []string
		for _, s := range []string{h1, h2} {
			tok, _ := bearerToken(http.Header{"Authorization": {s}})
			for _, c := range append(strings.Fields(s), s, tok) {
				if len(c) > 16 && !strings.Contains(fixedText, c) {
					sent = append(sent, c)
				}
			}
		}
		var out bytes.Buffer
		_ = w.Header().Write(&out)
		out.Write(w.Body.Bytes())
		for _, s := range sent {
			if strings.Contains(out.String(), s) {
				t.Fatalf("response echoes %q:\n%s", s, out.String())
			}
			if strings.Contains(logs.String(), s) {
				t.Fatalf("log echoes %q:\n%s", s, logs.String())
			}
		}
	})
}

// checkErrorResponse asserts an error response's JSON body and its
// WWW-Authenticate and Retry-After headers.
func checkErrorResponse(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("status %d: body %q is not a JSON object: %v", w.Code, w.Body, err)
	}
	code, _ := body["error"].(string)
	desc, _ := body["error_description"].(string)
	if !slices.Contains(allowedCodes, code) || desc == "" || len(body) != 2 {
		t.Fatalf("status %d: body %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("status %d: Content-Type %q", w.Code, ct)
	}
	challenges := w.Header().Values("WWW-Authenticate")
	if w.Code == http.StatusServiceUnavailable {
		if ra, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || ra <= 0 {
			t.Fatalf("503 with Retry-After %q", w.Header().Get("Retry-After"))
		}
		if len(challenges) != 0 {
			t.Fatalf("503 with a challenge %q", challenges)
		}
		return
	}
	if len(challenges) != 1 {
		t.Fatalf("status %d: %d WWW-Authenticate values; want 1", w.Code, len(challenges))
	}
	ch := challenges[0]
	rest, ok := strings.CutPrefix(ch, "Bearer")
	if !ok {
		t.Fatalf("challenge %q does not use the Bearer scheme", ch)
	}
	params := map[string]string{}
	if rest != "" {
		rest, ok = strings.CutPrefix(rest, " ")
		if !ok {
			t.Fatalf("challenge %q: no space after the scheme", ch)
		}
		for p := range strings.SplitSeq(rest, ", ") {
			m := challengeParam.FindStringSubmatch(p)
			if m == nil {
				t.Fatalf("challenge %q: malformed parameter %q", ch, p)
			}
			if _, dup := params[m[1]]; dup {
				t.Fatalf("challenge %q: duplicate parameter %q", ch, m[1])
			}
			params[m[1]] = m[2]
		}
	}
	for name, val := range params {
		for i := 0; i < len(val); i++ {
			if !isQuotedChar(val[i]) {
				t.Fatalf("challenge %q: parameter %s has byte %#x outside %%x20-21 / %%x23-5B / %%x5D-7E", ch, name, val[i])
			}
		}
	}
	if s, ok := params["scope"]; ok {
		for sc := range strings.SplitSeq(s, " ") {
			if scopetoken.Check(sc) != nil {
				t.Fatalf("challenge %q: scope %q is not an RFC 6749 scope token", ch, sc)
			}
		}
	}
	if params["resource_metadata"] == "" || params["realm"] != "mcp server" {
		t.Fatalf("challenge %q lacks resource_metadata or realm", ch)
	}
	wantCode := map[int]string{400: "invalid_request", 401: "invalid_token", 403: "insufficient_scope"}[w.Code]
	if e, ok := params["error"]; ok && e != wantCode || code != wantCode {
		t.Fatalf("status %d: challenge error %q, body error %q; want %q", w.Code, e, code, wantCode)
	}
	if w.Code == http.StatusForbidden && !strings.Contains(" "+params["scope"]+" ", " read ") {
		t.Fatalf("403 challenge %q does not name the required scope", ch)
	}
}
