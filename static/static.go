package static

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/scopetoken"
)

// Token describes the holder of one static token. Its JSON form is the one
// FastMCP uses for StaticTokenVerifier entries.
type Token struct {
	// ClientID is the OAuth client the token stands for. It is required.
	ClientID string `json:"client_id"`
	// Scopes granted to the token. Each must be a non-empty RFC 6749 scope
	// token (printable ASCII without space, '"' or '\').
	Scopes []string `json:"scopes"`
	// ExpiresAt is the expiry time in Unix seconds; 0 means the token never
	// expires. The token is rejected from that second on.
	ExpiresAt int64 `json:"expires_at"`
	// Subject is the sub reported for the token; it may be empty.
	Subject string `json:"sub"`
}

// Option configures a [TokenVerifier]. A nil Option is a configuration
// error; a nil value given to an option means that option's default.
type Option func(*config)

type config struct {
	requiredScopes []string
	clock          func() time.Time
}

// WithRequiredScopes makes the verifier reject, with an
// [*mcpauth.InsufficientScopeError], every token that does not grant all of
// scopes. Calls accumulate. By default no scope is required.
func WithRequiredScopes(scopes ...string) Option {
	scopes = slices.Clone(scopes)
	return func(c *config) { c.requiredScopes = append(c.requiredScopes, scopes...) }
}

// WithClock sets the clock used to check expiry. nil (the default) means
// time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.clock = now }
}

// entry is one configured token, kept only as its SHA-256 digest.
type entry struct {
	digest [sha256.Size]byte
	token  Token
}

// TokenVerifier verifies bearer tokens against a fixed table. It implements
// [mcpauth.TokenVerifier] and [mcpauth.ScopeRequirer] and is safe for
// concurrent use.
//
// WARNING: for development and testing only; see the package documentation.
type TokenVerifier struct {
	entries        []entry
	requiredScopes []string
	now            func() time.Time
}

// Interface checks.
var (
	_ mcpauth.TokenVerifier = (*TokenVerifier)(nil)
	_ mcpauth.ScopeRequirer = (*TokenVerifier)(nil)
)

// NewTokenVerifier builds a verifier accepting the tokens in the map, each
// described by its [Token].
//
// It returns an error matching [mcpauth.ErrInvalidConfig] when the map is
// empty, a token is empty or contains whitespace, control characters, invalid
// UTF-8 or U+FFFD, an entry has no client_id or an empty or malformed scope, an
// expires_at is negative, a required scope is malformed, or an Option is nil.
// Errors name the entry by its client_id, never by its token.
//
// Tokens presented through the HTTP middleware must also be RFC 6750
// b64token syntax (letters, digits and -._~+/ with optional trailing '='),
// or the middleware refuses them before the verifier sees them.
//
// The map is not retained: the verifier keeps SHA-256 digests of the tokens.
func NewTokenVerifier(tokens map[string]Token, opts ...Option) (*TokenVerifier, error) {
	var c config
	for i, o := range opts {
		if o == nil {
			return nil, configErr("Option %d is nil", i)
		}
		o(&c)
	}
	if c.clock == nil {
		c.clock = time.Now
	}
	for _, s := range c.requiredScopes {
		if err := scopetoken.Check(s); err != nil {
			return nil, configErr("required scope: %v", err)
		}
	}
	if len(tokens) == 0 {
		return nil, configErr("no tokens configured")
	}
	// Validate in a fixed order so that the reported error does not depend
	// on map iteration order.
	keys := make([]string, 0, len(tokens))
	for k := range tokens {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	v := &TokenVerifier{
		entries:        make([]entry, 0, len(keys)),
		requiredScopes: slices.Clone(c.requiredScopes),
		now:            c.clock,
	}
	for _, k := range keys {
		t := tokens[k]
		if err := checkEntry(k, t); err != nil {
			return nil, configErr("%v", err)
		}
		t.Scopes = slices.Clone(t.Scopes)
		v.entries = append(v.entries, entry{digest: sha256.Sum256([]byte(k)), token: t})
	}
	return v, nil
}

// configErr returns an error matching mcpauth.ErrInvalidConfig.
func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: static tokens: %s", mcpauth.ErrInvalidConfig, fmt.Sprintf(format, args...))
}

