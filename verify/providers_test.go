package verify

import (
	"context"
	"crypto"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// idp is an issuer on loopback serving OIDC metadata and its JWK Set,
// counting every request.
type idp struct {
	srv      *httptest.Server
	key      *testkeys.KeyPair
	requests atomic.Int64
	down     atomic.Bool // the JWK Set answers 503
}

func newIDP(t *testing.T, key *testkeys.KeyPair) *idp {
	t.Helper()
	p := &idp{key: key}
	jwks, err := testkeys.JWKSHandler(key)
	if err != nil {
		t.Fatal(err)
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"issuer":"` + p.srv.URL + `","jwks_uri":"` + p.srv.URL + `/keys"}`))
		case "/keys":
			if p.down.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			jwks.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *idp) issuer() string { return p.srv.URL }

// token mints a token of this issuer (or of iss when given) signed with
// signer.
func token(t *testing.T, signer *testkeys.KeyPair, iss string, mod func(*testkeys.TokenOptions)) string {
	t.Helper()
	o := testkeys.TokenOptions{Issuer: iss, Audience: []string{testAudience}, Scopes: []string{"read"}}
	if mod != nil {
		mod(&o)
	}
	tok, err := signer.CreateToken(o)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func newProviders(t *testing.T, s Settings) *JWTVerifier {
	t.Helper()
	if s.Audiences == nil {
		s.Audiences = []string{testAudience}
	}
	v, err := NewJWTVerifier(s, WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("NewJWTVerifier: %v", err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

func TestSeveralIssuersDiscoverEachOne(t *testing.T) {
	a, b := newIDP(t, testkeystest.SharedRSAKeyPair(t)), newIDP(t, testkeystest.SharedECKeyPair(t))
	v := newProviders(t, Settings{Issuers: []string{a.issuer(), b.issuer()}})
	for _, p := range []*idp{a, b} {
		at, err := v.VerifyToken(context.Background(), token(t, p.key, p.issuer(), nil))
		if err != nil {
			t.Fatalf("token of %s refused: %v", p.issuer(), err)
		}
		if at.Issuer != p.issuer() {
			t.Fatalf("issuer %q", at.Issuer)
		}
	}
	if got := v.Issuers(); !slices.Equal(got, []string{a.issuer(), b.issuer()}) {
		t.Fatalf("Issuers() = %v; want every provider's issuer", got)
	}
}

// TestProviderConfusion: the iss claim only selects the provider; the
// signature must verify with that provider's keys.
func TestProviderConfusion(t *testing.T) {
	a, b := newIDP(t, testkeystest.SharedRSAKeyPair(t)), newIDP(t, testkeystest.SharedECKeyPair(t))
	v := newProviders(t, Settings{Issuers: []string{a.issuer(), b.issuer()}})
	// Warm both providers up, so the counts below are the confusion's own.
	for _, p := range []*idp{a, b} {
		if _, err := v.VerifyToken(context.Background(), token(t, p.key, p.issuer(), nil)); err != nil {
			t.Fatal(err)
		}
	}
	before := b.requests.Load()
	for name, tok := range map[string]string{
		"A-named, signed with B's key":        token(t, b.key, a.issuer(), nil),
		"A-named, B's key, no kid":            token(t, b.key, a.issuer(), func(o *testkeys.TokenOptions) { o.OmitKID = true }),
		"A-named, B's key, A's kid":           token(t, b.key, a.issuer(), func(o *testkeys.TokenOptions) { o.KID = a.key.KeyID() }),
		"A-named, signed with an unknown key": token(t, testkeystest.SharedEd25519KeyPair(t), a.issuer(), nil),
		"B-named, signed with A's key":        token(t, a.key, b.issuer(), nil),
	} {
		at, err := v.VerifyToken(context.Background(), tok)
		if at != nil || !errors.Is(err, mcpauth.ErrInvalidToken) {
			t.Fatalf("%s: %+v, %v; want refused", name, at, err)
		}
	}
	if n := b.requests.Load() - before; n > 1 {
		// One refetch is allowed for the B-named unknown kid (rate limited).
		t.Fatalf("%d requests to B while checking confusion tokens", n)
	}
}

func TestUnknownIssuerRefusedWithoutFetch(t *testing.T) {
	a, b := newIDP(t, testkeystest.SharedRSAKeyPair(t)), newIDP(t, testkeystest.SharedECKeyPair(t))
	third := newIDP(t, testkeystest.SharedEd25519KeyPair(t))
	v := newProviders(t, Settings{Issuers: []string{a.issuer(), b.issuer()}})
	// Both providers' keys are loaded first, so that their own discovery
	// (which runs in the background) is over before counting.
	for _, p := range []*idp{a, b} {
		if _, err := v.VerifyToken(context.Background(), token(t, p.key, p.issuer(), nil)); err != nil {
			t.Fatal(err)
		}
	}
	counts := func() [3]int64 { return [3]int64{a.requests.Load(), b.requests.Load(), third.requests.Load()} }
	before := counts()
	for name, tc := range map[string]struct {
		tok    string
		reason mcpauth.Reason
	}{
		"third issuer":        {token(t, third.key, third.issuer(), nil), mcpauth.ReasonIssuer},
		"issuer case variant": {token(t, a.key, strings.ToUpper(a.issuer()), nil), mcpauth.ReasonIssuer},
		"issuer with a slash": {token(t, a.key, a.issuer()+"/", nil), mcpauth.ReasonIssuer},
		"no iss":              {signRaw(t, "RS256", k(t).rsa, `{"alg":"RS256"}`, `{"aud":"x"}`), mcpauth.ReasonIssuer},
		"iss not a string":    {signRaw(t, "RS256", k(t).rsa, `{"alg":"RS256"}`, `{"iss":["`+a.issuer()+`"]}`), mcpauth.ReasonIssuer},
		"duplicate iss":       {signRaw(t, "RS256", k(t).rsa, `{"alg":"RS256"}`, `{"iss":"x","iss":"`+a.issuer()+`"}`), mcpauth.ReasonMalformed},
		"payload not JSON":    {enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte("nope")) + ".c2ln", mcpauth.ReasonMalformed},
		"two segments":        {"a.b", mcpauth.ReasonMalformed},
		"opaque":              {"opaque-token", mcpauth.ReasonMalformed},
	} {
		at, err := v.VerifyToken(context.Background(), tc.tok)
		if at != nil {
			t.Fatalf("%s: accepted", name)
		}
		var ite *mcpauth.InvalidTokenError
		if !errors.As(err, &ite) || ite.Reason != tc.reason {
			t.Fatalf("%s: %v; want reason %s", name, err, tc.reason)
		}
	}
	if after := counts(); after != before {
		t.Fatalf("requests before %v, after %v: a token naming no provider caused a fetch", before, after)
	}
}

func TestProviderDownAnswers503ForItsTokensOnly(t *testing.T) {
	a, b := newIDP(t, testkeystest.SharedRSAKeyPair(t)), newIDP(t, testkeystest.SharedECKeyPair(t))
	b.down.Store(true)
	v := newProviders(t, Settings{Issuers: []string{a.issuer(), b.issuer()}})
	_, err := v.VerifyToken(context.Background(), token(t, b.key, b.issuer(), nil))
	if !errors.Is(err, mcpauth.ErrKeySourceUnavailable) || errors.Is(err, mcpauth.ErrInvalidToken) {
		t.Fatalf("B's token with B's JWK Set down: %v; want unavailable", err)
	}
	if _, err := v.VerifyToken(context.Background(), token(t, a.key, a.issuer(), nil)); err != nil {
		t.Fatalf("A's token while B is down: %v", err)
	}
}

func TestProvidersOwnRules(t *testing.T) {
	rsaKey, ecKey := testkeystest.SharedRSAKeyPair(t), testkeystest.SharedECKeyPair(t)
	b := newIDP(t, ecKey)
	v := newProviders(t, Settings{
		Audiences:      []string{testAudience},
		RequiredScopes: []string{"read"},
		Providers: []Provider{
			{Issuer: "https://a.example.com", PublicKey: rsaKey.PublicKeyPEM(), Audiences: []string{"https://a-aud"}, Algorithms: []string{"RS256"}},
			{Issuer: b.issuer(), JWKSURI: b.srv.URL + "/keys", RequiredScopes: []string{"admin"}},
		},
	})
	withAud := func(aud string) func(*testkeys.TokenOptions) {
		return func(o *testkeys.TokenOptions) { o.Audience = []string{aud} }
	}
	for _, tt := range []struct {
		name string
		tok  string
		want error
	}{
		{"A with its audience", token(t, rsaKey, "https://a.example.com", withAud("https://a-aud")), nil},
		{"A with the default audience", token(t, rsaKey, "https://a.example.com", nil), mcpauth.ErrInvalidToken},
		{"B lacking its own scope", token(t, ecKey, b.issuer(), nil), mcpauth.ErrInsufficientScope},
		{"B with its scope, default audience", token(t, ecKey, b.issuer(), func(o *testkeys.TokenOptions) { o.Scopes = []string{"admin"} }), nil},
		{"B with A's audience", token(t, ecKey, b.issuer(), func(o *testkeys.TokenOptions) {
			o.Audience, o.Scopes = []string{"https://a-aud"}, []string{"admin"}
		}), mcpauth.ErrInvalidToken},
	} {
		at, err := v.VerifyToken(context.Background(), tt.tok)
		if tt.want == nil {
			if err != nil || at == nil {
				t.Errorf("%s: refused: %v", tt.name, err)
			}
			continue
		}
		if at != nil || !errors.Is(err, tt.want) {
			t.Errorf("%s: %v; want %v", tt.name, err, tt.want)
		}
	}
	// A's scope rule: "read" inherited; an A token lacking it is refused as
	// insufficient scope, not as invalid.
	_, err := v.VerifyToken(context.Background(), token(t, rsaKey, "https://a.example.com", func(o *testkeys.TokenOptions) {
		o.Audience, o.Scopes = []string{"https://a-aud"}, []string{"other"}
	}))
	if !errors.Is(err, mcpauth.ErrInsufficientScope) {
		t.Fatalf("A lacking read: %v", err)
	}
	if got := v.Audiences(); !slices.Equal(got, []string{"https://a-aud", testAudience}) {
		t.Fatalf("Audiences() = %v", got)
	}
	if got := v.RequiredScopes(); !slices.Equal(got, []string{"read", "admin"}) {
		t.Fatalf("RequiredScopes() = %v", got)
	}
}

func TestProvidersWithTopLevelKey(t *testing.T) {
	rsaKey, ecKey := testkeystest.SharedRSAKeyPair(t), testkeystest.SharedECKeyPair(t)
	v := newProviders(t, Settings{
		Issuers:   []string{"https://one.example.com", "https://two.example.com"},
		PublicKey: rsaKey.PublicKeyPEM(),
		Providers: []Provider{{Issuer: "https://ec.example.com", PublicKey: ecKey.PublicKeyPEM()}},
	})
	for _, tok := range []string{
		token(t, rsaKey, "https://one.example.com", nil),
		token(t, rsaKey, "https://two.example.com", nil),
		token(t, ecKey, "https://ec.example.com", nil),
	} {
		if _, err := v.VerifyToken(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	for _, tok := range []string{token(t, ecKey, "https://one.example.com", nil), token(t, rsaKey, "https://ec.example.com", nil)} {
		if _, err := v.VerifyToken(context.Background(), tok); !errors.Is(err, mcpauth.ErrInvalidToken) {
			t.Fatalf("cross-provider token: %v", err)
		}
	}
}

func TestProvidersCache(t *testing.T) {
	a := newIDP(t, testkeystest.SharedRSAKeyPair(t))
	rsaKey := testkeystest.SharedECKeyPair(t)
	v := newProviders(t, Settings{
		Issuers:   []string{a.issuer()},
		CacheSize: 10,
		Providers: []Provider{{Issuer: "https://pem.example.com", PublicKey: rsaKey.PublicKeyPEM()}},
	})
	tok := token(t, a.key, a.issuer(), nil)
	at, err := v.VerifyToken(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	at.Scopes[0] = "changed"
	if v.cache.Len() != 1 {
		t.Fatalf("%d cache entries", v.cache.Len())
	}
	at2, err := v.VerifyToken(context.Background(), tok)
	if err != nil || at2.Scopes[0] != "read" {
		t.Fatalf("cached answer %+v, %v", at2, err)
	}
	// A refused token is never cached.
	bad := token(t, rsaKey, a.issuer(), nil)
	for range 2 {
		if _, err := v.VerifyToken(context.Background(), bad); !errors.Is(err, mcpauth.ErrInvalidToken) {
			t.Fatal(err)
		}
	}
	if v.cache.Len() != 1 {
		t.Fatalf("%d cache entries after refusals", v.cache.Len())
	}
}

func TestProvidersConfigErrors(t *testing.T) {
	pem := testkeystest.SharedRSAKeyPair(t).PublicKeyPEM()
	for _, tt := range []struct {
		name string
		s    Settings
		opts []Option
		want string
	}{
		{"duplicate issuer", Settings{Issuers: []string{"https://a"}, PublicKey: pem, Providers: []Provider{{Issuer: "https://a", PublicKey: pem}}}, nil,
			`issuer "https://a" is configured twice`},
		{"key without issuers", Settings{PublicKey: pem, Providers: []Provider{{Issuer: "https://a", PublicKey: pem}}}, nil,
			"Settings.PublicKey or Settings.JWKSURI is set without Settings.Issuers"},
		{"provider without issuer", Settings{Providers: []Provider{{PublicKey: pem}}}, nil, "Settings.Issuers has an empty value"},
		{"provider with two key sources", Settings{Providers: []Provider{{Issuer: "https://a", PublicKey: pem, JWKSURI: "https://a/jwks"}}}, nil,
			"provider https://a: Settings.JWKSURI and Settings.PublicKey are both set; set exactly one key source"},
		{"provider with a bad algorithm", Settings{Providers: []Provider{{Issuer: "https://a", PublicKey: pem, Algorithms: []string{"ES256"}}}}, nil,
			"provider https://a: Settings.Algorithms: algorithm ES256 cannot be used with the configured RSA key"},
		{"custom key source", Settings{Providers: []Provider{{Issuer: "https://a", PublicKey: pem}}}, []Option{WithKeySource(nopSource{})}, "WithKeySource cannot be used with several providers"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.s
			s.Audiences = []string{testAudience}
			_, err := NewJWTVerifier(s, tt.opts...)
			if !errors.Is(err, mcpauth.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v; want ErrInvalidConfig containing %q", err, tt.want)
			}
		})
	}
}

// nopSource is a key source that has no keys.
type nopSource struct{}

func (nopSource) VerificationKey(context.Context, string, string) (crypto.PublicKey, error) {
	return nil, mcpauth.ErrKeySourceUnavailable
}
