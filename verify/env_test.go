package verify

import (
	"context"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/jwks"
)

func TestSettingsFromMap(t *testing.T) {
	for _, prefix := range []string{EnvPrefix, FastMCPEnvPrefix} {
		t.Run(prefix, func(t *testing.T) {
			s, err := SettingsFromMap(prefix, map[string]string{
				prefix + "PUBLIC_KEY":                "secret",
				prefix + "JWKS_URI":                  " https://idp.example.com/jwks ",
				prefix + "ISSUER":                    "https://a.example.com, https://b.example.com",
				prefix + "AUDIENCE":                  "api://mcp",
				prefix + "ALGORITHM":                 "RS256,ES256",
				prefix + "REQUIRED_SCOPES":           "read, write admin",
				prefix + "BASE_URL":                  "https://mcp.example.com",
				prefix + "LEEWAY":                    "10s",
				prefix + "MAX_TOKEN_BYTES":           "8192",
				prefix + "REQUIRE_ACCESS_TOKEN_TYPE": "true",
				prefix + "JWKS_REFRESH_INTERVAL":     "15m",
				prefix + "JWKS_REFRESH_RATE_LIMIT":   "1m",
				prefix + "JWKS_TIMEOUT":              "3s",
				prefix + "JWKS_MAX_BODY_BYTES":       "65536",
				prefix + "INSECURE_ALLOW_HTTP_JWKS":  "false",
				prefix + "CACHE_SIZE":                "1000",
				prefix + "CACHE_MAX_AGE":             "2m",
				"UNRELATED_VARIABLE":                 "ignored",
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
		{"unknown variable", "TOTALLY_DIFFERENT", "x", "unknown environment variable MCPAUTH_JWT_TOTALLY_DIFFERENT (known: MCPAUTH_JWT_PUBLIC_KEY, "},
		{"plural typo", "ISSUERS", "x", "unknown environment variable MCPAUTH_JWT_ISSUERS; did you mean MCPAUTH_JWT_ISSUER?"},
		{"singular typo", "REQUIRED_SCOPE", "x", "did you mean MCPAUTH_JWT_REQUIRED_SCOPES?"},
		{"letter typo", "JWKS_URL", "x", "did you mean MCPAUTH_JWT_JWKS_URI?"},
		{"transposed", "LEEWYA", "x", "did you mean MCPAUTH_JWT_LEEWAY?"},
		{"renamed", "REQUIRE_AT_JWT", "true", "MCPAUTH_JWT_REQUIRE_AT_JWT was renamed to MCPAUTH_JWT_REQUIRE_ACCESS_TOKEN_TYPE"},
		{"bad leeway", "LEEWAY", "30", "MCPAUTH_JWT_LEEWAY: \"30\" is not a Go duration"},
		{"negative leeway", "LEEWAY", "-5s", "MCPAUTH_JWT_LEEWAY: must not be negative"},
		{"zero timeout", "JWKS_TIMEOUT", "0s", "MCPAUTH_JWT_JWKS_TIMEOUT: must be positive"},
		{"negative timeout", "JWKS_TIMEOUT", "-1s", "MCPAUTH_JWT_JWKS_TIMEOUT: must not be negative"},
		{"bad bool", "REQUIRE_ACCESS_TOKEN_TYPE", "yes please", "MCPAUTH_JWT_REQUIRE_ACCESS_TOKEN_TYPE: \"yes please\" is not a boolean"},
		{"bad int", "MAX_TOKEN_BYTES", "16k", "MCPAUTH_JWT_MAX_TOKEN_BYTES: \"16k\" is not a positive integer"},
		{"zero int", "JWKS_MAX_BODY_BYTES", "0", "MCPAUTH_JWT_JWKS_MAX_BODY_BYTES: \"0\" is not a positive integer"},
		{"empty list item", "ISSUER", "https://a.example.com,,https://b.example.com", "MCPAUTH_JWT_ISSUER: has an empty item"},
		{"trailing comma", "AUDIENCE", "a,", "MCPAUTH_JWT_AUDIENCE: has an empty item"},
		{"bad json list", "AUDIENCE", `["a",1]`, "MCPAUTH_JWT_AUDIENCE: not a JSON array of strings"},
		{"empty json item", "REQUIRED_SCOPES", `["a",""]`, "MCPAUTH_JWT_REQUIRED_SCOPES: has an empty item"},
		{"bad cache size", "CACHE_SIZE", "lots", "MCPAUTH_JWT_CACHE_SIZE: \"lots\" is not a non-negative integer"},
		{"negative cache size", "CACHE_SIZE", "-1", "MCPAUTH_JWT_CACHE_SIZE: \"-1\" is not a non-negative integer"},
		{"bad cache max age", "CACHE_MAX_AGE", "5", "MCPAUTH_JWT_CACHE_MAX_AGE: \"5\" is not a Go duration"},
		{"cache max age without size", "CACHE_MAX_AGE", "1m", "MCPAUTH_JWT_CACHE_MAX_AGE is set but the cache is off; set MCPAUTH_JWT_CACHE_SIZE too"},
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

// TestEnvDefaults: a variable that is unset or empty takes its envDefault,
// and every envDefault is the value the verifier applies to a zero field,
// so reading the environment and writing Settings in code agree.
func TestEnvDefaults(t *testing.T) {
	for _, vars := range []map[string]string{nil, {EnvPrefix + "LEEWAY": "", EnvPrefix + "JWKS_TIMEOUT": " "}} {
		s, err := SettingsFromMap(EnvPrefix, vars)
		if err != nil {
			t.Fatal(err)
		}
		want := Settings{
			Leeway:               DefaultLeeway,
			MaxTokenBytes:        DefaultMaxTokenBytes,
			JWKSRefreshInterval:  jwks.DefaultRefreshInterval,
			JWKSRefreshRateLimit: jwks.DefaultRefreshRateLimit,
			JWKSTimeout:          jwks.DefaultTimeout,
			JWKSMaxBodyBytes:     jwks.DefaultMaxBodyBytes,
		}
		if !settingsEqual(s, want) {
			t.Fatalf("defaults\ngot  %+v\nwant %+v", s, want)
		}
	}
	s, err := SettingsFromMap(EnvPrefix, map[string]string{EnvPrefix + "CACHE_SIZE": "10"})
	if err != nil || s.CacheSize != 10 || s.CacheMaxAge != DefaultCacheMaxAge {
		t.Fatalf("cache: %d %v %v; want 10 and DefaultCacheMaxAge", s.CacheSize, s.CacheMaxAge, err)
	}
	if s, _ := SettingsFromMap(EnvPrefix, nil); s.CacheMaxAge != 0 {
		t.Fatalf("CacheMaxAge %v without a cache; want 0", s.CacheMaxAge)
	}
}

// TestEnvTable: the table's fields are Settings fields (the error texts
// rely on the names matching), every variable has a meaning and a default,
// and the names are unique.
func TestEnvTable(t *testing.T) {
	settings := reflect.TypeFor[Settings]()
	seen := map[string]bool{}
	for _, v := range EnvTable(EnvPrefix) {
		if _, ok := settings.FieldByName(v.Field); !ok {
			t.Errorf("%s fills Settings.%s, which does not exist", v.Name, v.Field)
		}
		if v.Help == "" || v.Default == "" || !strings.HasPrefix(v.Name, EnvPrefix) || seen[v.Name] {
			t.Errorf("bad table row %+v", v)
		}
		seen[v.Name] = true
	}
	if got := EnvVariables(FastMCPEnvPrefix); len(got) != len(seen) || got[0] != FastMCPEnvPrefix+"PUBLIC_KEY" {
		t.Fatalf("EnvVariables(FastMCPEnvPrefix) = %v", got)
	}
}

// TestReadmeListsEnvVariables: the README's table of settings variables
// lists exactly the variables of EnvTable, with the same defaults.
func TestReadmeListsEnvVariables(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Environment variables\n")
	if !ok {
		t.Fatal("README.md has no Environment variables section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	rows := map[string]string{} // name -> default cell
	var order []string
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 5 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`"+EnvPrefix) {
			continue
		}
		name := strings.Trim(strings.TrimSpace(cells[1]), "`")
		rows[name] = strings.TrimSpace(cells[3])
		order = append(order, name)
	}
	want := EnvVariables(EnvPrefix)
	if !slices.Equal(order, want) {
		t.Fatalf("README lists\n%v\nthe parser reads\n%v", order, want)
	}
	for _, v := range EnvTable(EnvPrefix) {
		if _, hasDefault := reflect.TypeFor[envSettings]().Field(slices.Index(want, v.Name)).Tag.Lookup("envDefault"); hasDefault &&
			!strings.Contains(rows[v.Name], "`"+v.Default+"`") {
			t.Errorf("README: %s default %q does not show `%s`", v.Name, rows[v.Name], v.Default)
		}
	}
}

// TestEnvAnyLetterCase: FastMCP 2.x reads its variables case-insensitively,
// so a lower- or mixed-case setting is honoured, never ignored (a required
// scope must not go unenforced), and two spellings of one variable are
// refused, naming both.
func TestEnvAnyLetterCase(t *testing.T) {
	for _, prefix := range []string{EnvPrefix, FastMCPEnvPrefix} {
		for _, spell := range []func(string) string{strings.ToLower, func(s string) string { return strings.ToUpper(s[:1]) + strings.ToLower(s[1:]) }} {
			name := spell(prefix + "REQUIRED_SCOPES")
			s, err := SettingsFromMap(prefix, map[string]string{name: "admin", spell(prefix + "issuer"): testIssuer})
			if err != nil || !slices.Equal(s.RequiredScopes, []string{"admin"}) || !slices.Equal(s.Issuers, []string{testIssuer}) {
				t.Fatalf("%s: scopes %v issuers %v, %v", name, s.RequiredScopes, s.Issuers, err)
			}
			_, err = SettingsFromMap(prefix, map[string]string{name: "admin", prefix + "REQUIRED_SCOPES": "read"})
			if !errors.Is(err, mcpauth.ErrInvalidConfig) || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), prefix+"REQUIRED_SCOPES") || !strings.Contains(err.Error(), "both set") {
				t.Fatalf("two spellings: %v", err)
			}
			_, err = SettingsFromMap(prefix, map[string]string{spell(prefix + "REQUIRED_SCOPE"): "admin"})
			if !strings.Contains(err.Error(), "did you mean "+prefix+"REQUIRED_SCOPES?") {
				t.Fatalf("lower-case typo: %v", err)
			}
		}
	}
	// The required scope from a lower-case variable is enforced.
	t.Setenv("mcpauth_jwt_required_scopes", "admin")
	t.Setenv("Mcpauth_Jwt_Issuer", testIssuer)
	t.Setenv("MCPAUTH_JWT_AUDIENCE", testAudience)
	t.Setenv("mcpauth_jwt_public_key", pubPEM(t, &k(t).rsa.PublicKey))
	s, err := SettingsFromEnv(EnvPrefix)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewJWTVerifier(s, WithClock(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.VerifyToken(context.Background(), sign(t, "RS256", k(t).rsa, nil, goodClaims()))
	var ise *mcpauth.InsufficientScopeError
	if !errors.As(err, &ise) || !slices.Equal(ise.Missing, []string{"admin"}) {
		t.Fatalf("token without the scope: %v; want the lower-case required scope enforced", err)
	}
	t.Setenv("MCPAUTH_JWT_REQUIRED_SCOPES", "read")
	if _, err := SettingsFromEnv(EnvPrefix); err == nil || !strings.Contains(err.Error(), "mcpauth_jwt_required_scopes") {
		t.Fatalf("two spellings in the environment: %v", err)
	}
}

func TestSuggest(t *testing.T) {
	known := EnvVariables(EnvPrefix)
	for name, want := range map[string]string{
		"MCPAUTH_JWT_AUDIENCES":      "MCPAUTH_JWT_AUDIENCE",
		"MCPAUTH_JWT_ALGORITHMS":     "MCPAUTH_JWT_ALGORITHM",
		"MCPAUTH_JWT_JWKS_URL":       "MCPAUTH_JWT_JWKS_URI",
		"MCPAUTH_JWT_CACHESIZE":      "MCPAUTH_JWT_CACHE_SIZE",
		"mcpauth_jwt_leeway_":        "MCPAUTH_JWT_LEEWAY",
		"MCPAUTH_JWT_TIMEOUT":        "",
		"MCPAUTH_JWT_SECRET":         "",
		"MCPAUTH_JWT_X":              "",
		"MCPAUTH_JWT_REQUIRE_SCOPES": "MCPAUTH_JWT_REQUIRED_SCOPES",
	} {
		if got := Suggest(name, known); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", name, got, want)
		}
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
