package chain

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth"
)

// fake is a verifier with a fixed answer that counts its calls.
type fake struct {
	at     *mcpauth.AccessToken
	err    error
	scopes []string
	calls  int
}

func (f *fake) VerifyToken(context.Context, string) (*mcpauth.AccessToken, error) {
	f.calls++
	return f.at, f.err
}

func (f *fake) RequiredScopes() []string { return f.scopes }

func accepts(client string) *fake { return &fake{at: &mcpauth.AccessToken{ClientID: client}} }
func refuses(r mcpauth.Reason) *fake {
	return &fake{err: mcpauth.InvalidToken(r, "refused by the fake")}
}
func down() *fake { return &fake{err: mcpauth.ErrKeySourceUnavailable} }
func lacks(scope string) *fake {
	return &fake{err: &mcpauth.InsufficientScopeError{Required: []string{scope}, Missing: []string{scope}}}
}

func steps(vs ...*fake) []Step {
	out := make([]Step, len(vs))
	for i, v := range vs {
		out[i] = Step{Name: string(rune('a' + i)), Verifier: v}
	}
	return out
}

// sentinel returns the one sentinel err matches, failing if it matches
// several or none.
func sentinel(t *testing.T, err error) error {
	t.Helper()
	var got []error
	for _, s := range []error{mcpauth.ErrInvalidToken, mcpauth.ErrInsufficientScope, mcpauth.ErrKeySourceUnavailable} {
		if errors.Is(err, s) {
			got = append(got, s)
		}
	}
	if len(got) != 1 {
		t.Fatalf("error %v matches %d sentinels; want exactly one", err, len(got))
	}
	return got[0]
}

func TestFirstSuccessPrecedence(t *testing.T) {
	for _, tt := range []struct {
		name     string
		vs       []*fake
		client   string         // accepted by
		sentinel error          // else: the error
		reason   mcpauth.Reason // of the error
		calls    []int
	}{
		{"first accepts", []*fake{accepts("one"), accepts("two")}, "one", nil, "", []int{1, 0}},
		{"second accepts", []*fake{refuses(mcpauth.ReasonMalformed), accepts("two")}, "two", nil, "", []int{1, 1}},
		{"accepted although another is down", []*fake{down(), accepts("two")}, "two", nil, "", []int{1, 1}},
		{"all refuse: first readable reason", []*fake{refuses(mcpauth.ReasonMalformed), refuses(mcpauth.ReasonInactive), refuses(mcpauth.ReasonIssuer)},
			"", mcpauth.ErrInvalidToken, mcpauth.ReasonInactive, []int{1, 1, 1}},
		{"all malformed: the first", []*fake{refuses(mcpauth.ReasonMalformed), refuses(mcpauth.ReasonMalformed)},
			"", mcpauth.ErrInvalidToken, mcpauth.ReasonMalformed, []int{1, 1}},
		{"one down, one refuses: 503 not 401", []*fake{refuses(mcpauth.ReasonSignature), down()},
			"", mcpauth.ErrKeySourceUnavailable, mcpauth.ReasonUnavailable, []int{1, 1}},
		{"down first, refuses second: 503", []*fake{down(), refuses(mcpauth.ReasonInactive)},
			"", mcpauth.ErrKeySourceUnavailable, mcpauth.ReasonUnavailable, []int{1, 1}},
		{"lacking scope beats refusal: 403", []*fake{refuses(mcpauth.ReasonMalformed), lacks("admin")},
			"", mcpauth.ErrInsufficientScope, mcpauth.ReasonInsufficientScope, []int{1, 1}},
		{"down beats lacking scope", []*fake{lacks("admin"), down()},
			"", mcpauth.ErrKeySourceUnavailable, mcpauth.ReasonUnavailable, []int{1, 1}},
		{"nil token and nil error is a refusal", []*fake{{}},
			"", mcpauth.ErrInvalidToken, mcpauth.ReasonOther, []int{1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := FirstSuccess(steps(tt.vs...))
			if err != nil {
				t.Fatal(err)
			}
			at, err := c.VerifyToken(context.Background(), "tok")
			for i, v := range tt.vs {
				if v.calls != tt.calls[i] {
					t.Errorf("verifier %d called %d times; want %d", i, v.calls, tt.calls[i])
				}
			}
			if tt.client != "" {
				if err != nil || at.ClientID != tt.client {
					t.Fatalf("got %+v, %v; want accepted by %s", at, err, tt.client)
				}
				return
			}
			if at != nil {
				t.Fatalf("accepted: %+v", at)
			}
			if s := sentinel(t, err); s != tt.sentinel {
				t.Fatalf("error %v; want %v", err, tt.sentinel)
			}
			if r := mcpauth.ReasonOf(err); r != tt.reason {
				t.Fatalf("reason %q; want %q", r, tt.reason)
			}
			var ce *Error
			if !errors.As(err, &ce) || len(ce.Attempts) != len(tt.vs) {
				t.Fatalf("error %v does not list every attempt", err)
			}
			for _, a := range ce.Attempts {
				if !strings.Contains(err.Error(), a.Name+": ") {
					t.Fatalf("message %q does not name attempt %s", err, a.Name)
				}
			}
		})
	}
}

