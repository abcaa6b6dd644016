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
	"log/slog"
	"net/http"
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
		{"no key source, two issuers, one not a URL", func(s *Settings) { s.PublicKey, s.Issuers = "", []string{"https://a", "issuer"} }, "provider issuer: Settings.Issuers: discovering the JWK Set from the issuer"},
		{"discovery from a non-URL issuer", func(s *Settings) { s.PublicKey, s.Issuers = "", []string{"issuer"} }, "Settings.Issuers: discovering the JWK Set from the issuer"},
		{"discovery from an http issuer", func(s *Settings) { s.PublicKey, s.Issuers = "", []string{"http://idp.example.com"} }, "plain http"},
		{"two key sources", func(s *Settings) { s.JWKSURI = "https://idp.example.com/jwks" }, "exactly one key source"},
		{"no issuer", func(s *Settings) { s.Issuers = nil }, "Settings.Issuers is required"},
		{"empty issuer", func(s *Settings) { s.Issuers = []string{""} }, "Settings.Issuers has an empty value"},
		{"padded issuer", func(s *Settings) { s.Issuers = []string{" x"} }, "surrounding whitespace"},
		{"no audience", func(s *Settings) { s.Audiences = nil }, "Settings.Audiences is required"},
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
		}, "cannot be used with Settings.JWKSURI"},
		{"hmac without secret", func(s *Settings) { s.PublicKey, s.Algorithms = "", []string{"HS256"} }, "need the shared secret in Settings.PublicKey"},
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
		{"not pem, no alg", func(s *Settings) { s.PublicKey = strings.Repeat("s", 40) }, "set Settings.Algorithms = HS256"},
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
			if !strings.Contains(err.Error(), "Settings.") || strings.Contains(err.Error(), EnvPrefix) || unrendered(err) {
				t.Fatalf("err = %q; settings from Go code must be named as Settings fields", err)
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
	if !errors.Is(err, mcpauth.ErrInvalidConfig) || !strings.Contains(err.Error(), "Settings.Algorithms must be set when WithKeySource is used") {
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
	v, err := NewJWTVerifier(s, WithClock(nil), WithLogger(nil), WithHTTPClient(nil), WithKeySource(nil))
	if err != nil {
		t.Fatalf("nil option values: %v", err)
	}
	c := goodClaims()
	c["iat"], c["exp"] = time.Now().Unix(), time.Now().Add(time.Hour).Unix()
	if _, err := v.VerifyToken(context.Background(), sign(t, "RS256", k(t).rsa, nil, c)); err != nil {
		t.Fatalf("a verifier with default options refuses a good token: %v", err)
	}
}

// unrendered reports whether err's text still holds a {Field} placeholder.
func unrendered(err error) bool {
	for _, m := range placeholder.FindAllStringSubmatch(err.Error(), -1) {
		if _, ok := envVarOf[m[1]]; ok {
			return true
		}
	}
	return false
}

// TestConfigErrorsNameTheSetting covers each validation error twice: with
// the settings read from the environment, the error names the variable and
// the fix in variables; with the same settings written in Go, it names the
// Settings fields. Neither form leaks the other's names.
func TestConfigErrorsNameTheSetting(t *testing.T) {
	rsaPEM := pubPEM(t, &k(t).rsa.PublicKey)
	privDER, err := x509.MarshalPKCS8PrivateKey(k(t).rsa)
	if err != nil {
		t.Fatal(err)
	}
	privPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))
	secret31 := strings.Repeat("s", 31)
	// Every case starts from a valid configuration and changes it: env
	// sets (or, with "", unsets) variables after the prefix, mod the same
	// in Go.
	tests := []struct {
		name    string
		env     map[string]string
		mod     func(*Settings)
		wantEnv string
		wantGo  string
	}{
		{"no issuer", map[string]string{"ISSUER": ""}, func(s *Settings) { s.Issuers = nil },
			"MCPAUTH_JWT_ISSUER is required: the issuer (iss) of the tokens to accept",
			"Settings.Issuers is required: the issuer (iss) of the tokens to accept"},
		{"no audience", map[string]string{"AUDIENCE": ""}, func(s *Settings) { s.Audiences = nil },
			"MCPAUTH_JWT_AUDIENCE is required: the audience (aud)",
			"Settings.Audiences is required: the audience (aud)"},
		{"bad scope", map[string]string{"REQUIRED_SCOPES": `["a\"b"]`}, func(s *Settings) { s.RequiredScopes = []string{`a"b`} },
			`MCPAUTH_JWT_REQUIRED_SCOPES: scope "a\"b" has a character not allowed in a scope`,
			`Settings.RequiredScopes: scope "a\"b" has a character not allowed in a scope`},
		{"leeway above the maximum", map[string]string{"LEEWAY": "10m"}, func(s *Settings) { s.Leeway = 10 * time.Minute },
			"MCPAUTH_JWT_LEEWAY=10m0s is larger than the maximum 5m0s; set at most 5m0s, or 0s for no leeway",
			"Settings.Leeway 10m0s is larger than the maximum 5m0s (MaxLeeway); a negative value means no leeway"},
		{"token cap out of range", map[string]string{"MAX_TOKEN_BYTES": "2000000"}, func(s *Settings) { s.MaxTokenBytes = 2000000 },
			"MCPAUTH_JWT_MAX_TOKEN_BYTES 2000000 is out of range",
			"Settings.MaxTokenBytes 2000000 is out of range"},
		{"alg none", map[string]string{"ALGORITHM": "none"}, func(s *Settings) { s.Algorithms = []string{"none"} },
			`MCPAUTH_JWT_ALGORITHM: algorithm "none" is never allowed`,
			`Settings.Algorithms: algorithm "none" is never allowed`},
		{"unknown alg", map[string]string{"ALGORITHM": "RS1"}, func(s *Settings) { s.Algorithms = []string{"RS1"} },
			`MCPAUTH_JWT_ALGORITHM: algorithm "RS1" is not supported`,
			`Settings.Algorithms: algorithm "RS1" is not supported`},
		{"alg for another key type", map[string]string{"ALGORITHM": "ES256"}, func(s *Settings) { s.Algorithms = []string{"ES256"} },
			"MCPAUTH_JWT_ALGORITHM: algorithm ES256 cannot be used with the configured RSA key",
			"Settings.Algorithms: algorithm ES256 cannot be used with the configured RSA key"},
		{"HMAC mixed with RSA", map[string]string{"ALGORITHM": "HS256,RS256"}, func(s *Settings) { s.Algorithms = []string{"HS256", "RS256"} },
			"MCPAUTH_JWT_ALGORITHM: HMAC and asymmetric algorithms cannot be mixed",
			"Settings.Algorithms: HMAC and asymmetric algorithms cannot be mixed"},
		{"two key sources", map[string]string{"JWKS_URI": "https://idp.example.com/jwks"}, func(s *Settings) { s.JWKSURI = "https://idp.example.com/jwks" },
			"MCPAUTH_JWT_JWKS_URI and MCPAUTH_JWT_PUBLIC_KEY are both set; set exactly one key source",
			"Settings.JWKSURI and Settings.PublicKey are both set; set exactly one key source"},
		{"HMAC with a JWK Set", map[string]string{"PUBLIC_KEY": "", "JWKS_URI": "https://idp.example.com/jwks", "ALGORITHM": "HS256"},
			func(s *Settings) {
				s.PublicKey, s.JWKSURI, s.Algorithms = "", "https://idp.example.com/jwks", []string{"HS256"}
			},
			"MCPAUTH_JWT_ALGORITHM: HMAC algorithms (HS256) cannot be used with MCPAUTH_JWT_JWKS_URI",
			"Settings.Algorithms: HMAC algorithms (HS256) cannot be used with Settings.JWKSURI"},
		{"HMAC without a secret", map[string]string{"PUBLIC_KEY": "", "ALGORITHM": "HS256"}, func(s *Settings) { s.PublicKey, s.Algorithms = "", []string{"HS256"} },
			"HMAC algorithms (HS256) need the shared secret in MCPAUTH_JWT_PUBLIC_KEY",
			"HMAC algorithms (HS256) need the shared secret in Settings.PublicKey"},
		{"short HMAC secret", map[string]string{"PUBLIC_KEY": secret31, "ALGORITHM": "HS256"}, func(s *Settings) { s.PublicKey, s.Algorithms = secret31, []string{"HS256"} },
			"MCPAUTH_JWT_PUBLIC_KEY: the HMAC secret for HS256 is 31 bytes; at least 32 are required",
			"Settings.PublicKey: the HMAC secret for HS256 is 31 bytes; at least 32 are required"},
		{"PEM key as HMAC secret", map[string]string{"ALGORITHM": "HS256"}, func(s *Settings) { s.Algorithms = []string{"HS256"} },
			"MCPAUTH_JWT_PUBLIC_KEY looks like a PEM key",
			"Settings.PublicKey looks like a PEM key"},
		{"secret without an HMAC algorithm", map[string]string{"PUBLIC_KEY": strings.Repeat("s", 40)}, func(s *Settings) { s.PublicKey = strings.Repeat("s", 40) },
			"MCPAUTH_JWT_PUBLIC_KEY is not PEM encoded (for an HMAC secret, set MCPAUTH_JWT_ALGORITHM=HS256, HS384 or HS512)",
			"Settings.PublicKey is not PEM encoded (for an HMAC secret, set Settings.Algorithms = HS256, HS384 or HS512)"},
		{"private key", map[string]string{"PUBLIC_KEY": privPEM}, func(s *Settings) { s.PublicKey = privPEM },
			"MCPAUTH_JWT_PUBLIC_KEY is a PRIVATE KEY; configure the public key, never the private key",
			"Settings.PublicKey is a PRIVATE KEY; configure the public key, never the private key"},
		{"plain http JWK Set", map[string]string{"PUBLIC_KEY": "", "JWKS_URI": "http://idp.example.com/jwks"},
			func(s *Settings) { s.PublicKey, s.JWKSURI = "", "http://idp.example.com/jwks" },
			`MCPAUTH_JWT_JWKS_URI "http://idp.example.com/jwks" uses plain http on a non-loopback host: use https, or set MCPAUTH_JWT_INSECURE_ALLOW_HTTP_JWKS=true to allow plain http`,
			`Settings.JWKSURI "http://idp.example.com/jwks" uses plain http on a non-loopback host: use https, or set Settings.InsecureAllowHTTPJWKS = true to allow plain http`},
		{"plain http issuer to discover from", map[string]string{"PUBLIC_KEY": "", "ISSUER": "http://idp.example.com"},
			func(s *Settings) { s.PublicKey, s.Issuers = "", []string{"http://idp.example.com"} },
			`MCPAUTH_JWT_ISSUER "http://idp.example.com" uses plain http on a non-loopback host: use https, or set MCPAUTH_JWT_INSECURE_ALLOW_HTTP_JWKS=true`,
			`Settings.Issuers "http://idp.example.com" uses plain http on a non-loopback host: use https, or set Settings.InsecureAllowHTTPJWKS = true`},
		{"JWK Set URL with another scheme", map[string]string{"PUBLIC_KEY": "", "JWKS_URI": "ftp://idp.example.com/jwks"},
			func(s *Settings) { s.PublicKey, s.JWKSURI = "", "ftp://idp.example.com/jwks" },
			`MCPAUTH_JWT_JWKS_URI: JWK Set URL "ftp://idp.example.com/jwks" has scheme "ftp"`,
			`Settings.JWKSURI: JWK Set URL "ftp://idp.example.com/jwks" has scheme "ftp"`},
		{"issuer to discover from is not a URL", map[string]string{"PUBLIC_KEY": "", "ISSUER": "issuer"}, func(s *Settings) { s.PublicKey, s.Issuers = "", []string{"issuer"} },
			"MCPAUTH_JWT_ISSUER: discovering the JWK Set from the issuer: ",
			"Settings.Issuers: discovering the JWK Set from the issuer: "},
		{"cache too large", map[string]string{"CACHE_SIZE": "2000000"}, func(s *Settings) { s.CacheSize = 2000000 },
			"MCPAUTH_JWT_CACHE_SIZE 2000000 is out of range",
			"Settings.CacheSize 2000000 is out of range"},
		{"cache max age without a cache", map[string]string{"CACHE_MAX_AGE": "1m"}, func(s *Settings) { s.CacheMaxAge = time.Minute },
			"MCPAUTH_JWT_CACHE_MAX_AGE is set but the cache is off; set MCPAUTH_JWT_CACHE_SIZE too",
			"Settings.CacheMaxAge is set but the cache is off; set Settings.CacheSize too"},
		// Only possible in Go: the environment refuses these values itself
		// (TestSettingsFromMapErrors).
		{"negative JWKS timeout", nil, func(s *Settings) {
			s.PublicKey, s.JWKSURI, s.JWKSTimeout = "", "https://idp.example.com/jwks", -time.Second
		},
			"", "Settings.JWKSTimeout must not be negative"},
		{"negative cache max age", nil, func(s *Settings) { s.CacheSize, s.CacheMaxAge = 1, -time.Second },
			"", "Settings.CacheMaxAge -1s is negative"},
		{"issuer with surrounding space", nil, func(s *Settings) { s.Issuers = []string{" x"} },
			"", `Settings.Issuers: value " x" has surrounding whitespace`},
	}
	opts := []Option{WithHTTPClient(&http.Client{Transport: noNetwork{}}), WithLogger(slog.New(slog.DiscardHandler))}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env != nil {
				vars := map[string]string{EnvPrefix + "PUBLIC_KEY": rsaPEM, EnvPrefix + "ISSUER": testIssuer, EnvPrefix + "AUDIENCE": testAudience}
				for k, v := range tt.env {
					vars[EnvPrefix+k] = v
				}
				s, err := SettingsFromMap(EnvPrefix, vars)
				if err == nil {
					var v *JWTVerifier
					if v, err = NewJWTVerifier(s, opts...); err == nil {
						v.Close()
					}
				}
				if !errors.Is(err, mcpauth.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.wantEnv) {
					t.Errorf("from the environment: %v\nwant %q", err, tt.wantEnv)
				} else if strings.Contains(err.Error(), "Settings.") || unrendered(err) {
					t.Errorf("from the environment: %q names Go fields", err)
				}
			}
			s := Settings{PublicKey: rsaPEM, Issuers: []string{testIssuer}, Audiences: []string{testAudience}}
			tt.mod(&s)
			v, err := NewJWTVerifier(s, opts...)
			if err == nil {
				v.Close()
			}
			if !errors.Is(err, mcpauth.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.wantGo) {
				t.Errorf("from Go: %v\nwant %q", err, tt.wantGo)
			} else if strings.Contains(err.Error(), EnvPrefix) || unrendered(err) {
				t.Errorf("from Go: %q names variables", err)
			}
		})
	}
}
