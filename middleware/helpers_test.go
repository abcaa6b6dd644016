package middleware

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mcpauth/mcpauth"
)

// secret is part of every token in these tests, so tests can check that no
// response or log record contains one.
const secret = "SECRET"

// Tokens understood by fakeVerifier. All are RFC 6750 b64tokens.
const (
	tokGood         = "good-" + secret + ".a_b~c+d/e=="
	tokNoScopes     = "noscopes-" + secret
	tokReadOnly     = "readonly-" + secret
	tokExpired      = "expired-" + secret
	tokSignature    = "signature-" + secret
	tokWrapped      = "wrapped-" + secret
	tokScope        = "scope-" + secret
	tokScopeWeird   = "scopeweird-" + secret
	tokScopePlain   = "scopeplain-" + secret
	tokUnavailable  = "unavailable-" + secret
	tokUnknownErr   = "unknownerr-" + secret
	tokNil          = "nil-" + secret
	tokCanceled     = "canceled-" + secret
	tokLeakyInvalid = "leakyinvalid-" + secret
)

var errUnknown = errors.New("backend exploded")

// verifierFunc adapts a function to mcpauth.TokenVerifier.
type verifierFunc func(ctx context.Context, token string) (*mcpauth.AccessToken, error)

func (f verifierFunc) VerifyToken(ctx context.Context, token string) (*mcpauth.AccessToken, error) {
	return f(ctx, token)
}

// scopedVerifier is a verifier that also implements mcpauth.ScopeRequirer.
type scopedVerifier struct {
	mcpauth.TokenVerifier
	scopes []string
}

func (s scopedVerifier) RequiredScopes() []string { return s.scopes }

// fakeVerifier answers according to the token's name and counts calls.
type fakeVerifier struct {
	calls atomic.Int64
}

func (f *fakeVerifier) VerifyToken(ctx context.Context, token string) (*mcpauth.AccessToken, error) {
	f.calls.Add(1)
	switch token {
	case tokGood:
		return &mcpauth.AccessToken{Token: token, ClientID: "client-1", Scopes: []string{"read", "write", "admin"}}, nil
	case tokNoScopes:
		return &mcpauth.AccessToken{Token: token, ClientID: "client-2"}, nil
	case tokReadOnly:
		return &mcpauth.AccessToken{Token: token, ClientID: "client-3", Scopes: []string{"read"}}, nil
	case tokExpired:
		return nil, mcpauth.InvalidToken(mcpauth.ReasonExpired, "token expired")
	case tokSignature:
		return nil, &mcpauth.InvalidTokenError{Reason: mcpauth.ReasonSignature, Detail: "bad signature", Err: errors.New("crypto/rsa: verification error")}
	case tokWrapped:
		return nil, fmt.Errorf("custom verifier: %w", mcpauth.ErrInvalidToken)
	case tokScope:
		return nil, &mcpauth.InsufficientScopeError{Required: []string{"read", "files:write"}, Missing: []string{"files:write"}, ClientID: "client-4", Granted: []string{"read"}}
	case tokScopeWeird:
		return nil, &mcpauth.InsufficientScopeError{Required: []string{`we"ird\ one`, "\x00\xff"}, Missing: []string{"x"}}
	case tokScopePlain:
		return nil, fmt.Errorf("custom: %w", mcpauth.ErrInsufficientScope)
	case tokUnavailable:
		return nil, fmt.Errorf("jwks: fetch failed: %w", mcpauth.ErrKeySourceUnavailable)
	case tokUnknownErr:
		return nil, fmt.Errorf("verifying %s: %w", token, errUnknown) // a careless verifier echoing the token
	case tokNil:
		return nil, nil
	case tokCanceled:
		return nil, context.Canceled
	case tokLeakyInvalid:
		return nil, mcpauth.InvalidToken(mcpauth.ReasonMalformed, "cannot parse "+token)
	}
	return nil, mcpauth.InvalidToken(mcpauth.ReasonUnknownToken, "no such token")
}

// logBuffer returns a logger writing every level to the returned buffer.
func logBuffer() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), &buf
}

// containsSecret reports whether any of texts contains secret.
func containsSecret(texts ...string) bool {
	return slices.ContainsFunc(texts, func(s string) bool { return strings.Contains(s, secret) })
}

// mustConfig is newConfig for options the test knows are valid.
func mustConfig(t testing.TB, v mcpauth.TokenVerifier, opts []Option) *config {
	t.Helper()
	c, err := newConfig(v, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
