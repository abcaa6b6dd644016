package verify

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
)

func TestVerifyAcceptsEveryKeyType(t *testing.T) {
	ks := k(t)
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&ks.rsa.PublicKey)}))
	tests := []struct {
		name      string
		publicKey string
		algs      []string
		alg       string
		signKey   any
	}{
		{"RS256 PKIX", pubPEM(t, &ks.rsa.PublicKey), nil, "RS256", ks.rsa},
		{"RS384", pubPEM(t, &ks.rsa.PublicKey), nil, "RS384", ks.rsa},
		{"RS512", pubPEM(t, &ks.rsa.PublicKey), nil, "RS512", ks.rsa},
		{"PS256", pubPEM(t, &ks.rsa.PublicKey), nil, "PS256", ks.rsa},
		{"PS512", pubPEM(t, &ks.rsa.PublicKey), nil, "PS512", ks.rsa},
		{"RS256 PKCS1", pkcs1, nil, "RS256", ks.rsa},
		{"RS256 certificate", certPEM(t, ks.rsa), nil, "RS256", ks.rsa},
		{"ES256", pubPEM(t, &ks.p256.PublicKey), nil, "ES256", ks.p256},
		{"ES384", pubPEM(t, &ks.p384.PublicKey), nil, "ES384", ks.p384},
		{"ES512", pubPEM(t, &ks.p521.PublicKey), nil, "ES512", ks.p521},
		{"EdDSA", pubPEM(t, ks.ed.Public()), nil, "EdDSA", ks.ed},
		{"Ed25519 (RFC 9864)", pubPEM(t, ks.ed.Public()), nil, "Ed25519", ks.ed},
		{"Ed25519 allow-listed", pubPEM(t, ks.ed.Public()), []string{"Ed25519"}, "Ed25519", ks.ed},
		{"EdDSA allow-listed", pubPEM(t, ks.ed.Public()), []string{"EdDSA"}, "EdDSA", ks.ed},
		{"HS256", testHMAC[:32], []string{"HS256"}, "HS256", []byte(testHMAC[:32])},
		{"HS384", testHMAC[:48], []string{"HS384"}, "HS384", []byte(testHMAC[:48])},
		{"HS512", testHMAC, []string{"HS512"}, "HS512", []byte(testHMAC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewJWTVerifier(Settings{PublicKey: tt.publicKey, Algorithms: tt.algs, Issuers: []string{testIssuer}, Audiences: []string{testAudience}},
				WithClock(func() time.Time { return testNow }))
			if err != nil {
				t.Fatal(err)
			}
			tok := sign(t, tt.alg, tt.signKey, nil, goodClaims())
			at, err := v.VerifyToken(context.Background(), tok)
			if err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if at.Token != tok || at.ClientID != "client-1" || at.Subject != "user-1" || at.Issuer != testIssuer {
				t.Fatalf("access token = %+v", at)
			}
		})
	}
}

func TestAccessTokenFields(t *testing.T) {
	v := rsaVerifier(t, nil)
	c := goodClaims()
	c["aud"] = []string{"other", testAudience}
	c["tenant"] = "acme"
	tok := sign(t, "RS256", k(t).rsa, nil, c)
	at, err := v.VerifyToken(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if !at.ExpiresAt.Equal(testNow.Add(time.Hour)) {
		t.Errorf("ExpiresAt = %v", at.ExpiresAt)
	}
	if !slices.Equal(at.Scopes, []string{"read", "write"}) {
		t.Errorf("Scopes = %v", at.Scopes)
	}
	if !slices.Equal(at.Audience, []string{"other", testAudience}) {
		t.Errorf("Audience = %v", at.Audience)
	}
	if at.Claims["tenant"] != "acme" || at.Claims["jti"] != "id-1" {
		t.Errorf("Claims = %v", at.Claims)
	}
	b, err := json.Marshal(at)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), tok) || strings.Contains(string(b), `"token"`) {
		t.Fatalf("JSON includes the raw token: %s", b)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back["expires_at"] != float64(testNow.Add(time.Hour).Unix()) || back["client_id"] != "client-1" || back["subject"] != "user-1" {
		t.Fatalf("JSON = %s", b)
	}
	var rt mcpauth.AccessToken
	if err := json.Unmarshal(b, &rt); err != nil || !rt.ExpiresAt.Equal(at.ExpiresAt) || rt.ClientID != at.ClientID {
		t.Fatalf("round trip = %+v, %v", rt, err)
	}
}

