package verify

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
)

func TestSettingsFromMap(t *testing.T) {
	for _, prefix := range []string{EnvPrefix, FastMCPEnvPrefix} {
		t.Run(prefix, func(t *testing.T) {
			s, err := SettingsFromMap(prefix, map[string]string{
				prefix + "PUBLIC_KEY":               "secret",
				prefix + "JWKS_URI":                 " https://idp.example.com/jwks ",
				prefix + "ISSUER":                   "https://a.example.com, https://b.example.com",
				prefix + "AUDIENCE":                 "api://mcp",
				prefix + "ALGORITHM":                "RS256,ES256",
				prefix + "REQUIRED_SCOPES":          "read, write admin",
				prefix + "BASE_URL":                 "https://mcp.example.com",
				prefix + "LEEWAY":                   "10s",
				prefix + "MAX_TOKEN_BYTES":          "8192",
				prefix + "REQUIRE_AT_JWT":           "true",
				prefix + "JWKS_REFRESH_INTERVAL":    "15m",
				prefix + "JWKS_REFRESH_RATE_LIMIT":  "1m",
				prefix + "JWKS_TIMEOUT":             "3s",
				prefix + "JWKS_MAX_BODY_BYTES":      "65536",
				prefix + "INSECURE_ALLOW_HTTP_JWKS": "false",
				prefix + "CACHE_SIZE":               "1000",
				prefix + "CACHE_MAX_AGE":            "2m",
				"UNRELATED_VARIABLE":                "ignored",
			})
			if err != nil {
				t.Fatal(err)
			}
			want := Settings{
				PublicKey:              "secret",
				JWKSURI:                "https://idp.example.com/jwks",
				Issuers:                []string{"https://a.example.com", "https://b.example.com"},
				Audiences:              []string{"api://mcp"},
				Algorithms:             []string{"RS256", "ES256"},
				RequiredScopes:         []string{"read", "write", "admin"},
				BaseURL:                "https://mcp.example.com",
				Leeway:                 10 * time.Second,
				MaxTokenBytes:          8192,
				RequireAccessTokenType: true,
				JWKSRefreshInterval:    15 * time.Minute,
				JWKSRefreshRateLimit:   time.Minute,
				JWKSTimeout:            3 * time.Second,
				JWKSMaxBodyBytes:       65536,
				CacheSize:              1000,
				CacheMaxAge:            2 * time.Minute,
			}
			if !settingsEqual(s, want) {
				t.Fatalf("got  %+v\nwant %+v", s, want)
			}
		})
	}
}