// checkEntry validates one table entry. Its errors never contain the token.
func checkEntry(token string, t Token) error {
	if err := checkToken(token); err != nil {
		if t.ClientID != "" {
			return fmt.Errorf("token of client_id %q: %w", t.ClientID, err)
		}
		return err
	}
	if t.ClientID == "" {
		return errors.New("a token has no client_id")
	}
	for _, s := range t.Scopes {
		if err := scopetoken.Check(s); err != nil {
			return fmt.Errorf("token of client_id %q: %w", t.ClientID, err)
		}
	}
	if t.ExpiresAt < 0 {
		return fmt.Errorf("token of client_id %q: negative expires_at", t.ClientID)
	}
	return nil
}

// checkToken validates a configured token string without quoting it.
func checkToken(token string) error {
	if token == "" {
		return errors.New("empty token")
	}
	if !utf8.ValidString(token) {
		return errors.New("token is not valid UTF-8")
	}
	for _, r := range token {
		if unicode.IsSpace(r) {
			return errors.New("token contains whitespace")
		}
		if unicode.IsControl(r) {
			return errors.New("token contains a control character")
		}
		if r == utf8.RuneError {
			return errors.New("token contains U+FFFD, the Unicode replacement character")
		}
	}
	return nil
}

// VerifyToken looks token up in the table.
//
// It returns an error matching [mcpauth.ErrInvalidToken] with reason
// [mcpauth.ReasonUnknownToken] when the token is not configured and
// [mcpauth.ReasonExpired] when it has expired, and an
// [*mcpauth.InsufficientScopeError] when it lacks a required scope.
//
// The lookup compares the token's SHA-256 digest with every entry's in
// constant time, without stopping at a match.
func (v *TokenVerifier) VerifyToken(_ context.Context, token string) (*mcpauth.AccessToken, error) {
	digest := sha256.Sum256([]byte(token))
	found := -1
	for i := range v.entries {
		eq := subtle.ConstantTimeCompare(digest[:], v.entries[i].digest[:])
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	if found < 0 {
		return nil, mcpauth.InvalidToken(mcpauth.ReasonUnknownToken, "no such static token")
	}
	t := &v.entries[found].token
	if t.ExpiresAt != 0 && !v.now().Before(time.Unix(t.ExpiresAt, 0)) {
		return nil, mcpauth.InvalidToken(mcpauth.ReasonExpired, "static token expired")
	}
	at := &mcpauth.AccessToken{
		Token:    token,
		ClientID: t.ClientID,
		Scopes:   slices.Clone(t.Scopes),
		Subject:  t.Subject,
		Claims:   map[string]any{"client_id": t.ClientID},
	}
	if at.Scopes == nil {
		at.Scopes = []string{}
	}
	if len(t.Scopes) > 0 {
		at.Claims["scope"] = strings.Join(t.Scopes, " ")
	}
	if t.Subject != "" {
		at.Claims["sub"] = t.Subject
	}
	if t.ExpiresAt != 0 {
		at.ExpiresAt = time.Unix(t.ExpiresAt, 0)
		at.Claims["exp"] = json.Number(strconv.FormatInt(t.ExpiresAt, 10))
	}
	if err := at.CheckScopes(v.requiredScopes); err != nil {
		return nil, err
	}
	return at, nil
}

// RequiredScopes returns the scopes set with [WithRequiredScopes]. It
// implements [mcpauth.ScopeRequirer].
func (v *TokenVerifier) RequiredScopes() []string {
	return slices.Clone(v.requiredScopes)
}
