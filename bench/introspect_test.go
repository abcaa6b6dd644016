package bench

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/introspect"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/verify"
)

// opaqueToken is an opaque access token of the usual size (32 random bytes,
// base64url).
const opaqueToken = "q8Zt2mR4vN7xK1pL9sD3fG6hJ0wE5yU2iO8aS4dF7gH"

// introspectionEndpoint is a loopback RFC 7662 endpoint that knows
// opaqueToken; it answers like oidc-provider (about 250 bytes).
func introspectionEndpoint(tb testing.TB) *httptest.Server {
	tb.Helper()
	answer, err := json.Marshal(map[string]any{
		"active": true, "client_id": "mcp-client", "sub": "user-1", "scope": "mcp:tools mcp:read",
		"iss": issuer, "aud": audience, "exp": time.Now().Add(24 * time.Hour).Unix(), "iat": time.Now().Unix(),
		"jti": "c6a4f0e2-8d1b-4b7e-9f3a-5e2d7c9b1a04", "token_type": "Bearer",
	})
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.PostFormValue("token") != opaqueToken {
			w.Write([]byte(`{"active":false}`))
			return
		}
		w.Write(answer)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// introspectionStack is mcpauth's middleware over its introspection
// verifier, with the cache on or off.
func introspectionStack(tb testing.TB, endpoint string, cached bool) http.Handler {
	tb.Helper()
	c := introspect.Config{
		Endpoint:     endpoint,
		Issuer:       issuer,
		Audiences:    []string{audience},
		ClientID:     "mcp-server",
		ClientSecret: "bench-secret",
	}
	if cached {
		c.CacheSize = 100
	}
	v, err := introspect.New(c)
	if err != nil {
		tb.Fatal(err)
	}
	return middleware.New(v)(noop)
}

// BenchmarkIntrospection compares a cached introspection hit with a cached
// JWT hit (ES256), by the verifiers alone and as full round trips through
// the middleware, and measures the first introspection of a token (no
// cache: a call to a loopback endpoint over a kept-alive connection). Names
// are Introspection/<case>; cmd/report reads them.
func BenchmarkIntrospection(b *testing.B) {
	srv := introspectionEndpoint(b)
	f := fixtureFor(b, "ES256")
	jwtV, err := verify.NewJWTVerifier(verify.Settings{
		PublicKey: f.pem, Algorithms: []string{f.alg}, Issuers: []string{issuer}, Audiences: []string{audience},
		Leeway: leeway, CacheSize: 100,
	})
	if err != nil {
		b.Fatal(err)
	}
	introV, err := introspect.New(introspect.Config{
		Endpoint: srv.URL + "/introspect", Issuer: issuer, Audiences: []string{audience},
		ClientID: "mcp-server", ClientSecret: "bench-secret", CacheSize: 100,
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		v     mcpauth.TokenVerifier
		token string
	}{
		{"verifier-jwt-cached-hit", jwtV, f.token},
		{"verifier-cached-hit", introV, opaqueToken},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			if _, err := c.v.VerifyToken(ctx, c.token); err != nil { // warm the cache
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.v.VerifyToken(ctx, c.token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, c := range []struct {
		name  string
		h     http.Handler
		token string
	}{
		{"jwt-cached-hit", mcpauthStack(b, f, true), f.token},
		{"cached-hit", introspectionStack(b, srv.URL+"/introspect", true), opaqueToken},
		{"first-call", introspectionStack(b, srv.URL+"/introspect", false), opaqueToken},
	} {
		b.Run(c.name, func(b *testing.B) {
			if code := roundTrip(c.h, c.token); code != http.StatusOK { // warm the cache
				b.Fatalf("status %d", code)
			}
			b.ReportAllocs()
			for b.Loop() {
				if code := roundTrip(c.h, c.token); code != http.StatusOK {
					b.Fatalf("status %d", code)
				}
			}
		})
	}
}

// TestIntrospectionStacksAgree checks the benchmarked introspection stacks
// accept the token and refuse an unknown one, so the benchmark measures
// working configurations.
func TestIntrospectionStacksAgree(t *testing.T) {
	srv := introspectionEndpoint(t)
	for _, cached := range []bool{false, true} {
		h := introspectionStack(t, srv.URL+"/introspect", cached)
		for range 2 {
			if code := roundTrip(h, opaqueToken); code != http.StatusOK {
				t.Fatalf("cached %v: status %d", cached, code)
			}
			if code := roundTrip(h, "unknown-"+opaqueToken); code != http.StatusUnauthorized {
				t.Fatalf("cached %v: unknown token: status %d", cached, code)
			}
		}
	}
}