func TestClientIDAndScopeSources(t *testing.T) {
	v := rsaVerifier(t, nil)
	tests := []struct {
		name       string
		mod        func(map[string]any)
		wantClient string
		wantScopes []string
	}{
		{"client_id wins", func(c map[string]any) { c["azp"] = "azp-1" }, "client-1", []string{"read", "write"}},
		{"azp when no client_id", func(c map[string]any) { delete(c, "client_id"); c["azp"] = "azp-1" }, "azp-1", []string{"read", "write"}},
		{"sub when neither", func(c map[string]any) { delete(c, "client_id") }, "user-1", []string{"read", "write"}},
		{"scp array", func(c map[string]any) { delete(c, "scope"); c["scp"] = []string{"a", "b"} }, "client-1", []string{"a", "b"}},
		{"scp string", func(c map[string]any) { delete(c, "scope"); c["scp"] = "a b" }, "client-1", []string{"a", "b"}},
		{"scope wins over scp", func(c map[string]any) { c["scp"] = []string{"x"} }, "client-1", []string{"read", "write"}},
		{"no scopes", func(c map[string]any) { delete(c, "scope") }, "client-1", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := goodClaims()
			tt.mod(c)
			at, err := v.VerifyToken(context.Background(), sign(t, "RS256", k(t).rsa, nil, c))
			if err != nil {
				t.Fatal(err)
			}
			if at.ClientID != tt.wantClient || !slices.Equal(at.Scopes, tt.wantScopes) {
				t.Fatalf("client %q scopes %v; want %q %v", at.ClientID, at.Scopes, tt.wantClient, tt.wantScopes)
			}
		})
	}
}

func TestRequiredScopes(t *testing.T) {
	v := rsaVerifier(t, func(s *Settings) { s.RequiredScopes = []string{"read", "admin", "write"} })
	_, err := v.VerifyToken(context.Background(), sign(t, "RS256", k(t).rsa, nil, goodClaims()))
	var se *mcpauth.InsufficientScopeError
	if !errors.As(err, &se) || !errors.Is(err, mcpauth.ErrInsufficientScope) || errors.Is(err, mcpauth.ErrInvalidToken) {
		t.Fatalf("err = %v; want only an mcpauth.InsufficientScopeError", err)
	}
	if !slices.Equal(se.Missing, []string{"admin"}) || !slices.Equal(se.Required, []string{"read", "admin", "write"}) {
		t.Fatalf("missing %v required %v", se.Missing, se.Required)
	}
	if mcpauth.ReasonOf(err) != mcpauth.ReasonInsufficientScope {
		t.Fatalf("reason = %q", mcpauth.ReasonOf(err))
	}
	if got := v.RequiredScopes(); !slices.Equal(got, []string{"read", "admin", "write"}) {
		t.Fatalf("RequiredScopes() = %v", got)
	}

	c := goodClaims()
	c["scope"] = "admin read write"
	if _, err := v.VerifyToken(context.Background(), sign(t, "RS256", k(t).rsa, nil, c)); err != nil {
		t.Fatalf("all scopes present, rejected: %v", err)
	}
	// An invalid token with missing scopes is an invalid token, not a 403.
	c["exp"] = testNow.Add(-time.Hour).Unix()
	c["scope"] = ""
	wantReason(t, func() error {
		_, err := v.VerifyToken(context.Background(), sign(t, "RS256", k(t).rsa, nil, c))
		return err
	}(), mcpauth.ReasonExpired)
}

func TestTimeClaims(t *testing.T) {
	tests := []struct {
		name   string
		leeway time.Duration
		mod    func(map[string]any)
		want   mcpauth.Reason // "" means accepted
	}{
		{"exp in future", 0, func(c map[string]any) {}, ""},
		{"exp within default leeway", 0, func(c map[string]any) { c["exp"] = testNow.Add(-20 * time.Second).Unix() }, ""},
		{"exp beyond default leeway", 0, func(c map[string]any) { c["exp"] = testNow.Add(-31 * time.Second).Unix() }, mcpauth.ReasonExpired},
		{"exp now without leeway", -1, func(c map[string]any) { c["exp"] = testNow.Unix() }, mcpauth.ReasonExpired},
		{"exp fractional", -1, func(c map[string]any) { c["exp"] = json.Number(fmt.Sprintf("%d.5", testNow.Unix())) }, ""},
		{"exp with custom leeway", 2 * time.Minute, func(c map[string]any) { c["exp"] = testNow.Add(-time.Minute).Unix() }, ""},
		{"nbf in past", 0, func(c map[string]any) { c["nbf"] = testNow.Add(-time.Minute).Unix() }, ""},
		{"nbf within leeway", 0, func(c map[string]any) { c["nbf"] = testNow.Add(20 * time.Second).Unix() }, ""},
		{"nbf in future", 0, func(c map[string]any) { c["nbf"] = testNow.Add(time.Minute).Unix() }, mcpauth.ReasonNotYetValid},
		{"iat in future", 0, func(c map[string]any) { c["iat"] = testNow.Add(time.Minute).Unix() }, mcpauth.ReasonIssuedInFuture},
		{"iat within leeway", 0, func(c map[string]any) { c["iat"] = testNow.Add(10 * time.Second).Unix() }, ""},
		{"no iat no nbf", 0, func(c map[string]any) { delete(c, "iat") }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := rsaVerifier(t, func(s *Settings) { s.Leeway = tt.leeway })
			c := goodClaims()
			tt.mod(c)
			_, err := v.VerifyToken(context.Background(), sign(t, "RS256", k(t).rsa, nil, c))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			wantReason(t, err, tt.want)
		})
	}
}

