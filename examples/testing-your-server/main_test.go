package main

// This file is the example: how to test your own server protected by
// mcpauth, with package testkeys (and its testing.TB helpers in
// testkeystest) standing in for your identity provider.
//
//   - testkeystest.SharedRSAKeyPair gives a signing key (generated once per
//     test binary); testkeys.GenerateECKeyPair a foreign one.
//   - testkeystest.NewJWKSServer publishes the key as a JWK Set on loopback
//     and stops it when the test ends, so
//     the verifier is configured exactly as in production (JWKS URI, issuer,
//     audience); the same table also runs against a PEM-configured verifier.
//   - CreateToken mints each token of the table: valid, expired, for
//     another audience, lacking a scope, ... and the test asserts the status,
//     the WWW-Authenticate error and, through middleware.WithObserver, the
//     reason the middleware recorded, so a 401 for the wrong reason fails.
//   - verify.WithClock makes expiry testable without sleeping.

import (
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
	"github.com/mcpauth/mcpauth/verify"
)

const (
	issuer   = "https://auth.example.com"
	audience = "https://api.example.com"
)

// settings is the production configuration, minus the key source.
func settings() verify.Settings {
	return verify.Settings{Issuers: []string{issuer}, Audiences: []string{audience}}
}

// jwksVerifier verifies with keys fetched from a test JWKS server, as a
// server configured with MCPAUTH_JWT_JWKS_URI does.
func jwksVerifier(t *testing.T, keys ...*testkeys.KeyPair) (*verify.JWTVerifier, *testkeystest.JWKSServer) {
	t.Helper()
	jwks := testkeystest.NewJWKSServer(t, keys...)
	s := settings()
	s.JWKSURI = jwks.URL()
	v, err := verify.NewJWTVerifier(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v, jwks
}

// pemVerifier verifies with a PEM public key, as a server configured with
// MCPAUTH_JWT_PUBLIC_KEY does.
func pemVerifier(t *testing.T, key *testkeys.KeyPair, opts ...verify.Option) *verify.JWTVerifier {
	t.Helper()
	s := settings()
	s.PublicKey = key.PublicKeyPEM()
	v, err := verify.NewJWTVerifier(s, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// result is what one request got.
type result struct {
	status    int
	challenge string
	body      string
	outcome   middleware.Outcome
}

// client sends requests to the server built around a verifier and records
// the middleware's outcome of each.
type client struct {
	h    http.Handler
	last middleware.Outcome
}

func newClient(t *testing.T, v mcpauth.TokenVerifier) *client {
	t.Helper()
	c := &client{}
	h, err := newHandler(v,
		middleware.WithObserver(func(_ *http.Request, o middleware.Outcome) { c.last = o }),
		middleware.WithLogger(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		t.Fatal(err)
	}
	c.h = h
	return c
}

// get calls GET /hello with token ("" sends no Authorization header). The
// handler runs synchronously on a recorder, so c.last is this request's.
func (c *client) get(token string) result {
	c.last = middleware.Outcome{}
	req := httptest.NewRequest(http.MethodGet, "/hello", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	return result{rec.Code, rec.Header().Get("WWW-Authenticate"), rec.Body.String(), c.last}
}

// challengeError returns the error parameter of a WWW-Authenticate value.
func challengeError(challenge string) string {
	_, rest, ok := strings.Cut(challenge, `error="`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}

func mint(t *testing.T, key *testkeys.KeyPair, change func(*testkeys.TokenOptions)) string {
	t.Helper()
	o := testkeys.TokenOptions{
		Subject:  "alice",
		Issuer:   issuer,
		Audience: []string{audience},
		Scopes:   []string{scopeHello},
	}
	if change != nil {
		change(&o)
	}
	tok, err := key.CreateToken(o)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestTokenTable(t *testing.T) {
	key := testkeystest.SharedRSAKeyPair(t)
	foreign, err := testkeys.GenerateECKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	foreignRSA, err := testkeys.GenerateRSAKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	valid := mint(t, key, nil)
	b64 := base64.RawURLEncoding.EncodeToString
	// Hand-made tokens: claims an attacker would like, under a header that
	// declares no signature at all.
	forgedClaims := b64([]byte(`{"sub":"admin","iss":"` + issuer + `","aud":"` + audience + `","scope":"hello:read","exp":4102444800}`))
	unsigned := b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + forgedClaims

	tests := []struct {
		name       string
		token      string
		wantStatus int
		wantError  string // error parameter of WWW-Authenticate
		wantReason mcpauth.Reason
		pemReason  mcpauth.Reason // when the PEM verifier's reason differs
	}{
		{"valid", valid, 200, "", "", ""},
		{"no token", "", 401, "", middleware.ReasonNoCredentials, ""},
		{"expired", mint(t, key, func(o *testkeys.TokenOptions) { o.ExpiresIn = -time.Hour }), 401, "invalid_token", mcpauth.ReasonExpired, ""},
		{"not yet valid", mint(t, key, func(o *testkeys.TokenOptions) {
			o.AdditionalClaims = map[string]any{"nbf": time.Now().Add(time.Hour).Unix()}
		}), 401, "invalid_token", mcpauth.ReasonNotYetValid, ""},
		{"wrong audience", mint(t, key, func(o *testkeys.TokenOptions) { o.Audience = []string{"https://other.example.com"} }), 401, "invalid_token", mcpauth.ReasonAudience, ""},
		{"no audience", mint(t, key, func(o *testkeys.TokenOptions) { o.Audience = nil }), 401, "invalid_token", mcpauth.ReasonAudience, ""},
		{"wrong issuer", mint(t, key, func(o *testkeys.TokenOptions) { o.Issuer = "https://evil.example.com" }), 401, "invalid_token", mcpauth.ReasonIssuer, ""},
		{"missing scope", mint(t, key, func(o *testkeys.TokenOptions) { o.Scopes = []string{"hello:write"} }), 403, "insufficient_scope", mcpauth.ReasonInsufficientScope, ""},
		{"no scope at all", mint(t, key, func(o *testkeys.TokenOptions) { o.Scopes = nil }), 403, "insufficient_scope", mcpauth.ReasonInsufficientScope, ""},
		// The JWKS has no key with the foreign kid; the PEM verifier, with
		// a single RSA key, refuses ES256 outright.
		{"foreign key", mint(t, foreign, nil), 401, "invalid_token", mcpauth.ReasonUnknownKey, mcpauth.ReasonAlgorithm},
		{"foreign key claiming our kid", mint(t, foreign, func(o *testkeys.TokenOptions) { o.KID = key.KeyID() }), 401, "invalid_token", mcpauth.ReasonAlgorithm, ""},
		{"foreign RSA key claiming our kid", mint(t, foreignRSA, func(o *testkeys.TokenOptions) { o.KID = key.KeyID() }), 401, "invalid_token", mcpauth.ReasonSignature, ""},
		{"tampered payload", func() string {
			parts := strings.Split(valid, ".")
			return parts[0] + "." + forgedClaims + "." + parts[2]
		}(), 401, "invalid_token", mcpauth.ReasonSignature, ""},
		// An unsigned token has an empty signature segment.
		{"alg none", unsigned + ".", 401, "invalid_token", mcpauth.ReasonMalformed, ""},
		{"alg none with a signature", unsigned + ".c2ln", 401, "invalid_token", mcpauth.ReasonAlgorithm, ""},
		{"not a JWT", "opaque-token", 401, "invalid_token", mcpauth.ReasonMalformed, ""},
	}

	jwksV, _ := jwksVerifier(t, key)
	setups := []struct {
		name string
		v    mcpauth.TokenVerifier
		pem  bool
	}{
		{"JWKS", jwksV, false},
		{"PEM public key", pemVerifier(t, key), true},
	}
	for _, setup := range setups {
		t.Run(setup.name, func(t *testing.T) {
			c := newClient(t, setup.v)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					got := c.get(tt.token)
					if got.status != tt.wantStatus {
						t.Fatalf("status %d, want %d; body %s", got.status, tt.wantStatus, got.body)
					}
					if e := challengeError(got.challenge); e != tt.wantError {
						t.Fatalf("challenge error %q, want %q (WWW-Authenticate %q)", e, tt.wantError, got.challenge)
					}
					want := tt.wantReason
					if setup.pem && tt.pemReason != "" {
						want = tt.pemReason
					}
					if got.outcome.Reason != want {
						t.Fatalf("reason %q, want %q", got.outcome.Reason, want)
					}
					if tt.wantStatus == 200 {
						if got.body != "hello, alice\n" {
							t.Fatalf("body %q", got.body)
						}
						return
					}
					if !strings.HasPrefix(got.challenge, "Bearer") || !strings.Contains(got.challenge, `scope="hello:read"`) {
						t.Fatalf("WWW-Authenticate %q", got.challenge)
					}
					if tt.token != "" && strings.Contains(got.body, tt.token) {
						t.Fatal("the response echoes the token")
					}
				})
			}
		})
	}
}

// TestExpiryWithoutSleeping injects the verifier's clock to see a token
// accepted and then rejected once its lifetime (plus the leeway) is over.
func TestExpiryWithoutSleeping(t *testing.T) {
	key := testkeystest.SharedRSAKeyPair(t)
	issued := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	now := issued
	c := newClient(t, pemVerifier(t, key, verify.WithClock(func() time.Time { return now })))
	tok := mint(t, key, func(o *testkeys.TokenOptions) {
		o.IssuedAt = issued
		o.ExpiresIn = 10 * time.Minute
	})

	steps := []struct {
		at         time.Duration // since issue
		wantStatus int
	}{
		{0, 200},
		{10*time.Minute - time.Second, 200},
		{10*time.Minute + verify.DefaultLeeway - time.Second, 200}, // within the leeway
		{10*time.Minute + verify.DefaultLeeway + time.Second, 401},
	}
	for _, s := range steps {
		now = issued.Add(s.at)
		if got := c.get(tok); got.status != s.wantStatus {
			t.Fatalf("at +%v: status %d, want %d", s.at, got.status, s.wantStatus)
		}
	}
	if c.last.Reason != mcpauth.ReasonExpired {
		t.Fatalf("reason %q, want expired", c.last.Reason)
	}
}

// TestKeyRotation rotates the issuer's signing key: tokens signed with the
// new key are accepted as soon as the JWKS publishes it (the unknown kid
// makes the verifier refetch), and tokens of the retired key no longer are.
func TestKeyRotation(t *testing.T) {
	oldKey := testkeystest.SharedRSAKeyPair(t)
	newKey := testkeystest.SharedECKeyPair(t)
	v, jwks := jwksVerifier(t, oldKey)
	c := newClient(t, v)

	if got := c.get(mint(t, oldKey, nil)); got.status != 200 {
		t.Fatalf("old key before rotation: %d", got.status)
	}
	jwks.SetKeys(newKey)
	if got := c.get(mint(t, newKey, nil)); got.status != 200 {
		t.Fatalf("new key after rotation: %d %s", got.status, got.body)
	}
	if got := c.get(mint(t, oldKey, nil)); got.status != 401 || got.outcome.Reason != mcpauth.ReasonUnknownKey {
		t.Fatalf("retired key: %d %q", got.status, got.outcome.Reason)
	}
}
