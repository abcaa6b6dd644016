package chain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/mcpauth/mcpauth"
)

// Step is one verifier of a chain and the name it is logged under.
type Step struct {
	// Name identifies the verifier in errors and logs ("jwt",
	// "introspection"). Required, unique within a chain.
	Name string
	// Verifier is the verifier. Required.
	Verifier mcpauth.TokenVerifier
}

// Option adjusts a chain.
type Option func(*options)

type options struct {
	logger *slog.Logger
}

// WithLogger sets the logger that receives, at Debug level, the refused
// attempts of tokens a later verifier accepted. Nil or unset means
// slog.Default(). Tokens are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// Verifier is a chain of verifiers. It is safe for concurrent use when its
// verifiers are.
type Verifier struct {
	steps  []Step
	route  bool // ByShape: steps[0] takes JWS-shaped tokens, steps[1] the rest
	scopes []string
	logger *slog.Logger
}

var (
	_ mcpauth.TokenVerifier = (*Verifier)(nil)
	_ mcpauth.ScopeRequirer = (*Verifier)(nil)

	_ mcpauth.DPoPBindingDeferrer = (*Verifier)(nil)
)

// FirstSuccess returns a chain that tries steps in order and answers with
// the first that accepts the token; see the package documentation for the
// answer when none does. It needs at least one step; errors match
// [mcpauth.ErrInvalidConfig].
func FirstSuccess(steps []Step, opts ...Option) (*Verifier, error) {
	if len(steps) == 0 {
		return nil, configErr("FirstSuccess needs at least one verifier")
	}
	return newVerifier(steps, false, opts)
}

// ByShape returns a chain that sends tokens shaped like a compact JWS
// ([LooksLikeJWS]) to jws and every other token to other. Errors match
// [mcpauth.ErrInvalidConfig].
func ByShape(jws, other Step, opts ...Option) (*Verifier, error) {
	return newVerifier([]Step{jws, other}, true, opts)
}

func newVerifier(steps []Step, route bool, opts []Option) (*Verifier, error) {
	o := options{}
	for i, opt := range opts {
		if opt == nil {
			return nil, configErr("option %d is nil", i+1)
		}
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	v := &Verifier{steps: slices.Clone(steps), route: route, logger: o.logger}
	seen := map[string]bool{}
	for i, s := range steps {
		switch {
		case s.Name == "":
			return nil, configErr("verifier %d has no Name", i+1)
		case s.Verifier == nil:
			return nil, configErr("verifier %q is nil", s.Name)
		case seen[s.Name]:
			return nil, configErr("two verifiers are named %q", s.Name)
		}
		seen[s.Name] = true
		if sr, ok := s.Verifier.(mcpauth.ScopeRequirer); ok {
			for _, sc := range sr.RequiredScopes() {
				if !slices.Contains(v.scopes, sc) {
					v.scopes = append(v.scopes, sc)
				}
			}
		}
	}
	return v, nil
}

// configErr formats an error that matches mcpauth.ErrInvalidConfig.
func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: chain: %s", mcpauth.ErrInvalidConfig, fmt.Sprintf(format, args...))
}

// RequiredScopes returns every scope a verifier of the chain requires, in
// order, without repeats. It implements [mcpauth.ScopeRequirer], so the
// middleware advertises them.
func (v *Verifier) RequiredScopes() []string { return slices.Clone(v.scopes) }

// DefersDPoPBinding reports whether a verifier of the chain defers the
// check of DPoP-bound tokens to the middleware (implements
// [mcpauth.DPoPBindingDeferrer] and reports true), so that the middleware
// refuses to be built around the chain without DPoP.
func (v *Verifier) DefersDPoPBinding() bool {
	for _, s := range v.steps {
		if d, ok := s.Verifier.(mcpauth.DPoPBindingDeferrer); ok && d.DefersDPoPBinding() {
			return true
		}
	}
	return false
}

