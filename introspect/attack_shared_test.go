package introspect_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/attacks"
	"github.com/mcpauth/mcpauth/introspect"
)

// TestAttackIntrospectionAnswers runs the shared table of hostile
// introspection answers (internal/attacks) through the verifier and
// asserts the error class and exact reason.
func TestAttackIntrospectionAnswers(t *testing.T) {
	f, cases := attacks.IntrospectionCases(t)
	v, err := introspect.New(f.Config(), introspect.WithClock(func() time.Time { return f.Now }),
		introspect.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			at, err := v.VerifyToken(context.Background(), c.Token)
			want := c.WantClass()
			if want == nil {
				if err != nil || at == nil || at.Issuer != attacks.Issuer {
					t.Fatalf("%+v, %v; want accepted", at, err)
				}
				return
			}
			if at != nil || err == nil {
				t.Fatalf("%+v, %v; want %v", at, err, want)
			}
			for _, s := range []error{mcpauth.ErrInvalidToken, mcpauth.ErrInsufficientScope, mcpauth.ErrKeySourceUnavailable, mcpauth.ErrInvalidConfig} {
				if errors.Is(err, s) != (s == want) {
					t.Fatalf("err = %v; errors.Is(err, %v) = %v", err, s, errors.Is(err, s))
				}
			}
			if got := mcpauth.ReasonOf(err); got != c.WantReason {
				t.Fatalf("reason %q (%v); want %q", got, err, c.WantReason)
			}
			if strings.Contains(err.Error(), c.Token) {
				t.Fatalf("the error %q shows the token", err)
			}
		})
	}
}