func TestInsufficientScopeKeepsItsScopes(t *testing.T) {
	c, _ := FirstSuccess(steps(refuses(mcpauth.ReasonMalformed), lacks("admin")))
	_, err := c.VerifyToken(context.Background(), "tok")
	var ise *mcpauth.InsufficientScopeError
	if !errors.As(err, &ise) || !slices.Equal(ise.Missing, []string{"admin"}) {
		t.Fatalf("error %v; want the missing scope", err)
	}
}

func TestByShape(t *testing.T) {
	const jws = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln"
	for _, tt := range []struct {
		token string
		jwt   bool
	}{
		{jws, true},
		{"opaque-token", false},
		{"a.b", false},
		{"a.b.c.d.e", false},
		{"a..c", false},
		{"a.b.", false},
		{"a+b.c.d", false},
		{"a.b.c=", false},
	} {
		j, o := accepts("jwt"), accepts("opaque")
		c, err := ByShape(Step{"jwt", j}, Step{"introspection", o})
		if err != nil {
			t.Fatal(err)
		}
		at, err := c.VerifyToken(context.Background(), tt.token)
		if err != nil {
			t.Fatal(err)
		}
		want := map[bool]string{true: "jwt", false: "opaque"}[tt.jwt]
		if at.ClientID != want || j.calls+o.calls != 1 {
			t.Errorf("%q went to %s (jwt %d, opaque %d calls); want only %s", tt.token, at.ClientID, j.calls, o.calls, want)
		}
	}
	// A routed refusal is not retried elsewhere, and keeps its sentinel.
	j, o := down(), accepts("opaque")
	c, _ := ByShape(Step{"jwt", j}, Step{"introspection", o})
	_, err := c.VerifyToken(context.Background(), jws)
	if sentinel(t, err) != mcpauth.ErrKeySourceUnavailable || o.calls != 0 {
		t.Fatalf("error %v, opaque calls %d", err, o.calls)
	}
}

func TestLooksLikeJWS(t *testing.T) {
	for tok, want := range map[string]bool{
		"a.b.c": true, "A-_.0.9": true, "": false, "..": false, "a.b": false, ".b.c": false,
		"a.b.c.": false, "a.b/c.d": false, "a.b.c d": false, "a.b.c\n": false,
	} {
		if got := LooksLikeJWS(tok); got != want {
			t.Errorf("LooksLikeJWS(%q) = %v; want %v", tok, got, want)
		}
	}
}

func TestCancelledRequestStopsTheChain(t *testing.T) {
	a, b := refuses(mcpauth.ReasonMalformed), accepts("b")
	c, _ := FirstSuccess(steps(a, b))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.VerifyToken(ctx, "tok")
	if sentinel(t, err) != mcpauth.ErrKeySourceUnavailable || a.calls != 0 || b.calls != 0 {
		t.Fatalf("error %v; calls %d %d", err, a.calls, b.calls)
	}
}

func TestConfigErrors(t *testing.T) {
	for name, build := range map[string]func() (*Verifier, error){
		"empty":        func() (*Verifier, error) { return FirstSuccess(nil) },
		"no name":      func() (*Verifier, error) { return FirstSuccess([]Step{{Verifier: accepts("x")}}) },
		"nil":          func() (*Verifier, error) { return FirstSuccess([]Step{{Name: "x"}}) },
		"duplicate":    func() (*Verifier, error) { return FirstSuccess([]Step{{"x", accepts("1")}, {"x", accepts("2")}}) },
		"by shape nil": func() (*Verifier, error) { return ByShape(Step{"jwt", accepts("x")}, Step{Name: "introspection"}) },
		"nil option":   func() (*Verifier, error) { return FirstSuccess(steps(accepts("x")), nil) },
	} {
		if v, err := build(); v != nil || !errors.Is(err, mcpauth.ErrInvalidConfig) {
			t.Errorf("%s: %v, %v; want ErrInvalidConfig", name, v, err)
		}
	}
}

func TestRequiredScopesUnion(t *testing.T) {
	a, b := accepts("a"), accepts("b")
	a.scopes, b.scopes = []string{"read", "write"}, []string{"write", "admin"}
	c, _ := FirstSuccess(steps(a, b, accepts("c")))
	if got := c.RequiredScopes(); !slices.Equal(got, []string{"read", "write", "admin"}) {
		t.Fatalf("RequiredScopes = %v", got)
	}
}

// leaky quotes the token in its error, which a verifier must not do; the
// chain's log still never shows it.
type leaky struct{}

func (leaky) VerifyToken(_ context.Context, tok string) (*mcpauth.AccessToken, error) {
	return nil, mcpauth.InvalidToken(mcpauth.ReasonSignature, "bad token "+tok)
}

func TestLogsAttemptsNeverTheToken(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, _ := FirstSuccess([]Step{{"jwt", leaky{}}, {"introspection", accepts("x")}}, WithLogger(l))
	const tok = "super-secret-token-value"
	if _, err := c.VerifyToken(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, tok) {
		t.Fatalf("log shows the token: %s", out)
	}
	if !strings.Contains(out, "accepted_by=introspection") || !strings.Contains(out, "jwt: invalid token: signature") {
		t.Fatalf("log lacks the attempts: %s", out)
	}
}
