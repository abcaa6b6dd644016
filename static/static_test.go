package static

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
)

// secret marks every token value in these tests, so a test can check that
// no error message or dump contains one.
const secret = "SECRETVALUE"

func fixedClock(unix int64) func() time.Time {
	return func() time.Time { return time.Unix(unix, 0) }
}

func TestNewTokenVerifierConfigErrors(t *testing.T) {
	ok := Token{ClientID: "ok-client", Scopes: []string{"read"}}
	tests := []struct {
		name   string
		tokens map[string]Token
		opts   []Option
		want   string
	}{
		{"nil map", nil, nil, "no tokens configured"},
		{"empty map", map[string]Token{}, nil, "no tokens configured"},
		{"empty token", map[string]Token{"": {ClientID: "c"}}, nil, `token of client_id "c": empty token`},
		{"space", map[string]Token{secret + " x": {ClientID: "c"}}, nil, "contains whitespace"},
		{"tab", map[string]Token{secret + "\tx": {ClientID: "c"}}, nil, "contains whitespace"},
		{"newline", map[string]Token{secret + "\n": {ClientID: "c"}}, nil, "contains whitespace"},
		{"no-break space", map[string]Token{secret + "\u00a0": {ClientID: "c"}}, nil, "contains whitespace"},
		{"em space", map[string]Token{secret + "\u2003": {ClientID: "c"}}, nil, "contains whitespace"},
		{"NUL", map[string]Token{secret + "\x00": {ClientID: "c"}}, nil, "control character"},
		{"DEL", map[string]Token{secret + "\x7f": {ClientID: "c"}}, nil, "control character"},
		{"C1 control", map[string]Token{secret + "\u0080": {ClientID: "c"}}, nil, "control character"},
		{"invalid UTF-8", map[string]Token{secret + "\xff": {ClientID: "c"}}, nil, "not valid UTF-8"},
		{"replacement char", map[string]Token{secret + "\ufffd": {ClientID: "c"}}, nil, "U+FFFD"},
		{"bad token without client_id", map[string]Token{secret + " ": {}}, nil, "static tokens: token contains whitespace"},
		{"missing client_id", map[string]Token{secret: {Scopes: []string{"read"}}}, nil, "a token has no client_id"},
		{"empty scope", map[string]Token{secret: {ClientID: "c", Scopes: []string{"read", ""}}}, nil, `token of client_id "c": empty scope`},
		{"scope with space", map[string]Token{secret: {ClientID: "c", Scopes: []string{"read write"}}}, nil, `scope "read write" has a character not allowed in a scope token`},
		{"scope with quote", map[string]Token{secret: {ClientID: "c", Scopes: []string{`a"b`}}}, nil, "not allowed in a scope token (RFC 6749 §3.3"},
		{"scope with backslash", map[string]Token{secret: {ClientID: "c", Scopes: []string{`a\b`}}}, nil, "not allowed in a scope token (RFC 6749 §3.3"},
		{"scope non-ASCII", map[string]Token{secret: {ClientID: "c", Scopes: []string{"lé"}}}, nil, "not allowed in a scope token (RFC 6749 §3.3"},
		{"negative expires_at", map[string]Token{secret: {ClientID: "c", ExpiresAt: -1}}, nil, "negative expires_at"},
		{"empty required scope", map[string]Token{secret: ok}, []Option{WithRequiredScopes("read", "")}, "required scope: empty scope"},
		{"bad required scope", map[string]Token{secret: ok}, []Option{WithRequiredScopes("a b")}, "required scope: scope"},
		{"nil option", map[string]Token{secret: ok}, []Option{WithRequiredScopes("a"), nil}, "Option 1 is nil"},
		{"one bad among good", map[string]Token{secret + "1": ok, secret + "2": {ClientID: "bad", Scopes: []string{""}}}, nil, `client_id "bad": empty scope`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewTokenVerifier(tt.tokens, tt.opts...)
			if err == nil {
				t.Fatalf("NewTokenVerifier succeeded (%v), want error", v)
			}
			if v != nil {
				t.Errorf("verifier = %v, want nil", v)
			}
			if !errors.Is(err, mcpauth.ErrInvalidConfig) {
				t.Errorf("error %v does not match mcpauth.ErrInvalidConfig", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q contains the token", err)
			}
		})
	}
}