// Steps returns the chain's verifiers in order.
func (v *Verifier) Steps() []Step { return slices.Clone(v.steps) }

// VerifyToken implements [mcpauth.TokenVerifier]; see the package
// documentation for the order and the error precedence.
func (v *Verifier) VerifyToken(ctx context.Context, token string) (*mcpauth.AccessToken, error) {
	if v.route {
		s := v.steps[1]
		if LooksLikeJWS(token) {
			s = v.steps[0]
		}
		at, err := s.Verifier.VerifyToken(ctx, token)
		if err != nil {
			return nil, decide([]Attempt{{Name: s.Name, Reason: mcpauth.ReasonOf(err), Err: err}})
		}
		return at, nil
	}
	var attempts []Attempt
	for _, s := range v.steps {
		if err := ctx.Err(); err != nil {
			attempts = append(attempts, Attempt{Name: s.Name, Reason: mcpauth.ReasonUnavailable,
				Err: fmt.Errorf("%w: chain: the request ended before this verifier: %w", mcpauth.ErrKeySourceUnavailable, err)})
			break
		}
		at, err := s.Verifier.VerifyToken(ctx, token)
		if err == nil && at != nil {
			if len(attempts) > 0 {
				v.logAccepted(ctx, s.Name, attempts, token)
			}
			return at, nil
		}
		if err == nil {
			err = errNilToken
		}
		attempts = append(attempts, Attempt{Name: s.Name, Reason: mcpauth.ReasonOf(err), Err: err})
	}
	return nil, decide(attempts)
}

// errNilToken reports a verifier that returned neither a token nor an error.
var errNilToken = mcpauth.InvalidToken(mcpauth.ReasonOther, "the verifier returned neither an access token nor an error")

// logAccepted logs the refusals that preceded an acceptance.
func (v *Verifier) logAccepted(ctx context.Context, by string, attempts []Attempt, token string) {
	if !v.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	v.logger.LogAttrs(ctx, slog.LevelDebug, "chain: token accepted after refusals",
		slog.String("accepted_by", by), slog.String("attempts", redact(attemptsText(attempts), token)))
}

// redact removes the token from text, in case a verifier's error quoted it.
func redact(text, token string) string {
	if token == "" {
		return text
	}
	return strings.ReplaceAll(text, token, "[REDACTED]")
}

// decide picks the answer of a chain that accepted nobody.
func decide(attempts []Attempt) *Error {
	e := &Error{Attempts: attempts}
	pick := -1
	for i, a := range attempts {
		if errors.Is(a.Err, mcpauth.ErrKeySourceUnavailable) {
			pick = i
			break
		}
	}
	if pick < 0 {
		for i, a := range attempts {
			if errors.Is(a.Err, mcpauth.ErrInsufficientScope) {
				pick = i
				break
			}
		}
	}
	if pick < 0 {
		for i, a := range attempts {
			if a.Reason != mcpauth.ReasonMalformed {
				pick = i
				break
			}
		}
	}
	if pick < 0 {
		pick = 0
	}
	e.decided = attempts[pick].Err
	return e
}

// Attempt is one verifier's refusal.
type Attempt struct {
	Name   string
	Reason mcpauth.Reason
	Err    error
}

// Error is the answer of a chain that accepted nobody. It unwraps to the
// error of the deciding attempt only (see the package documentation), so it
// matches exactly one of the module's sentinels.
type Error struct {
	// Attempts lists every verifier tried, in order.
	Attempts []Attempt
	decided  error
}

// Error lists every attempt by name and error.
func (e *Error) Error() string {
	return "chain: no verifier accepted the token: " + attemptsText(e.Attempts)
}

// Unwrap returns the deciding attempt's error.
func (e *Error) Unwrap() error { return e.decided }

func attemptsText(attempts []Attempt) string {
	var b strings.Builder
	for i, a := range attempts {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(a.Name)
		b.WriteString(": ")
		b.WriteString(a.Err.Error())
	}
	return b.String()
}
