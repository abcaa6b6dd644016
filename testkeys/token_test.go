package testkeys_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

func TestCreateTokenDefaults(t *testing.T) {
	for _, p := range allPairs(t) {
		t.Run(p.name, func(t *testing.T) {
			before := time.Now().Unix()
			token, err := p.kp.CreateToken(testkeys.TokenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			after := time.Now().Unix()

			claims, err := parseJWT(token, p.kp.Algorithm(), p.kp, jwt.WithExpirationRequired(), jwt.WithIssuedAt())
			if err != nil {
				t.Fatalf("golang-jwt rejects the token: %v", err)
			}
			if claims["sub"] != testkeys.DefaultSubject || claims["iss"] != testkeys.DefaultIssuer {
				t.Errorf("sub, iss = %v, %v", claims["sub"], claims["iss"])
			}

			d := decodeToken(t, token)
			if got := keysOf(d.header); got != "alg,kid,typ" {
				t.Errorf("header members = %s, want alg,kid,typ", got)
			}
			if d.header["alg"] != p.kp.Algorithm() || d.header["typ"] != "JWT" || d.header["kid"] != p.kp.KeyID() {
				t.Errorf("header = %v", d.header)
			}
			if got := keysOf(d.claims); got != "exp,iat,iss,sub" {
				t.Errorf("claim names = %s, want exp,iat,iss,sub", got)
			}
			iat := intClaim(t, d.claims, "iat")
			exp := intClaim(t, d.claims, "exp")
			if iat < before || iat > after {
				t.Errorf("iat = %d, want between %d and %d", iat, before, after)
			}
			if exp-iat != 3600 {
				t.Errorf("exp - iat = %d, want 3600", exp-iat)
			}
		})
	}
}

// intClaim returns a claim that must be a JSON integer.
func intClaim(t *testing.T, claims map[string]any, name string) int64 {
	t.Helper()
	n, ok := claims[name].(json.Number)
	if !ok {
		t.Fatalf("%s = %#v, want a number", name, claims[name])
	}
	v, err := n.Int64()
	if err != nil {
		t.Fatalf("%s = %s, want an integer", name, n)
	}
	return v
}

func TestCreateTokenOptions(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	issued := time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.UTC)
	tests := []struct {
		name   string
		opts   testkeys.TokenOptions
		header string // expected JSON header
		claims string // expected JSON claims
	}{
		{
			name:   "subject and issuer",
			opts:   testkeys.TokenOptions{Subject: "alice", Issuer: "https://issuer.test", IssuedAt: issued},
			claims: `{"exp":1767326645,"iat":1767323045,"iss":"https://issuer.test","sub":"alice"}`,
		},
		{
			name:   "one audience is a string",
			opts:   testkeys.TokenOptions{Audience: []string{"https://mcp.test/mcp"}, IssuedAt: issued},
			claims: `{"aud":"https://mcp.test/mcp","exp":1767326645,"iat":1767323045,"iss":"https://mcpauth.example.com","sub":"mcpauth-user"}`,
		},
		{
			name:   "one audience as an array",
			opts:   testkeys.TokenOptions{Audience: []string{"https://mcp.test/mcp"}, AudienceAsArray: true, IssuedAt: issued},
			claims: `{"aud":["https://mcp.test/mcp"],"exp":1767326645,"iat":1767323045,"iss":"https://mcpauth.example.com","sub":"mcpauth-user"}`,
		},
		{
			name:   "several audiences are an array",
			opts:   testkeys.TokenOptions{Audience: []string{"a", "b"}, IssuedAt: issued},
			claims: `{"aud":["a","b"],"exp":1767326645,"iat":1767323045,"iss":"https://mcpauth.example.com","sub":"mcpauth-user"}`,
		},
		{
			name:   "empty audience means no aud",
			opts:   testkeys.TokenOptions{Audience: []string{}, AudienceAsArray: true, IssuedAt: issued},
			claims: `{"exp":1767326645,"iat":1767323045,"iss":"https://mcpauth.example.com","sub":"mcpauth-user"}`,
		},
		{
			name:   "scopes are space-joined",
			opts:   testkeys.TokenOptions{Scopes: []string{"read", "write", "admin:all"}, IssuedAt: issued},
			claims: `{"exp":1767326645,"iat":1767323045,"iss":"https://mcpauth.example.com","scope":"read write admin:all","sub":"mcpauth-user"}`,
		},
		{
			name:   "expires in",
			opts:   testkeys.TokenOptions{ExpiresIn: 90 * time.Second, IssuedAt: issued},
			claims: `{"exp":1767323135,"iat":1767323045,"iss":"https://mcpauth.example.com","sub":"mcpauth-user"}`,
		},
		{
			name:   "negative expires in",
			opts:   testkeys.TokenOptions{ExpiresIn: -time.Minute, IssuedAt: issued},
			claims: `{"exp":1767322985,"iat":1767323045,"iss":"https://mcpauth.example.com","sub":"mcpauth-user"}`,
		},
		{
			name: "additional claims are merged last",
			opts: testkeys.TokenOptions{
				Scopes:   []string{"read"},
				IssuedAt: issued,
				AdditionalClaims: map[string]any{
					"client_id": "app",
					"sub":       "bob",
					"exp":       "soon",
					"scope":     []string{"x"},
					"nested":    map[string]any{"n": 1.5},
					"raw":       json.RawMessage(`{"b":[1, 2]}`),
					"nothing":   nil,
				},
			},
			claims: `{"client_id":"app","exp":"soon","iat":1767323045,"iss":"https://mcpauth.example.com","nested":{"n":1.5},"nothing":null,"raw":{"b":[1,2]},"scope":["x"],"sub":"bob"}`,
		},
		{
			name:   "omit claims",
			opts:   testkeys.TokenOptions{IssuedAt: issued, Audience: []string{"a"}, OmitClaims: []string{"exp", "aud", "absent"}},
			claims: `{"iat":1767323045,"iss":"https://mcpauth.example.com","sub":"mcpauth-user"}`,
		},
		{
			name:   "explicit kid",
			opts:   testkeys.TokenOptions{KID: "no-such-key"},
			header: `{"alg":"RS256","kid":"no-such-key","typ":"JWT"}`,
		},
		{
			name:   "omit kid",
			opts:   testkeys.TokenOptions{OmitKID: true},
			header: `{"alg":"RS256","typ":"JWT"}`,
		},
		{
			name:   "extra header members",
			opts:   testkeys.TokenOptions{Header: map[string]any{"typ": "at+jwt", "crit": []string{"exp"}, "jku": "https://evil.test/jwks"}},
			header: `{"alg":"RS256","crit":["exp"],"jku":"https://evil.test/jwks","kid":"` + kp.KeyID() + `","typ":"at+jwt"}`,
		},
		{
			name:   "header may lie about alg and re-add kid",
			opts:   testkeys.TokenOptions{OmitKID: true, Header: map[string]any{"alg": "none", "kid": 7}},
			header: `{"alg":"none","kid":7,"typ":"JWT"}`,
		},
		{
			name:   "omit header members",
			opts:   testkeys.TokenOptions{Header: map[string]any{"cty": "JWT"}, OmitHeader: []string{"typ", "alg", "cty"}},
			header: `{"kid":"` + kp.KeyID() + `"}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token, err := kp.CreateToken(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			d := decodeToken(t, token)
			verifySignature(t, d, "RS256", kp)
			if tc.header != "" {
				assertSameJSON(t, "header", d.rawHeader, tc.header)
			}
			if tc.claims != "" {
				assertSameJSON(t, "claims", d.rawClaims, tc.claims)
			}
		})
	}
}

// assertSameJSON compares got with want as JSON values.
func assertSameJSON(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s is not JSON: %v", what, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s = %s\nwant %s", what, got, want)
	}
}

func TestCreateTokenDoesNotEscapeHTML(t *testing.T) {
	kp := testkeystest.SharedEd25519KeyPair(t)
	token, err := kp.CreateToken(testkeys.TokenOptions{Subject: "<a&b>"})
	if err != nil {
		t.Fatal(err)
	}
	if d := decodeToken(t, token); !strings.Contains(string(d.rawClaims), `"sub":"<a&b>"`) {
		t.Errorf("claims = %s, want the subject unescaped", d.rawClaims)
	}
}

func TestCreateTokenVerifiesWithGolangJWT(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	token, err := kp.CreateToken(testkeys.TokenOptions{
		Subject:          "alice",
		Issuer:           "https://issuer.test",
		Audience:         []string{"https://mcp.test/mcp"},
		Scopes:           []string{"read", "write"},
		AdditionalClaims: map[string]any{"client_id": "app"},
	})
	if err != nil {
		t.Fatal(err)
	}
	claims, err := parseJWT(token, "RS256", kp,
		jwt.WithIssuer("https://issuer.test"),
		jwt.WithAudience("https://mcp.test/mcp"),
		jwt.WithSubject("alice"),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	)
	if err != nil {
		t.Fatalf("golang-jwt rejects the token: %v", err)
	}
	if claims["scope"] != "read write" || claims["client_id"] != "app" {
		t.Errorf("claims = %v", claims)
	}
}

func TestCreateTokenWrongKeyDoesNotVerify(t *testing.T) {
	ec2, err := testkeys.GenerateECKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	ed2, err := testkeys.GenerateEd25519KeyPair()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		signer, other *testkeys.KeyPair
	}{
		{"RSA", testkeystest.SharedRSAKeyPair(t), otherRSAKeyPair(t)},
		{"EC", testkeystest.SharedECKeyPair(t), ec2},
		{"Ed25519", testkeystest.SharedEd25519KeyPair(t), ed2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token, err := tc.signer.CreateToken(testkeys.TokenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := parseJWT(token, tc.signer.Algorithm(), tc.signer); err != nil {
				t.Fatalf("token does not verify with its own key: %v", err)
			}
			_, err = parseJWT(token, tc.signer.Algorithm(), tc.other)
			if !errors.Is(err, jwt.ErrTokenSignatureInvalid) {
				t.Errorf("verifying with another key: error = %v, want ErrTokenSignatureInvalid", err)
			}
		})
	}
}

func TestCreateTokenExpired(t *testing.T) {
	kp := testkeystest.SharedECKeyPair(t)
	token, err := kp.CreateToken(testkeys.TokenOptions{ExpiresIn: -time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseJWT(token, "ES256", kp); !errors.Is(err, jwt.ErrTokenExpired) {
		t.Errorf("error = %v, want ErrTokenExpired", err)
	}
	if _, err := parseJWT(token, "ES256", kp, jwt.WithoutClaimsValidation()); err != nil {
		t.Errorf("the expired token's signature does not verify: %v", err)
	}
}

func TestCreateTokenAlgorithms(t *testing.T) {
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ec384, err := testkeys.NewECKeyPair(p384)
	if err != nil {
		t.Fatal(err)
	}
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ec521, err := testkeys.NewECKeyPair(p521)
	if err != nil {
		t.Fatal(err)
	}
	rsaKP := testkeystest.SharedRSAKeyPair(t)
	tests := []struct {
		kp  *testkeys.KeyPair
		alg string
	}{
		{rsaKP, "RS256"}, {rsaKP, "RS384"}, {rsaKP, "RS512"},
		{rsaKP, "PS256"}, {rsaKP, "PS384"}, {rsaKP, "PS512"},
		{testkeystest.SharedECKeyPair(t), "ES256"},
		{ec384, "ES384"},
		{ec521, "ES512"},
		{testkeystest.SharedEd25519KeyPair(t), "EdDSA"},
		// RFC 9864: golang-jwt has no "Ed25519" method; the header names
		// Ed25519 and the signature is the EdDSA one.
		{testkeystest.SharedEd25519KeyPair(t), "Ed25519"},
	}
	// ed25519Names are the two names of one signature algorithm.
	ed25519Names := []string{"EdDSA", "Ed25519"}
	for _, tc := range tests {
		t.Run(tc.alg, func(t *testing.T) {
			token, err := tc.kp.CreateToken(testkeys.TokenOptions{Algorithm: tc.alg})
			if err != nil {
				t.Fatal(err)
			}
			d := decodeToken(t, token)
			if d.header["alg"] != tc.alg {
				t.Errorf("header alg = %v, want %s", d.header["alg"], tc.alg)
			}
			if tc.alg == "Ed25519" {
				if !ed25519.Verify(tc.kp.Public().(ed25519.PublicKey), []byte(d.input), d.signature) {
					t.Error("the Ed25519 signature does not verify")
				}
			} else if _, err := parseJWT(token, tc.alg, tc.kp); err != nil {
				t.Errorf("golang-jwt rejects the token: %v", err)
			}
			// The signature really is made with alg: verifying it as another
			// algorithm of the same key type fails.
			for _, other := range testkeys.Algorithms(tc.kp) {
				if other == tc.alg || slices.Contains(ed25519Names, other) && slices.Contains(ed25519Names, tc.alg) {
					continue
				}
				m := jwt.GetSigningMethod(other)
				d := decodeToken(t, token)
				if m.Verify(d.input, d.signature, tc.kp.Public()) == nil {
					t.Errorf("signature also verifies as %s", other)
				}
			}
		})
	}
}

func TestCreateTokenIncompatibleAlgorithm(t *testing.T) {
	rsaKP, ecKP, edKP := testkeystest.SharedRSAKeyPair(t), testkeystest.SharedECKeyPair(t), testkeystest.SharedEd25519KeyPair(t)
	tests := []struct {
		name string
		kp   *testkeys.KeyPair
		alg  string
		want string
	}{
		{"RSA with ES256", rsaKP, "ES256", `"ES256" cannot be used with this RSA key (allowed: RS256, RS384, RS512, PS256, PS384, PS512)`},
		{"RSA with HS256", rsaKP, "HS256", `"HS256" cannot be used with this RSA key`},
		{"RSA with none", rsaKP, "none", `"none" cannot be used`},
		{"RSA with lower case", rsaKP, "rs256", `"rs256" cannot be used`},
		{"RSA with EdDSA", rsaKP, "EdDSA", `"EdDSA" cannot be used`},
		{"P-256 with ES384", ecKP, "ES384", `"ES384" cannot be used with this ECDSA key (allowed: ES256)`},
		{"EC with RS256", ecKP, "RS256", `"RS256" cannot be used with this ECDSA key`},
		{"Ed25519 with ES256", edKP, "ES256", `"ES256" cannot be used with this Ed25519 key (allowed: EdDSA, Ed25519)`},
		{"Ed25519 with Ed448", edKP, "Ed448", `Ed448 (RFC 9864) is not supported: the Go standard library has no Ed448`},
		{"Ed25519 with lower case ed25519", edKP, "ed25519", `"ed25519" cannot be used with this Ed25519 key`},
		{"RSA with Ed25519", rsaKP, "Ed25519", `"Ed25519" cannot be used with this RSA key`},
		{"EC with Ed25519", ecKP, "Ed25519", `"Ed25519" cannot be used with this ECDSA key`},
		{"Ed25519 with PS256", edKP, "PS256", `"PS256" cannot be used`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token, err := tc.kp.CreateToken(testkeys.TokenOptions{Algorithm: tc.alg})
			if token != "" {
				t.Error("got a token along with the error")
			}
			if !errors.Is(err, testkeys.ErrUnsupportedAlgorithm) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want ErrUnsupportedAlgorithm mentioning %q", err, tc.want)
			}
		})
	}
}

func TestCreateTokenInvalidOptions(t *testing.T) {
	kp := testkeystest.SharedEd25519KeyPair(t)
	tests := []struct {
		name string
		opts testkeys.TokenOptions
		want string
	}{
		{"KID and OmitKID", testkeys.TokenOptions{KID: "k", OmitKID: true}, "KID and OmitKID are both set"},
		{"unencodable claim", testkeys.TokenOptions{AdditionalClaims: map[string]any{"c": make(chan int)}}, "encoding the claims"},
		{"unencodable header", testkeys.TokenOptions{Header: map[string]any{"f": func() {}}}, "encoding the header"},
		{"invalid raw claim", testkeys.TokenOptions{AdditionalClaims: map[string]any{"r": json.RawMessage("{")}}, "encoding the claims"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := kp.CreateToken(tc.opts)
			if !errors.Is(err, testkeys.ErrInvalidOptions) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want ErrInvalidOptions mentioning %q", err, tc.want)
			}
		})
	}
}

func TestCreateTokenDoesNotModifyOptions(t *testing.T) {
	kp := testkeystest.SharedEd25519KeyPair(t)
	o := testkeys.TokenOptions{
		Audience:         []string{"a"},
		AdditionalClaims: map[string]any{"x": 1},
		Header:           map[string]any{"typ": "at+jwt"},
		OmitClaims:       []string{"exp"},
	}
	if _, err := kp.CreateToken(o); err != nil {
		t.Fatal(err)
	}
	if len(o.AdditionalClaims) != 1 || len(o.Header) != 1 || len(o.Audience) != 1 {
		t.Errorf("options were modified: %+v", o)
	}
}

func TestCreateTokenConcurrently(t *testing.T) {
	kp := testkeystest.SharedECKeyPair(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			token, err := kp.CreateToken(testkeys.TokenOptions{Scopes: []string{"s"}})
			if err == nil {
				_, err = parseJWT(token, "ES256", kp)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestSignCompact(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	header := []byte(`{"alg":"RS256","alg":"none"}`)
	payload := []byte("\xff not JSON")
	token, err := testkeys.SignCompact(kp, "PS384", header, payload)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments", len(parts))
	}
	d := decodedToken{input: parts[0] + "." + parts[1]}
	d.rawHeader, _ = jwtDecode(parts[0])
	d.rawClaims, _ = jwtDecode(parts[1])
	d.signature, _ = jwtDecode(parts[2])
	if string(d.rawHeader) != string(header) || string(d.rawClaims) != string(payload) {
		t.Errorf("header, payload = %q, %q; want them verbatim", d.rawHeader, d.rawClaims)
	}
	verifySignature(t, d, "PS384", kp)

	// alg "" means the pair's algorithm.
	token, err = testkeys.SignCompact(kp, "", []byte(`{}`), []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	parts = strings.Split(token, ".")
	sig, _ := jwtDecode(parts[2])
	if err := jwt.SigningMethodRS256.Verify(parts[0]+"."+parts[1], sig, kp.Public()); err != nil {
		t.Errorf("default algorithm is not RS256: %v", err)
	}

	if _, err := testkeys.SignCompact(kp, "ES256", header, payload); !errors.Is(err, testkeys.ErrUnsupportedAlgorithm) {
		t.Errorf("incompatible alg: error = %v, want ErrUnsupportedAlgorithm", err)
	}
	if _, err := testkeys.SignCompact(nil, "", header, payload); !errors.Is(err, testkeys.ErrInvalidKey) {
		t.Errorf("nil pair: error = %v, want ErrInvalidKey", err)
	}
}

func jwtDecode(s string) ([]byte, error) { return jwt.NewParser().DecodeSegment(s) }

func TestAlgorithms(t *testing.T) {
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ec384, err := testkeys.NewECKeyPair(p384)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		kp   *testkeys.KeyPair
		want []string
	}{
		{"RSA", testkeystest.SharedRSAKeyPair(t), []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}},
		{"P-256", testkeystest.SharedECKeyPair(t), []string{"ES256"}},
		{"P-384", ec384, []string{"ES384"}},
		{"Ed25519", testkeystest.SharedEd25519KeyPair(t), []string{"EdDSA", "Ed25519"}},
		{"nil", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := testkeys.Algorithms(tc.kp); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Algorithms() = %v, want %v", got, tc.want)
			}
		})
	}
}