func TestNewTokenVerifierErrorIsDeterministic(t *testing.T) {
	tokens := map[string]Token{
		"a-" + secret: {ClientID: "first", Scopes: []string{""}},
		"b-" + secret: {ClientID: "second", Scopes: []string{""}},
		"c-" + secret: {ClientID: "third", Scopes: []string{""}},
	}
	_, want := NewTokenVerifier(tokens)
	if want == nil || !strings.Contains(want.Error(), `"first"`) {
		t.Fatalf("error = %v, want one naming the first entry in token order", want)
	}
	for range 30 {
		if _, err := NewTokenVerifier(tokens); err.Error() != want.Error() {
			t.Fatalf("error changed between runs: %q, then %q", want, err)
		}
	}
}

func TestVerifyTokenAccepts(t *testing.T) {
	v, err := NewTokenVerifier(map[string]Token{
		"tok-full":  {ClientID: "alice", Scopes: []string{"read", "write"}, ExpiresAt: 2000, Subject: "alice@example.com"},
		"tok-plain": {ClientID: "bob"},
	}, WithClock(fixedClock(1000)))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		token string
		want  *mcpauth.AccessToken
	}{
		{"all fields", "tok-full", &mcpauth.AccessToken{
			Token:     "tok-full",
			ClientID:  "alice",
			Scopes:    []string{"read", "write"},
			ExpiresAt: time.Unix(2000, 0),
			Subject:   "alice@example.com",
			Claims: map[string]any{
				"client_id": "alice",
				"scope":     "read write",
				"sub":       "alice@example.com",
				"exp":       json.Number("2000"),
			},
		}},
		{"client_id only", "tok-plain", &mcpauth.AccessToken{
			Token:    "tok-plain",
			ClientID: "bob",
			Scopes:   []string{},
			Claims:   map[string]any{"client_id": "bob"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.VerifyToken(context.Background(), tt.token)
			if err != nil {
				t.Fatalf("VerifyToken: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestVerifyTokenRejects(t *testing.T) {
	tokens := map[string]Token{
		"tok-" + secret: {ClientID: "alice", Scopes: []string{"read"}},
		"x":             {ClientID: "short"},
	}
	v, err := NewTokenVerifier(tokens)
	if err != nil {
		t.Fatal(err)
	}
	for _, presented := range []string{"", "tok-", "tok-" + secret + "x", "TOK-" + secret, "tok-" + secret + " ", " x", "xx", "unknown"} {
		t.Run(fmt.Sprintf("%q", presented), func(t *testing.T) {
			at, err := v.VerifyToken(context.Background(), presented)
			if at != nil {
				t.Errorf("token = %v, want nil", at)
			}
			if !errors.Is(err, mcpauth.ErrInvalidToken) {
				t.Fatalf("error %v does not match mcpauth.ErrInvalidToken", err)
			}
			if r := mcpauth.ReasonOf(err); r != mcpauth.ReasonUnknownToken {
				t.Errorf("reason = %q, want %q", r, mcpauth.ReasonUnknownToken)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q contains the token", err)
			}
		})
	}
}

func TestVerifyTokenExpiry(t *testing.T) {
	const exp = 1_700_000_000
	tests := []struct {
		name    string
		now     int64
		expires int64
		expired bool
	}{
		{"a second before", exp - 1, exp, false},
		{"at expiry", exp, exp, true},
		{"after expiry", exp + 1, exp, true},
		{"never expires", 1 << 40, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewTokenVerifier(map[string]Token{"tok": {ClientID: "c", ExpiresAt: tt.expires}}, WithClock(fixedClock(tt.now)))
			if err != nil {
				t.Fatal(err)
			}
			at, err := v.VerifyToken(context.Background(), "tok")
			if !tt.expired {
				if err != nil || at == nil {
					t.Fatalf("VerifyToken = %v, %v; want a token", at, err)
				}
				return
			}
			if at != nil || !errors.Is(err, mcpauth.ErrInvalidToken) || mcpauth.ReasonOf(err) != mcpauth.ReasonExpired {
				t.Fatalf("VerifyToken = %v, %v; want an invalid token error with reason expired", at, err)
			}
		})
	}
}

func TestVerifyTokenClockIsReadPerCall(t *testing.T) {
	now := time.Unix(100, 0)
	v, err := NewTokenVerifier(map[string]Token{"tok": {ClientID: "c", ExpiresAt: 200}}, WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyToken(context.Background(), "tok"); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	now = time.Unix(300, 0)
	if _, err := v.VerifyToken(context.Background(), "tok"); mcpauth.ReasonOf(err) != mcpauth.ReasonExpired {
		t.Fatalf("after expiry: %v, want expired", err)
	}
}

func TestVerifyTokenRequiredScopes(t *testing.T) {
	v, err := NewTokenVerifier(map[string]Token{
		"tok-rw":      {ClientID: "rw", Scopes: []string{"write", "read", "admin"}},
		"tok-r":       {ClientID: "r", Scopes: []string{"read"}},
		"tok-none":    {ClientID: "none"},
		"tok-expired": {ClientID: "old", ExpiresAt: 10},
	}, WithRequiredScopes("read"), WithRequiredScopes("write"), WithClock(fixedClock(1000)))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v.RequiredScopes(), []string{"read", "write"}; !reflect.DeepEqual(got, want) {
		t.Errorf("RequiredScopes() = %q, want %q", got, want)
	}
	tests := []struct {
		token   string
		missing []string
	}{
		{"tok-rw", nil},
		{"tok-r", []string{"write"}},
		{"tok-none", []string{"read", "write"}},
	}
	for _, tt := range tests {
		t.Run(tt.token, func(t *testing.T) {
			at, err := v.VerifyToken(context.Background(), tt.token)
			if tt.missing == nil {
				if err != nil {
					t.Fatalf("VerifyToken: %v", err)
				}
				return
			}
			if at != nil {
				t.Errorf("token = %v, want nil", at)
			}
			var ise *mcpauth.InsufficientScopeError
			if !errors.As(err, &ise) {
				t.Fatalf("error %v is not an *InsufficientScopeError", err)
			}
			if !errors.Is(err, mcpauth.ErrInsufficientScope) {
				t.Errorf("error %v does not match ErrInsufficientScope", err)
			}
			if !reflect.DeepEqual(ise.Missing, tt.missing) || !reflect.DeepEqual(ise.Required, []string{"read", "write"}) {
				t.Errorf("Missing = %q, Required = %q", ise.Missing, ise.Required)
			}
		})
	}
	t.Run("expiry is checked before scopes", func(t *testing.T) {
		_, err := v.VerifyToken(context.Background(), "tok-expired")
		if mcpauth.ReasonOf(err) != mcpauth.ReasonExpired {
			t.Errorf("error = %v, want expired", err)
		}
	})
}

func TestVerifierDoesNotShareState(t *testing.T) {
	scopes := []string{"read"}
	tokens := map[string]Token{"tok": {ClientID: "c", Scopes: scopes}}
	required := []string{"read"}
	v, err := NewTokenVerifier(tokens, WithRequiredScopes(required...))
	if err != nil {
		t.Fatal(err)
	}
	// Mutating the caller's data after construction changes nothing.
	scopes[0] = "changed"
	required[0] = "changed"
	delete(tokens, "tok")
	at, err := v.VerifyToken(context.Background(), "tok")
	if err != nil {
		t.Fatalf("VerifyToken after mutating the inputs: %v", err)
	}
	// Mutating a returned token or scope list changes nothing either.
	at.Scopes[0] = "mutated"
	at.Claims["client_id"] = "mutated"
	v.RequiredScopes()[0] = "mutated"
	at2, err := v.VerifyToken(context.Background(), "tok")
	if err != nil {
		t.Fatalf("VerifyToken after mutating a result: %v", err)
	}
	if at2.Scopes[0] != "read" || at2.Claims["client_id"] != "c" || v.RequiredScopes()[0] != "read" {
		t.Errorf("state leaked between calls: %#v, %q", at2, v.RequiredScopes())
	}
}

func TestVerifierKeepsNoTokens(t *testing.T) {
	v, err := NewTokenVerifier(map[string]Token{secret: {ClientID: "c"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprintf("%#v", v), fmt.Sprintf("%+v", *v)} {
		if strings.Contains(s, secret) {
			t.Errorf("verifier dump contains the token: %s", s)
		}
	}
}

func TestVerifyTokenConcurrent(t *testing.T) {
	v, err := NewTokenVerifier(map[string]Token{"a": {ClientID: "a"}, "b": {ClientID: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := string(rune('a' + i%2))
			for range 100 {
				at, err := v.VerifyToken(context.Background(), tok)
				if err != nil || at.ClientID != tok {
					t.Errorf("VerifyToken(%q) = %v, %v", tok, at, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestNilClockMeansTimeNow: as everywhere in mcpauth, a nil option value
// means the default: WithClock(nil) checks expiry against time.Now.
func TestNilClockMeansTimeNow(t *testing.T) {
	v, err := NewTokenVerifier(map[string]Token{
		"past":   {ClientID: "c", ExpiresAt: time.Now().Add(-time.Minute).Unix()},
		"future": {ClientID: "c", ExpiresAt: time.Now().Add(time.Hour).Unix()},
	}, WithClock(nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyToken(context.Background(), "future"); err != nil {
		t.Fatalf("future token: %v", err)
	}
	if _, err := v.VerifyToken(context.Background(), "past"); mcpauth.ReasonOf(err) != mcpauth.ReasonExpired {
		t.Fatalf("past token: %v", err)
	}
}
