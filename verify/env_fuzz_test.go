package verify

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
)

// noNetwork fails every request: fuzzed settings name arbitrary JWKS and
// issuer URLs, which must never be contacted.
type noNetwork struct{}

func (noNetwork) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("fuzz: network disabled")
}

// envBlob joins variable values with NUL, the one byte no environment
// value can hold; FuzzSettingsFromMap splits it again.
func envBlob(vals map[string]string) string {
	parts := make([]string, len(EnvVariables("")))
	for i, name := range EnvVariables("") {
		parts[i] = vals[name]
	}
	return strings.Join(parts, "\x00")
}

func FuzzSettingsFromMap(f *testing.F) {
	ks, _ := fuzzFixture(f)
	all := uint32(1)<<len(EnvVariables("")) - 1
	pemKey := pubPEM(f, &ks.rsa.PublicKey)
	for _, vals := range []map[string]string{
		{"PUBLIC_KEY": pemKey, "ISSUER": testIssuer, "AUDIENCE": testAudience},
		{"PUBLIC_KEY": testHMAC, "ALGORITHM": "HS256", "ISSUER": testIssuer + "," + fuzzOtherIssuer, "AUDIENCE": `["a","b"]`, "REQUIRED_SCOPES": "read, write"},
		{"JWKS_URI": "http://127.0.0.1:1/jwks", "ISSUER": testIssuer, "AUDIENCE": testAudience, "ALGORITHM": "RS256,ES256",
			"JWKS_REFRESH_INTERVAL": "1h", "JWKS_REFRESH_RATE_LIMIT": "30s", "JWKS_TIMEOUT": "2s", "JWKS_MAX_BODY_BYTES": "65536"},
		{"ISSUER": "https://idp.example.com", "AUDIENCE": testAudience},
		{"JWKS_URI": "http://idp.example.com/jwks", "INSECURE_ALLOW_HTTP_JWKS": "true", "ISSUER": testIssuer, "AUDIENCE": testAudience},
		{"PUBLIC_KEY": pemKey, "ISSUER": testIssuer, "AUDIENCE": testAudience, "LEEWAY": "0s", "MAX_TOKEN_BYTES": "4096", "REQUIRE_ACCESS_TOKEN_TYPE": "1"},
		{"PUBLIC_KEY": pemKey, "JWKS_URI": "https://a/jwks", "ISSUER": testIssuer, "AUDIENCE": testAudience},
		{"PUBLIC_KEY": pemKey, "ISSUER": "[]", "AUDIENCE": "[1]", "ALGORITHM": "none", "REQUIRED_SCOPES": `["a b"]`},
		{"PUBLIC_KEY": " ", "ISSUER": " , ", "AUDIENCE": ",a", "LEEWAY": "-1s", "MAX_TOKEN_BYTES": "0", "REQUIRE_ACCESS_TOKEN_TYPE": "yes"},
		{"LEEWAY": "1e9h", "JWKS_TIMEOUT": "0", "JWKS_MAX_BODY_BYTES": "99999999999999999999", "MAX_TOKEN_BYTES": "9223372036854775807"},
		{"PUBLIC_KEY": "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----", "ISSUER": "x", "AUDIENCE": "y"},
		{"PUBLIC_KEY": strings.Repeat("s", 64), "ALGORITHM": "HS512,HS256", "ISSUER": "i", "AUDIENCE": "a", "LEEWAY": "5m1s"},
	} {
		f.Add(envBlob(vals), all, false, "", "")
		f.Add(envBlob(vals), all, true, "TYPO", "1")
	}
	f.Add("", uint32(0), false, "PUBLIC_KEY", "x")
	f.Add("", uint32(0), false, "public_key", "x")
	f.Add(envBlob(map[string]string{"ISSUER": testIssuer}), uint32(1)<<2, false, "issuer", testIssuer)
	f.Add("", uint32(0), true, "", "")

	ctx, cancel := context.WithCancel(context.Background())
	cancel() // nothing may run in the background, let alone fetch
	opts := []Option{
		WithContext(ctx),
		WithHTTPClient(&http.Client{Transport: noNetwork{}}),
		WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		WithClock(func() time.Time { return testNow }),
	}
	tokens := fuzzTokenSeeds(f)[:12]
	f.Fuzz(func(t *testing.T, blob string, mask uint32, fastmcp bool, extraName, extraValue string) {
		prefix := EnvPrefix
		if fastmcp {
			prefix = FastMCPEnvPrefix
		}
		vars := map[string]string{}
		for i, v := range strings.Split(blob, "\x00") {
			if i < len(EnvVariables("")) && mask&(1<<i) != 0 {
				vars[EnvVariables(prefix)[i]] = v
			}
		}
		if extraName != "" {
			vars[prefix+extraName] = extraValue
		}
		s, err := SettingsFromMap(prefix, vars)

		// Variables without the prefix (in any letter case) never matter.
		withForeign := map[string]string{"OTHER_" + extraName: extraValue, strings.TrimSuffix(prefix, "_") + "ISSUER": "x"}
		for k, v := range vars {
			withForeign[k] = v
		}
		s2, err2 := SettingsFromMap(prefix, withForeign)
		if !reflect.DeepEqual(s, s2) || (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
			t.Fatalf("variables without the prefix changed the result: %v / %v", err, err2)
		}

		if err != nil {
			checkConfigErr(t, err, vars, prefix)
			if !reflect.DeepEqual(s, Settings{}) {
				t.Fatalf("error %v with non-zero settings", err)
			}
			return
		}
		v, err := NewJWTVerifier(s, opts...)
		if err != nil {
			checkConfigErr(t, err, vars, prefix)
			return
		}
		defer v.Close()
		for _, tok := range tokens {
			at, err := v.VerifyToken(context.Background(), tok)
			if err == nil {
				if at == nil {
					t.Fatal("accepted without an access token")
				}
				continue
			}
			checkRejection(t, "settings", tok, at, err)
		}
	})
}

