package verify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
)

func TestNewJWTVerifierRejectsBadConfig(t *testing.T) {
	ks := k(t)
	rsaPEM := pubPEM(t, &ks.rsa.PublicKey)
	p256PEM := pubPEM(t, &ks.p256.PublicKey)
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	weakPEM := pubPEM(t, &weak.PublicKey)
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p224PEM := pubPEM(t, &p224.PublicKey)
	privDER, err := x509.MarshalPKCS8PrivateKey(ks.rsa)
	if err != nil {
		t.Fatal(err)
	}
	privPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))
	base := func() Settings {
		return Settings{PublicKey: rsaPEM, Issuers: []string{testIssuer}, Audiences: []string{testAudience}}
	}
	tests := []struct {
		name string
		mod  func(*Settings)
		want string
	}{
		{"no key source, two issuers, one not a URL", func(s *Settings) { s.PublicKey, s.Issuers = "", []string{"https://a", "issuer"} }, "provider issuer: discovery from issuer"},
		{"discovery from a non-URL issuer", func(s *Settings) { s.PublicKey, s.Issuers = "", []string{"issuer"} }, "discovery from issuer"},
		{"discovery from an http issuer", func(s *Settings) { s.PublicKey, s.Issuers = "", []string{"http://idp.example.com"} }, "plain http"},
		{"two key sources", func(s *Settings) { s.JWKSURI = "https://idp.example.com/jwks" }, "exactly one key source"},
		{"no issuer", func(s *Settings) { s.Issuers = nil }, "Issuers: at least one"},
		{"empty issuer", func(s *Settings) { s.Issuers = []string{""} }, "Issuers: empty"},
		{"padded issuer", func(s *Settings) { s.Issuers = []string{" x"} }, "surrounding whitespace"},
		{"no audience", func(s *Settings) { s.Audiences = nil }, "Audiences: at least one"},
		{"alg none", func(s *Settings) { s.Algorithms = []string{"none"} }, "never allowed"},
		{"alg None", func(s *Settings) { s.Algorithms = []string{"None"} }, "never allowed"},
		{"unknown alg", func(s *Settings) { s.Algorithms = []string{"RS1"} }, "not supported"},
		{"lower-case alg", func(s *Settings) { s.Algorithms = []string{"rs256"} }, "not supported"},
		{"Ed448", func(s *Settings) { s.Algorithms = []string{"Ed448"} }, `algorithm "Ed448": Ed448 (RFC 9864) is not supported: the Go standard library has no Ed448`},
		{"Ed448 with jwks", func(s *Settings) {
			s.PublicKey, s.JWKSURI, s.Algorithms = "", "https://idp.example.com/jwks", []string{"Ed25519", "Ed448"}
		}, "Ed448 (RFC 9864) is not supported"},
		{"lower-case ed25519", func(s *Settings) { s.Algorithms = []string{"ed25519"} }, `algorithm "ed25519" is not supported`},
		{"Ed25519 with rsa key", func(s *Settings) { s.Algorithms = []string{"Ed25519"} }, "algorithm Ed25519 cannot be used with the configured RSA key"},
		{"Ed25519 with ec key", func(s *Settings) { s.PublicKey, s.Algorithms = p256PEM, []string{"Ed25519"} }, "algorithm Ed25519 cannot be used with the configured EC key (allowed: ES256)"},
		{"mixed hmac and rsa", func(s *Settings) { s.Algorithms = []string{"HS256", "RS256"} }, "cannot be mixed"},
		{"hmac with jwks", func(s *Settings) {
			s.PublicKey, s.JWKSURI, s.Algorithms = "", "https://idp.example.com/jwks", []string{"HS256"}
		}, "cannot be used with a JWKSURI"},
		{"hmac without secret", func(s *Settings) { s.PublicKey, s.Algorithms = "", []string{"HS256"} }, "need the shared secret in PublicKey"},
		{"hmac with pem", func(s *Settings) { s.Algorithms = []string{"HS256"} }, "looks like a PEM key"},
		{"hmac with jwk", func(s *Settings) {
			s.PublicKey, s.Algorithms = `{"kty":"RSA","n":"`+strings.Repeat("A", 64)+`","e":"AQAB"}`, []string{"HS256"}
		}, "looks like a PEM key"},
		{"hs256 short secret", func(s *Settings) { s.PublicKey, s.Algorithms = strings.Repeat("s", 31), []string{"HS256"} }, "at least 32"},
		{"hs384 short secret", func(s *Settings) { s.PublicKey, s.Algorithms = strings.Repeat("s", 47), []string{"HS384"} }, "at least 48"},
		{"hs512 short secret", func(s *Settings) { s.PublicKey, s.Algorithms = strings.Repeat("s", 63), []string{"HS512"} }, "at least 64"},
		{"weak rsa", func(s *Settings) { s.PublicKey = weakPEM }, "1024 bits"},
		{"p224", func(s *Settings) { s.PublicKey = p224PEM }, "not supported"},
		{"private key", func(s *Settings) { s.PublicKey = privPEM }, "never the private key"},
		{"two pem blocks", func(s *Settings) { s.PublicKey = rsaPEM + p256PEM }, "more than one PEM block"},
		{"garbage pem", func(s *Settings) { s.PublicKey = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n" }, "cannot be parsed"},
		{"not pem, no alg", func(s *Settings) { s.PublicKey = strings.Repeat("s", 40) }, "set Algorithms to HS256"},
		{"es256 with rsa key", func(s *Settings) { s.Algorithms = []string{"ES256"} }, "cannot be used with the configured RSA key"},
		{"es384 with p256 key", func(s *Settings) { s.PublicKey, s.Algorithms = p256PEM, []string{"ES384"} }, "cannot be used with the configured EC key"},
		{"leeway too large", func(s *Settings) { s.Leeway = MaxLeeway + time.Second }, "larger than the maximum"},
		{"token cap negative", func(s *Settings) { s.MaxTokenBytes = -1 }, "out of range"},
		{"token cap huge", func(s *Settings) { s.MaxTokenBytes = 2 << 20 }, "out of range"},
		{"scope with space", func(s *Settings) { s.RequiredScopes = []string{"a b"} }, "not allowed in a scope"},
		{"scope with quote", func(s *Settings) { s.RequiredScopes = []string{`a"`} }, "not allowed in a scope"},
		{"empty scope", func(s *Settings) { s.RequiredScopes = []string{""} }, "empty scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			tt.mod(&s)
			v, err := NewJWTVerifier(s)
			if err == nil {
				v.Close()
				t.Fatal("accepted; want a configuration error")
			}
			if !errors.Is(err, mcpauth.ErrInvalidConfig) {
				t.Fatalf("err = %v; want mcpauth.ErrInvalidConfig", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %q; want it to mention %q", err, tt.want)
			}
			if s.PublicKey != "" && len(s.PublicKey) > 20 && strings.Contains(err.Error(), s.PublicKey) {
				t.Fatal("error echoes the key or secret")
			}
		})
	}
}

func TestCustomKeySourceNeedsAlgorithms(t *testing.T) {
	_, err := NewJWTVerifier(Settings{Issuers: []string{testIssuer}, Audiences: []string{testAudience}},
		WithKeySource(keySourceFunc(func(context.Context, string, string) (crypto.PublicKey, error) { return nil, nil })))
	if !errors.Is(err, mcpauth.ErrInvalidConfig) || !strings.Contains(err.Error(), "Algorithms must be set") {
		t.Fatalf("err = %v", err)
	}
}

func TestDefaultAlgorithmsFollowKeyType(t *testing.T) {
	ks := k(t)
	tests := []struct {
		name string
		pub  crypto.PublicKey
		want string
	}{
		{"rsa", &ks.rsa.PublicKey, "PS256,PS384,PS512,RS256,RS384,RS512"},
		{"p256", &ks.p256.PublicKey, "ES256"},
		{"p384", &ks.p384.PublicKey, "ES384"},
		{"p521", &ks.p521.PublicKey, "ES512"},
		{"ed25519", ks.ed.Public(), "Ed25519,EdDSA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewJWTVerifier(Settings{PublicKey: pubPEM(t, tt.pub), Issuers: []string{testIssuer}, Audiences: []string{testAudience}})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(v.Algorithms(), ","); got != tt.want {
				t.Fatalf("algorithms = %s; want %s", got, tt.want)
			}
		})
	}
}