func TestIssuerAndAudience(t *testing.T) {
	v := rsaVerifier(t, func(s *Settings) {
		s.Issuers = []string{testIssuer, "https://other-issuer.example.com"}
		s.Audiences = []string{testAudience, "api://mcp"}
	})
	tests := []struct {
		name string
		mod  func(map[string]any)
		want mcpauth.Reason
	}{
		{"second issuer", func(c map[string]any) { c["iss"] = "https://other-issuer.example.com" }, ""},
		{"second audience", func(c map[string]any) { c["aud"] = "api://mcp" }, ""},
		{"audience in array", func(c map[string]any) { c["aud"] = []any{"x", "api://mcp"} }, ""},
		{"wrong issuer", func(c map[string]any) { c["iss"] = "https://evil.example.com" }, mcpauth.ReasonIssuer},
		{"issuer case variant", func(c map[string]any) { c["iss"] = strings.ToUpper(testIssuer) }, mcpauth.ReasonIssuer},
		{"issuer trailing slash", func(c map[string]any) { c["iss"] = testIssuer + "/" }, mcpauth.ReasonIssuer},
		{"missing issuer", func(c map[string]any) { delete(c, "iss") }, mcpauth.ReasonIssuer},
		{"issuer not a string", func(c map[string]any) { c["iss"] = []string{testIssuer} }, mcpauth.ReasonIssuer},
		{"wrong audience", func(c map[string]any) { c["aud"] = "https://other.example.com/mcp" }, mcpauth.ReasonAudience},
		{"audience case variant", func(c map[string]any) { c["aud"] = strings.ToUpper(testAudience) }, mcpauth.ReasonAudience},
		{"missing audience", func(c map[string]any) { delete(c, "aud") }, mcpauth.ReasonAudience},
		{"null audience", func(c map[string]any) { c["aud"] = nil }, mcpauth.ReasonAudience},
		{"empty audience array", func(c map[string]any) { c["aud"] = []string{} }, mcpauth.ReasonAudience},
		{"non-string audience member", func(c map[string]any) { c["aud"] = []any{testAudience, 7} }, mcpauth.ReasonAudience},
		{"audience object", func(c map[string]any) { c["aud"] = map[string]any{"a": testAudience} }, mcpauth.ReasonAudience},
		{"audience number", func(c map[string]any) { c["aud"] = 42 }, mcpauth.ReasonAudience},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := goodClaims()
			tt.mod(c)
			_, err := v.VerifyToken(context.Background(), sign(t, "RS256", k(t).rsa, nil, c))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			wantReason(t, err, tt.want)
			if strings.Contains(err.Error(), "evil") || strings.Contains(err.Error(), "other.example") {
				t.Fatalf("error text repeats a claim value: %v", err)
			}
		})
	}
}

func TestTokenTypes(t *testing.T) {
	tests := []struct {
		typ     any // nil: absent
		lenient mcpauth.Reason
		strict  mcpauth.Reason
	}{
		{nil, "", mcpauth.ReasonBadHeader},
		{"JWT", "", mcpauth.ReasonBadHeader},
		{"jwt", "", mcpauth.ReasonBadHeader},
		{"at+jwt", "", ""},
		{"AT+JWT", "", ""},
		{"application/at+jwt", "", ""},
		{"id_token+jwt", mcpauth.ReasonBadHeader, mcpauth.ReasonBadHeader},
		{"dpop+jwt", mcpauth.ReasonBadHeader, mcpauth.ReasonBadHeader},
		{"logout+jwt", mcpauth.ReasonBadHeader, mcpauth.ReasonBadHeader},
		{"", mcpauth.ReasonBadHeader, mcpauth.ReasonBadHeader},
		{7, mcpauth.ReasonBadHeader, mcpauth.ReasonBadHeader},
	}
	lenient := rsaVerifier(t, nil)
	strict := rsaVerifier(t, func(s *Settings) { s.RequireAccessTokenType = true })
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.typ), func(t *testing.T) {
			h := `{"alg":"RS256"}`
			if tt.typ != nil {
				h = mustJSON(t, map[string]any{"alg": "RS256", "typ": tt.typ})
			}
			tok := signRaw(t, "RS256", k(t).rsa, h, mustJSON(t, goodClaims()))
			for _, c := range []struct {
				v    *JWTVerifier
				want mcpauth.Reason
			}{{lenient, tt.lenient}, {strict, tt.strict}} {
				_, err := c.v.VerifyToken(context.Background(), tok)
				if c.want == "" {
					if err != nil {
						t.Fatalf("rejected: %v", err)
					}
					continue
				}
				wantReason(t, err, c.want)
			}
		})
	}
}