// checkConfigErr asserts a configuration error matches mcpauth.ErrInvalidConfig
// alone, names a variable (the settings came from the environment, so
// NewJWTVerifier's errors name variables too, never Settings fields) and
// does not quote the PUBLIC_KEY value, which may be an HMAC secret.
func checkConfigErr(t *testing.T, err error, vars map[string]string, prefix string) {
	t.Helper()
	if !errors.Is(err, mcpauth.ErrInvalidConfig) || errors.Is(err, mcpauth.ErrInvalidToken) || errors.Is(err, mcpauth.ErrInsufficientScope) || errors.Is(err, mcpauth.ErrKeySourceUnavailable) {
		t.Fatalf("error %q does not match mcpauth.ErrInvalidConfig alone", err)
	}
	msg := err.Error()
	for name, val := range vars {
		if strings.HasSuffix(strings.ToUpper(name), "PUBLIC_KEY") && len(val) > 16 && strings.Contains(msg, val) && !quotedElsewhere(val, name, vars) {
			t.Fatalf("error quotes the PUBLIC_KEY value: %q", msg)
		}
	}
	if !strings.Contains(strings.ToUpper(msg), prefix) {
		t.Fatalf("error %q names no %s* variable", msg, prefix)
	}
	if strings.Contains(msg, "Settings.") {
		t.Fatalf("error %q names a Settings field for settings from the environment", msg)
	}
}

// quotedElsewhere reports whether val is also part of another variable's
// value or name, which an error may rightly quote.
func quotedElsewhere(val, name string, vars map[string]string) bool {
	for n, v := range vars {
		if n != name && (strings.Contains(v, val) || strings.Contains(n, val)) {
			return true
		}
	}
	return strings.Contains(strings.Join(EnvVariables(EnvPrefix), " ")+strings.Join(EnvVariables(FastMCPEnvPrefix), " "), val)
}