// keySourceFunc adapts a function to mcpauth.KeySource.
type keySourceFunc func(ctx context.Context, kid, alg string) (crypto.PublicKey, error)

func (f keySourceFunc) VerificationKey(ctx context.Context, kid, alg string) (crypto.PublicKey, error) {
	return f(ctx, kid, alg)
}

// TestOptionConvention: a nil Option is a configuration error naming its
// position; a nil value given to an option means its default.
func TestOptionConvention(t *testing.T) {
	s := Settings{PublicKey: pubPEM(t, &k(t).rsa.PublicKey), Issuers: []string{testIssuer}, Audiences: []string{testAudience}}
	_, err := NewJWTVerifier(s, WithLogger(nil), nil)
	if !errors.Is(err, mcpauth.ErrInvalidConfig) || !strings.Contains(err.Error(), "Option 1 is nil") {
		t.Fatalf("nil Option: %v", err)
	}
	v, err := NewJWTVerifier(s, WithClock(nil), WithLogger(nil), WithHTTPClient(nil), WithContext(nil), WithKeySource(nil))
	if err != nil {
		t.Fatalf("nil option values: %v", err)
	}
	c := goodClaims()
	c["iat"], c["exp"] = time.Now().Unix(), time.Now().Add(time.Hour).Unix()
	if _, err := v.VerifyToken(context.Background(), sign(t, "RS256", k(t).rsa, nil, c)); err != nil {
		t.Fatalf("a verifier with default options refuses a good token: %v", err)
	}
}
