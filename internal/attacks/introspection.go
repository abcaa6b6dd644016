package attacks

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/introspect"
)

// Exit code of "mcpauth verify" when the token could not be verified now.
const ExitUnavailable = 4

// Introspection is the variant of the cases of [IntrospectionCases]: an
// introspection verifier (package introspect) asking the fixture's
// endpoint.
const Introspection Variant = "introspection"

// Introspection endpoint credentials and timeout of the fixture.
const (
	IntrospectionClientID = "mcp-resource-server"
	IntrospectionSecret   = "introspection-secret"
	// IntrospectionTimeout bounds each call; the slow endpoint case never
	// answers within it.
	IntrospectionTimeout = 500 * time.Millisecond
)

// IntrospectionFixture is a loopback introspection endpoint that answers
// each case's token with that case's response, and the configuration of
// the verifiers that ask it.
type IntrospectionFixture struct {
	// Server is the endpoint's server; the endpoint is URL + "/introspect".
	Server  *httptest.Server
	answers map[string]http.HandlerFunc
	// Now is the instant the answers' times are around.
	Now time.Time
}

// Config returns the introspection verifier configuration (no cache, so
// that every case reaches the endpoint).
func (f *IntrospectionFixture) Config() introspect.Config {
	return introspect.Config{
		Endpoint:       f.Server.URL + "/introspect",
		Issuer:         Issuer,
		Audiences:      []string{Audience},
		ClientID:       IntrospectionClientID,
		ClientSecret:   IntrospectionSecret,
		RequiredScopes: []string{RequiredScope},
		Timeout:        IntrospectionTimeout,
	}
}

// Env returns the configuration as environment entries for "mcpauth
// verify".
func (f *IntrospectionFixture) Env() []string {
	return []string{
		"MCPAUTH_INTROSPECTION_URL=" + f.Server.URL + "/introspect",
		"MCPAUTH_INTROSPECTION_ISSUER=" + Issuer,
		"MCPAUTH_INTROSPECTION_CLIENT_ID=" + IntrospectionClientID,
		"MCPAUTH_INTROSPECTION_CLIENT_SECRET=" + IntrospectionSecret,
		"MCPAUTH_INTROSPECTION_REQUIRED_SCOPES=" + RequiredScope,
		"MCPAUTH_INTROSPECTION_TIMEOUT=" + IntrospectionTimeout.String(),
		"MCPAUTH_INTROSPECTION_CACHE_MAX_AGE=0s",
		"MCPAUTH_JWT_AUDIENCE=" + Audience,
	}
}

// unavailable builds a case the verifier answers with
// mcpauth.ErrKeySourceUnavailable: 503 temporarily_unavailable, exit 4.
func unavailable(name, token string) Case {
	return Case{Name: name, Variant: Introspection, Token: token, WantReason: mcpauth.ReasonUnavailable,
		WantStatus: http.StatusServiceUnavailable, WantError: "temporarily_unavailable", WantExit: ExitUnavailable}
}

// IntrospectionCases starts the fixture's endpoint (closed by tb.Cleanup)
// and returns the cases of hostile or broken introspection answers: each
// token is an opaque string the endpoint answers in its own way. The table
// holds an accepted baseline.
func IntrospectionCases(tb testing.TB) (*IntrospectionFixture, []Case) {
	tb.Helper()
	f := &IntrospectionFixture{Now: time.Now().Truncate(time.Second), answers: map[string]http.HandlerFunc{}}
	active := func(edit func(m map[string]any)) http.HandlerFunc {
		m := map[string]any{
			"active": true, "client_id": "client-1", "sub": "user-1", "scope": "read write",
			"iss": Issuer, "aud": Audience, "exp": f.Now.Add(time.Hour).Unix(), "iat": f.Now.Add(-time.Minute).Unix(),
		}
		if edit != nil {
			edit(m)
		}
		body, err := json.Marshal(m)
		if err != nil {
			tb.Fatal(err)
		}
		return raw(string(body))
	}
	var cases []Case
	add := func(c Case, answer http.HandlerFunc) {
		token := fmt.Sprintf("opaque-introspection-case-%02d", len(cases))
		c.Token = token
		f.answers[token] = answer
		cases = append(cases, c)
	}
	add(outcome("introspection: active token", Introspection, "", ""), active(nil))
	add(outcome("introspection: inactive token", Introspection, "", mcpauth.ReasonInactive), raw(`{"active":false}`))
	add(outcome("introspection: active as a string", Introspection, "", mcpauth.ReasonBadClaims),
		active(func(m map[string]any) { m["active"] = "true" }))
	add(outcome("introspection: active missing", Introspection, "", mcpauth.ReasonBadClaims),
		active(func(m map[string]any) { delete(m, "active") }))
	add(outcome("introspection: exp as a string", Introspection, "", mcpauth.ReasonBadClaims),
		active(func(m map[string]any) { m["exp"] = strconv.FormatInt(f.Now.Add(time.Hour).Unix(), 10) }))
	add(outcome("introspection: exp in the past", Introspection, "", mcpauth.ReasonExpired),
		active(func(m map[string]any) { m["exp"] = f.Now.Add(-time.Minute).Unix() }))
	add(outcome("introspection: missing aud", Introspection, "", mcpauth.ReasonAudience),
		active(func(m map[string]any) { delete(m, "aud") }))
	add(outcome("introspection: another audience", Introspection, "", mcpauth.ReasonAudience),
		active(func(m map[string]any) { m["aud"] = "https://other.example.com/mcp" }))
	add(outcome("introspection: another issuer", Introspection, "", mcpauth.ReasonIssuer),
		active(func(m map[string]any) { m["iss"] = "https://evil.example.com" }))
	add(outcome("introspection: scope separated by a tab", Introspection, "", mcpauth.ReasonBadClaims),
		active(func(m map[string]any) { m["scope"] = "read\twrite" }))
	add(outcome("introspection: sender-constrained token as bearer", Introspection, "", mcpauth.ReasonBadClaims),
		active(func(m map[string]any) {
			m["cnf"] = map[string]string{"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}
		}))
	add(outcome("introspection: required scope missing", Introspection, "", mcpauth.ReasonInsufficientScope),
		active(func(m map[string]any) { m["scope"] = "write" }))
	add(unavailable("introspection: duplicate active member", ""),
		raw(`{"active":false,"active":true,"aud":"`+Audience+`","scope":"read"}`))
	add(unavailable("introspection: case-variant Active member", ""),
		raw(`{"Active":true,"active":true,"aud":"`+Audience+`","scope":"read"}`))
	add(unavailable("introspection: oversized body", ""), func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"active":true,"aud":"`+Audience+`","scope":"read","pad":"`+strings.Repeat("a", introspect.DefaultMaxBodyBytes)+`"}`)
	})
	add(unavailable("introspection: redirect", ""), func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	})
	add(unavailable("introspection: slow endpoint", ""), func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * IntrospectionTimeout):
		}
	})
	add(unavailable("introspection: server error", ""), func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "internal error", http.StatusInternalServerError)
	})
	add(unavailable("introspection: not JSON", ""), func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<html>login</html>")
	})

	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/introspect" {
			// A followed redirect would land here and be accepted.
			active(nil)(w, r)
			return
		}
		if id, secret, ok := r.BasicAuth(); !ok || id != IntrospectionClientID || secret != IntrospectionSecret {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		answer, ok := f.answers[r.PostFormValue("token")]
		if !ok {
			answer = raw(`{"active":false}`)
		}
		answer(w, r)
	}))
	tb.Cleanup(f.Server.Close)
	return f, cases
}

// raw answers body as application/json.
func raw(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}
}