func TestKeySourceErrors(t *testing.T) {
	ks := k(t)
	newV := func(src mcpauth.KeySource) *JWTVerifier {
		v, err := NewJWTVerifier(Settings{Algorithms: []string{"RS256", "ES256"}, Issuers: []string{testIssuer}, Audiences: []string{testAudience}},
			WithKeySource(src), WithClock(func() time.Time { return testNow }))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tok := sign(t, "RS256", ks.rsa, map[string]any{"kid": "k1"}, goodClaims())

	var gotKID, gotAlg string
	ok := newV(keySourceFunc(func(_ context.Context, kid, alg string) (crypto.PublicKey, error) {
		gotKID, gotAlg = kid, alg
		return &ks.rsa.PublicKey, nil
	}))
	if _, err := ok.VerifyToken(context.Background(), tok); err != nil || gotKID != "k1" || gotAlg != "RS256" {
		t.Fatalf("err %v kid %q alg %q", err, gotKID, gotAlg)
	}

	down := newV(keySourceFunc(func(context.Context, string, string) (crypto.PublicKey, error) {
		return nil, fmt.Errorf("fetch failed: %w", mcpauth.ErrKeySourceUnavailable)
	}))
	_, err := down.VerifyToken(context.Background(), tok)
	if !errors.Is(err, mcpauth.ErrKeySourceUnavailable) || errors.Is(err, mcpauth.ErrInvalidToken) {
		t.Fatalf("err = %v; want only mcpauth.ErrKeySourceUnavailable", err)
	}

	missing := newV(keySourceFunc(func(context.Context, string, string) (crypto.PublicKey, error) {
		return nil, errors.New("no such kid")
	}))
	_, err = missing.VerifyToken(context.Background(), tok)
	wantReason(t, err, mcpauth.ReasonUnknownKey)

	// A source's own invalid-token error reaches the caller as it is: the
	// verifier does not translate key source errors.
	pinnedErr := mcpauth.InvalidToken(mcpauth.ReasonAlgorithm, "the key is pinned to ES256")
	pinned := newV(keySourceFunc(func(context.Context, string, string) (crypto.PublicKey, error) {
		return nil, pinnedErr
	}))
	if _, err = pinned.VerifyToken(context.Background(), tok); err != pinnedErr {
		t.Fatalf("err = %v; want the key source's own error", err)
	}

	// A source that returns a key of the wrong type for the algorithm is
	// caught by the verifier itself.
	wrongType := newV(keySourceFunc(func(context.Context, string, string) (crypto.PublicKey, error) {
		return &ks.p256.PublicKey, nil
	}))
	_, err = wrongType.VerifyToken(context.Background(), tok)
	wantReason(t, err, mcpauth.ReasonAlgorithm)

	// A source returning another RSA key: the signature fails.
	other := newV(keySourceFunc(func(context.Context, string, string) (crypto.PublicKey, error) {
		return &ks.rsa2.PublicKey, nil
	}))
	_, err = other.VerifyToken(context.Background(), tok)
	wantReason(t, err, mcpauth.ReasonSignature)
	var _ *rsa.PublicKey = &ks.rsa2.PublicKey
}

// TestAlgNoneNamedAsSuch: "none" in any letter case is refused with its own
// description, before the allow-list is consulted.
func TestAlgNoneNamedAsSuch(t *testing.T) {
	v := rsaVerifier(t, nil)
	claims := mustJSON(t, goodClaims())
	for _, alg := range []string{"none", "NONE", "nOnE"} {
		tok := enc([]byte(`{"alg":"`+alg+`"}`)) + "." + enc([]byte(claims)) + ".AAAA"
		_, err := v.VerifyToken(context.Background(), tok)
		var ite *mcpauth.InvalidTokenError
		if !errors.As(err, &ite) || ite.Reason != mcpauth.ReasonAlgorithm || !strings.Contains(ite.Detail, "alg none") {
			t.Fatalf("%s: err = %v", alg, err)
		}
	}
}
