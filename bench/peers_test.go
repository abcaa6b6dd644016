package bench

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	jwtmiddleware "github.com/auth0/go-jwt-middleware/v2"
	"github.com/auth0/go-jwt-middleware/v2/validator"
	"github.com/golang-jwt/jwt/v5"
	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/verify"
)

// noop is the protected handler: it does nothing, so a round trip measures
// the middleware and httptest only.
var noop = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

// roundTrip sends one request with token through h, the way every stack is
// measured: a new request and recorder per call, no network.
func roundTrip(h http.Handler, token string) int {
	req := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

// BenchmarkAuth is the side-by-side comparison. Names are
// Auth/<alg>/<stack> and Auth/baseline; cmd/report reads them.
func BenchmarkAuth(b *testing.B) {
	b.Run("baseline", func(b *testing.B) {
		tok := fixtureFor(b, "RS256").token
		b.ReportAllocs()
		for b.Loop() {
			if roundTrip(noop, tok) != http.StatusOK {
				b.Fatal("baseline failed")
			}
		}
	})
	for _, alg := range algorithms {
		f := fixtureFor(b, alg)
		b.Run(alg+"/floor", func(b *testing.B) { benchFloor(b, f) })
		b.Run(alg+"/golang-jwt", func(b *testing.B) {
			p := golangJWTParser(alg)
			keyfunc := func(*jwt.Token) (any, error) { return f.public, nil }
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Parse(f.token, keyfunc); err != nil {
					b.Fatal(err)
				}
			}
		})
		stacks := []struct {
			name string
			h    func(testing.TB, *fixture) http.Handler
		}{
			{"go-sdk", goSDKStack},
			{"auth0", auth0Stack},
			{"mcpauth", func(tb testing.TB, f *fixture) http.Handler { return mcpauthStack(tb, f, false) }},
			{"mcpauth-cached", func(tb testing.TB, f *fixture) http.Handler { return mcpauthStack(tb, f, true) }},
		}
		for _, s := range stacks {
			b.Run(alg+"/"+s.name, func(b *testing.B) {
				h := s.h(b, f)
				b.ReportAllocs()
				for b.Loop() {
					if code := roundTrip(h, f.token); code != http.StatusOK {
						b.Fatalf("status %d", code)
					}
				}
			})
		}
	}
}

// TestStacksAgree checks every stack accepts the benchmark tokens and
// rejects a tampered one, so the benchmark compares working
// configurations.
func TestStacksAgree(t *testing.T) {
	for _, alg := range algorithms {
		f := fixtureFor(t, alg)
		tampered := f.token[:len(f.token)-4] + flip(f.token[len(f.token)-4:])
		wrongAud := signToken(alg, f.signer, "https://other.example.com/mcp")
		for name, h := range map[string]http.Handler{
			"go-sdk":         goSDKStack(t, f),
			"auth0":          auth0Stack(t, f),
			"mcpauth":        mcpauthStack(t, f, false),
			"mcpauth-cached": mcpauthStack(t, f, true),
		} {
			t.Run(alg+"/"+name, func(t *testing.T) {
				for range 2 {
					if code := roundTrip(h, f.token); code != http.StatusOK {
						t.Fatalf("valid token: status %d", code)
					}
					if code := roundTrip(h, tampered); code != http.StatusUnauthorized {
						t.Fatalf("tampered token: status %d", code)
					}
					if code := roundTrip(h, wrongAud); code != http.StatusUnauthorized {
						t.Fatalf("token for another audience: status %d", code)
					}
				}
			})
		}
		t.Run(alg+"/golang-jwt", func(t *testing.T) {
			p := golangJWTParser(alg)
			keyfunc := func(*jwt.Token) (any, error) { return f.public, nil }
			if _, err := p.Parse(f.token, keyfunc); err != nil {
				t.Fatal(err)
			}
			if _, err := p.Parse(tampered, keyfunc); err == nil {
				t.Fatal("tampered token accepted")
			}
			if _, err := p.Parse(wrongAud, keyfunc); err == nil {
				t.Fatal("token for another audience accepted")
			}
		})
		t.Run(alg+"/floor", func(t *testing.T) {
			if !floorVerify(f, f.input, f.sig) {
				t.Fatal("floor rejects the token")
			}
			bad := append([]byte{}, f.input...)
			bad[len(bad)-1] ^= 1
			if floorVerify(f, bad, f.sig) {
				t.Fatal("floor accepts a tampered input")
			}
		})
	}
}

// flip changes each character of s to another base64url character.
func flip(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c == 'A' {
			b.WriteRune('B')
		} else {
			b.WriteRune('A')
		}
	}
	return b.String()
}