func TestSettingsFromMapFastMCPForms(t *testing.T) {
	s, err := SettingsFromMap(FastMCPEnvPrefix, map[string]string{
		FastMCPEnvPrefix + "REQUIRED_SCOPES": `["read","write"]`,
		FastMCPEnvPrefix + "AUDIENCE":        `["a","b"]`,
		FastMCPEnvPrefix + "ALGORITHM":       "RS256",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.RequiredScopes, []string{"read", "write"}) || !slices.Equal(s.Audiences, []string{"a", "b"}) || !slices.Equal(s.Algorithms, []string{"RS256"}) {
		t.Fatalf("%+v", s)
	}
}

func TestSettingsFromMapZeroLeewayMeansNone(t *testing.T) {
	s, err := SettingsFromMap(EnvPrefix, map[string]string{EnvPrefix + "LEEWAY": "0s"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Leeway >= 0 {
		t.Fatalf("Leeway = %v; want negative (no leeway)", s.Leeway)
	}
	v := rsaVerifier(t, func(x *Settings) { x.Leeway = s.Leeway })
	if v.leeway != 0 {
		t.Fatalf("verifier leeway = %v", v.leeway)
	}
}

func TestSettingsFromMapErrors(t *testing.T) {
	tests := []struct {
		name, key, value, want string
	}{
		{"unknown variable", "ISSUERS", "x", "unknown environment variable MCPAUTH_JWT_ISSUERS"},
		{"bad leeway", "LEEWAY", "30", "MCPAUTH_JWT_LEEWAY: \"30\" is not a Go duration"},
		{"negative leeway", "LEEWAY", "-5s", "MCPAUTH_JWT_LEEWAY: must not be negative"},
		{"zero timeout", "JWKS_TIMEOUT", "0s", "MCPAUTH_JWT_JWKS_TIMEOUT: must be positive"},
		{"bad bool", "REQUIRE_AT_JWT", "yes please", "MCPAUTH_JWT_REQUIRE_AT_JWT: \"yes please\" is not a boolean"},
		{"bad int", "MAX_TOKEN_BYTES", "16k", "MCPAUTH_JWT_MAX_TOKEN_BYTES: \"16k\" is not a positive integer"},
		{"empty list item", "ISSUER", "https://a.example.com,,https://b.example.com", "MCPAUTH_JWT_ISSUER: has an empty item"},
		{"trailing comma", "AUDIENCE", "a,", "MCPAUTH_JWT_AUDIENCE: has an empty item"},
		{"bad json list", "AUDIENCE", `["a",1]`, "MCPAUTH_JWT_AUDIENCE: not a JSON array of strings"},
		{"empty json item", "REQUIRED_SCOPES", `["a",""]`, "MCPAUTH_JWT_REQUIRED_SCOPES: has an empty item"},
		{"bad cache size", "CACHE_SIZE", "lots", "MCPAUTH_JWT_CACHE_SIZE: \"lots\" is not a positive integer"},
		{"zero cache size", "CACHE_SIZE", "0", "MCPAUTH_JWT_CACHE_SIZE: \"0\" is not a positive integer"},
		{"bad cache max age", "CACHE_MAX_AGE", "5", "MCPAUTH_JWT_CACHE_MAX_AGE: \"5\" is not a Go duration"},
		{"zero cache max age", "CACHE_MAX_AGE", "0s", "MCPAUTH_JWT_CACHE_MAX_AGE: must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := SettingsFromMap(EnvPrefix, map[string]string{EnvPrefix + tt.key: tt.value})
			if !errors.Is(err, mcpauth.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v; want mcpauth.ErrInvalidConfig mentioning %q", err, tt.want)
			}
		})
	}
	if _, err := SettingsFromMap("", nil); !errors.Is(err, mcpauth.ErrInvalidConfig) {
		t.Fatalf("empty prefix: %v", err)
	}
}

func TestSettingsFromEnv(t *testing.T) {
	t.Setenv("MCPAUTH_JWT_ISSUER", "https://issuer.example.com")
	t.Setenv("MCPAUTH_JWT_AUDIENCE", "https://mcp.example.com/mcp")
	t.Setenv("MCPAUTH_JWT_PUBLIC_KEY", pubPEM(t, &k(t).rsa.PublicKey))
	s, err := SettingsFromEnv(EnvPrefix)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewJWTVerifier(s)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(v.Issuers(), []string{testIssuer}) || !slices.Equal(v.Audiences(), []string{testAudience}) {
		t.Fatalf("issuers %v audiences %v", v.Issuers(), v.Audiences())
	}
	t.Setenv("MCPAUTH_JWT_AUDIENCES", "typo")
	if _, err := SettingsFromEnv(EnvPrefix); err == nil || !strings.Contains(err.Error(), "MCPAUTH_JWT_AUDIENCES") {
		t.Fatalf("typo not reported: %v", err)
	}
}

func settingsEqual(a, b Settings) bool {
	return a.PublicKey == b.PublicKey && a.JWKSURI == b.JWKSURI &&
		slices.Equal(a.Issuers, b.Issuers) && slices.Equal(a.Audiences, b.Audiences) &&
		slices.Equal(a.Algorithms, b.Algorithms) && slices.Equal(a.RequiredScopes, b.RequiredScopes) &&
		a.BaseURL == b.BaseURL && a.Leeway == b.Leeway && a.MaxTokenBytes == b.MaxTokenBytes &&
		a.RequireAccessTokenType == b.RequireAccessTokenType && a.JWKSRefreshInterval == b.JWKSRefreshInterval &&
		a.JWKSRefreshRateLimit == b.JWKSRefreshRateLimit && a.JWKSTimeout == b.JWKSTimeout &&
		a.JWKSMaxBodyBytes == b.JWKSMaxBodyBytes && a.InsecureAllowHTTPJWKS == b.InsecureAllowHTTPJWKS &&
		a.CacheSize == b.CacheSize && a.CacheMaxAge == b.CacheMaxAge
}
