package differential_test

import (
	"context"
	"encoding/json"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/differential"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
	"github.com/mcpauth/mcpauth/verify"
)

const (
	issuer   = "https://issuer.example.com"
	audience = "https://mcp.example.com/mcp"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// accepted signs claims with kp under alg, verifies the token with mcpauth
// (kp's PEM key, allow-list algs, the default leeway) and returns it with
// its access token and the matching golang-jwt configuration.
func accepted(t *testing.T, kp *testkeys.KeyPair, alg string, algs []string, claims string) (string, *mcpauth.AccessToken, differential.Config) {
	t.Helper()
	token, err := testkeys.SignCompact(kp, alg, []byte(`{"alg":"`+alg+`","typ":"JWT"}`), []byte(claims))
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return now }
	v, err := verify.NewJWTVerifier(verify.Settings{
		PublicKey: kp.PublicKeyPEM(), Algorithms: algs, Issuers: []string{"https://other.example.com", issuer}, Audiences: []string{audience},
	}, verify.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	at, err := v.VerifyToken(context.Background(), token)
	if err != nil {
		t.Fatalf("mcpauth refuses the test token: %v", err)
	}
	return token, at, differential.Config{
		Keys: []differential.Key{{Public: kp.Public()}}, Algorithms: v.Algorithms(),
		Issuers: v.Issuers(), Audiences: v.Audiences(), Leeway: verify.DefaultLeeway, Now: clock,
	}
}

// claimsJSON returns valid claims with exp as given (JSON number text).
func claimsJSON(exp string) string {
	return `{"iss":"` + issuer + `","aud":["x","` + audience + `"],"sub":"user-1","exp":` + exp +
		`,"iat":` + strconv.FormatInt(now.Add(-time.Minute).Unix(), 10) + `,"n":1.50,"ctx":{"a":[true,null,"s"]}}`
}

// TestCheckFindsDifferences proves the comparison can fail: each
// difference between what mcpauth was configured with or returned and what
// golang-jwt reads is reported, and the unchanged token passes.
func TestCheckFindsDifferences(t *testing.T) {
	rsa := testkeystest.SharedRSAKeyPair(t)
	other := testkeystest.SharedECKeyPair(t)
	exp := strconv.FormatInt(now.Add(time.Hour).Unix(), 10)
	token, at, cfg := accepted(t, rsa, "RS256", nil, claimsJSON(exp))
	if err := differential.Check(cfg, token, at); err != nil {
		t.Fatalf("unchanged: %v", err)
	}
	// Within the leeway only: accepted by both at the same leeway.
	edge := strconv.FormatInt(now.Add(-verify.DefaultLeeway+time.Second).Unix(), 10)
	edgeToken, edgeAT, _ := accepted(t, rsa, "RS256", nil, claimsJSON(edge))
	if err := differential.Check(cfg, edgeToken, edgeAT); err != nil {
		t.Fatalf("within the leeway: %v", err)
	}

	withClaim := func(name string, v any) *mcpauth.AccessToken {
		c := *at
		c.Claims = maps.Clone(at.Claims)
		if v == nil {
			delete(c.Claims, name)
		} else {
			c.Claims[name] = v
		}
		return &c
	}
	for _, tc := range []struct {
		name  string
		cfg   func(*differential.Config)
		at    *mcpauth.AccessToken
		token string
		want  string
	}{
		{name: "another key", cfg: func(c *differential.Config) { c.Keys = []differential.Key{{Public: other.Public()}} }, want: "golang-jwt refuses"},
		{name: "a kid no key has", cfg: func(c *differential.Config) { c.Keys[0].ID = "k1" }, token: signKid(t, rsa, "k2", claimsJSON(exp)), want: "golang-jwt refuses"},
		{name: "algorithm not allowed", cfg: func(c *differential.Config) { c.Algorithms = []string{"PS256"} }, want: "golang-jwt refuses"},
		{name: "issuer", cfg: func(c *differential.Config) { c.Issuers = []string{"https://other.example.com"} }, want: "golang-jwt refuses"},
		{name: "audience", cfg: func(c *differential.Config) { c.Audiences = []string{"y"} }, want: "golang-jwt refuses"},
		{name: "leeway", cfg: func(c *differential.Config) { c.Leeway = 0 }, token: edgeToken, at: edgeAT, want: "golang-jwt refuses"},
		{name: "claim value", at: withClaim("sub", "admin"), want: `member "sub"`},
		{name: "claim number", at: withClaim("n", json.Number("1.25")), want: `member "n"`},
		{name: "number type", at: withClaim("n", 1.5), want: `member "n"`},
		{name: "nested claim", at: withClaim("ctx", map[string]any{"a": []any{true, nil, "t"}}), want: `member "ctx"`},
		{name: "extra claim", at: withClaim("admin", true), want: `member "admin"`},
		{name: "missing claim", at: withClaim("iat", nil), want: `member "iat"`},
		{name: "subject", at: func() *mcpauth.AccessToken { c := *at; c.Subject = "x"; return &c }(), want: "subject"},
		{name: "issuer field", at: func() *mcpauth.AccessToken { c := *at; c.Issuer = "x"; return &c }(), want: "issuer"},
		{name: "audience field", at: func() *mcpauth.AccessToken { c := *at; c.Audience = []string{audience}; return &c }(), want: "audience"},
		{name: "expiry", at: func() *mcpauth.AccessToken { c := *at; c.ExpiresAt = c.ExpiresAt.Add(time.Second); return &c }(), want: "expiry"},
		{name: "token", at: func() *mcpauth.AccessToken { c := *at; c.Token = "x"; return &c }(), want: "Token is not the token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg
			c.Keys = append([]differential.Key(nil), cfg.Keys...)
			if tc.cfg != nil {
				tc.cfg(&c)
			}
			tok, a := token, at
			if tc.token != "" {
				tok = tc.token
			}
			if tc.at != nil {
				a = tc.at
			}
			if tc.token != "" && tc.at == nil {
				a = &mcpauth.AccessToken{}
				*a = *at
				a.Token = tok
			}
			err := differential.Check(c, tok, a)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check = %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

// signKid signs claims RS256 with a kid.
func signKid(t *testing.T, kp *testkeys.KeyPair, kid, claims string) string {
	t.Helper()
	tok, err := testkeys.SignCompact(kp, "RS256", []byte(`{"alg":"RS256","kid":"`+kid+`"}`), []byte(claims))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestCheckEd25519 checks RFC 9864's alg "Ed25519", which golang-jwt does
// not know by that name: the package registers it as golang-jwt's EdDSA,
// so an accepted Ed25519 token compares equal, and an allow-list without
// "Ed25519" refuses it in golang-jwt as in mcpauth.
func TestCheckEd25519(t *testing.T) {
	ed := testkeystest.SharedEd25519KeyPair(t)
	exp := strconv.FormatInt(now.Add(time.Hour).Unix(), 10)
	for _, alg := range []string{"Ed25519", "EdDSA"} {
		token, at, cfg := accepted(t, ed, alg, []string{alg}, claimsJSON(exp))
		if err := differential.Check(cfg, token, at); err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		other := map[string]string{"Ed25519": "EdDSA", "EdDSA": "Ed25519"}[alg]
		cfg.Algorithms = []string{other}
		if err := differential.Check(cfg, token, at); err == nil {
			t.Fatalf("%s token accepted by golang-jwt with allow-list [%s]", alg, other)
		}
	}
}

// TestFractionalExpNeedsFullPrecision shows why the package sets
// jwt.TimePrecision to a nanosecond: a token whose fractional exp is half
// a second past now-leeway is valid (RFC 7519 §2 NumericDates may be
// fractional), mcpauth accepts it, and golang-jwt at its default precision
// (one second) truncates exp and refuses it.
func TestFractionalExpNeedsFullPrecision(t *testing.T) {
	rsa := testkeystest.SharedRSAKeyPair(t)
	exp := strconv.FormatInt(now.Add(-verify.DefaultLeeway).Unix(), 10) + ".5"
	token, at, cfg := accepted(t, rsa, "RS256", nil, claimsJSON(exp))
	if err := differential.Check(cfg, token, at); err != nil {
		t.Fatalf("at full precision: %v", err)
	}
	saved := jwt.TimePrecision
	jwt.TimePrecision = time.Second
	defer func() { jwt.TimePrecision = saved }()
	if err := differential.Check(cfg, token, at); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("at one-second precision: Check = %v; want golang-jwt to refuse the token as expired", err)
	}
}