// benchFloor measures the bare crypto verification of the token's signing
// input: the digest and the signature check, nothing else.
func benchFloor(b *testing.B, f *fixture) {
	b.ReportAllocs()
	for b.Loop() {
		if !floorVerify(f, f.input, f.sig) {
			b.Fatal("floor verification failed")
		}
	}
}

// floorVerify is the physical floor: exactly the crypto every verifier
// must do on the signing input. The ECDSA signature's DER form and the
// keyed HMAC state are prepared outside of it.
func floorVerify(f *fixture, input, sig []byte) bool {
	switch f.alg {
	case "RS256":
		d := sha256.Sum256(input)
		return rsa.VerifyPKCS1v15(f.public.(*rsa.PublicKey), crypto.SHA256, d[:], sig) == nil
	case "PS256":
		d := sha256.Sum256(input)
		return rsa.VerifyPSS(f.public.(*rsa.PublicKey), crypto.SHA256, d[:], sig, nil) == nil
	case "ES256":
		d := sha256.Sum256(input)
		return ecdsa.VerifyASN1(f.public.(*ecdsa.PublicKey), d[:], f.der)
	case "EdDSA":
		return ed25519.Verify(f.public.(ed25519.PublicKey), input, sig)
	case "HS256":
		f.mac.Reset()
		f.mac.Write(input)
		return hmac.Equal(f.mac.Sum(f.sum[:0]), sig)
	}
	panic("unknown algorithm " + f.alg)
}

// golangJWTParser is golang-jwt v5 configured with the checks mcpauth
// makes: the algorithm allow-list, exp required, iss, aud, iat, leeway.
func golangJWTParser(alg string) *jwt.Parser {
	return jwt.NewParser(
		jwt.WithValidMethods([]string{alg}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
	)
}

// goSDKStack is go-sdk's auth.RequireBearerToken with a golang-jwt
// verifier that returns the token's scopes, expiry and subject.
func goSDKStack(_ testing.TB, f *fixture) http.Handler {
	p := golangJWTParser(f.alg)
	keyfunc := func(*jwt.Token) (any, error) { return f.public, nil }
	verifier := func(_ context.Context, token string, _ *http.Request) (*auth.TokenInfo, error) {
		t, err := p.Parse(token, keyfunc)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", auth.ErrInvalidToken, err)
		}
		c := t.Claims.(jwt.MapClaims)
		exp, err := c.GetExpirationTime()
		if err != nil || exp == nil {
			return nil, auth.ErrInvalidToken
		}
		sub, _ := c.GetSubject()
		scope, _ := c["scope"].(string)
		return &auth.TokenInfo{Scopes: strings.Fields(scope), Expiration: exp.Time, UserID: sub}, nil
	}
	return auth.RequireBearerToken(verifier, &auth.RequireBearerTokenOptions{ClockSkew: leeway})(noop)
}

// auth0Claims are the custom claims auth0's validator decodes, so that it
// reads what the other stacks read.
type auth0Claims struct {
	Scope    string `json:"scope"`
	ClientID string `json:"client_id"`
}

// Validate implements validator.CustomClaims.
func (c *auth0Claims) Validate(context.Context) error {
	if c.ClientID == "" {
		return errors.New("no client_id")
	}
	return nil
}

// auth0Stack is auth0/go-jwt-middleware v2 with its validator.
func auth0Stack(tb testing.TB, f *fixture) http.Handler {
	v, err := validator.New(
		func(context.Context) (any, error) { return f.public, nil },
		validator.SignatureAlgorithm(f.alg),
		issuer,
		[]string{audience},
		validator.WithAllowedClockSkew(leeway),
		validator.WithCustomClaims(func() validator.CustomClaims { return &auth0Claims{} }),
	)
	if err != nil {
		tb.Fatal(err)
	}
	return jwtmiddleware.New(v.ValidateToken,
		jwtmiddleware.WithErrorHandler(func(w http.ResponseWriter, _ *http.Request, _ error) {
			w.WriteHeader(http.StatusUnauthorized)
		}),
	).CheckJWT(noop)
}

// mcpauthStack is mcpauth's middleware over its JWTVerifier.
func mcpauthStack(tb testing.TB, f *fixture, cached bool) http.Handler {
	cacheSize := 0
	if cached {
		cacheSize = 100 // Envoy's jwt_cache_config default
	}
	v, err := verify.NewJWTVerifier(verify.Settings{
		PublicKey:  f.pem,
		Algorithms: []string{f.alg},
		Issuers:    []string{issuer},
		Audiences:  []string{audience},
		Leeway:     leeway,
		CacheSize:  cacheSize,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return middleware.New(v)(noop)
}
