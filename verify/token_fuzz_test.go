package verify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	_ "crypto/sha512" // SHA-384 and SHA-512 for the independent checks
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/differential"
)

// fuzzRSAKeyPEM is a fixed RSA-2048 test key. Fuzzing runs the target in
// several processes that must all verify the seed tokens, so the fuzz keys
// are deterministic: this key, and EC and Ed25519 keys derived from fixed
// seeds. It protects nothing; never use it outside tests.
const fuzzRSAKeyPEM = `-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC0uPh/mgzOpBIK
lsklqM+EkdpqObgCdbzJJwj7X1iNeakPQ7Wqe15MY+zg/If4RMswBUQ7Q9zhdVKQ
+8+iRBDgldHEBoz9p5mqfoMfOcCNQ8tXuwqpsFpvtJwFq2tQxvTfrbqg8QfI/7D1
rWqfy2P6c37SP929ei1HPC+bI9eCFEJ0pfJw1cMdbo+50/AVy17bB97KQsbJjKi/
q/qbCUcl+ZlXUo1dmTCK7J8G2c7F2YuULNm15mlikXPXbCzNruHqEMvIjeF76ZJt
NxdR4Tip5dg086t9sc66AEf3s7UFjmG+8r4pbiwQlPPG/MizfXL6Fc1Vzj5fus+M
Xj+ir2AVAgMBAAECggEAEYnB0+BHTeZuOcjYTGdNfDgLUjO3v8VdRMgc/wgJt/EO
jwSrJJhEVnV8D3lyWI2Uilx4eqfjT53rHVbSl5Szbpgbe0KHfDY/m2QbpXQdU5g4
q5LjPgR3Qk/stEAmcfhc2zgo3GWHs+HccnsZ1dgPI8cBj7XS9whcTIVyuUOJLn5O
g7RquX5Ut5f8o0jU6fed8b3MA568YMJWv8Uk9B8LKGCIxhWzmvHivrLxBdOtLewM
oOPjAP0alHNffJs/ddxWM+xZLfmzCWKgbRlBagfGf8grIFRDPlhXhkhJcKEG/tMR
Ahs+BwKVlM618Q51mdqCADCKUUE+T/cJxGhcfRjuAQKBgQD9pMz3gvdc9Qqq5sdL
Eo22LxypbuZxwdyj8AF/QFicoDffj9vd8+yCyZyUHtXlUoc8a3kXOgn9m463Za5D
XIt3Xq83e5fQE9PEQu3OQtYNRYW2rp/aqi94tScCd2FamFc0fH4hWW/ezyczgrjV
BPZFT2R3p9wwts4Omsi6xYWvUQKBgQC2ZsDkeO+JqaZhT8UmWVucDvK0fqvejLr8
rQ3LKZVS9Vi0CdwNF6mNNVSP3df/SHHDh1pnzVNsCW18XVhQcPxKAr7B7tFRXOim
kZWph8Aeh4dMp4Twmbl8ZNDpC/nQnHfodnNRsWCnHx9kLjEB1nQGRcztRm+n2vGD
n2Ka3PHbhQKBgQCYk40UirzAN0s+eOqDd1q1r+te5K5M2eAe4Z4U7SEgvqQ9oG0T
O8sW9a5xz4a9lwJwzvmdhjVCUFPucIT+Umo22UcvafJtoa+ujNA+Vigq/ZosxSi1
wdAinV4k9qkidSdoFEdPSlyoPBaJvuXuhjiaguKds+UZjK2xTVzYNT9wsQKBgFau
pFKvql6Ishoi17Vu19tlOzBN1o3P4Xj9IMYBAAbJtBrzaJEMQrZptsMcEW8vVWkv
pOYZrOB15oMotTSdTTg6776oKO96sNGf9Dj523JmxATIw6O32m9kVee6mkDqaw2d
ZRZYrm8dmkR4sy+FY+QrPcUxKRTjNs1vbGPeRk4lAoGBAJf1f5NtfZi46ahGXM8I
s31YHN2huw9dhdThQaO3BydapwHml+lzRx/pKvbp7OG20up5YSBAYJCn+l9bKbTX
qzDhvVRC0BIZBUijNp7PSm2ZZHa6a9aAR3k1Br/gedoMyS8K46Z7bykKoU92ZS//
9KOyFOQSxNMFvKmxVJHzhsu5
-----END PRIVATE KEY-----`

// fuzzOtherIssuer and fuzzOtherAudience are the second accepted values of
// the Ed25519 fuzz verifier.
const (
	fuzzOtherIssuer   = "https://other-issuer.example.com"
	fuzzOtherAudience = "https://other.example.com/mcp"
)

// fuzzKeySet holds the deterministic fuzz keys.
type fuzzKeySet struct {
	rsa      *rsa.PrivateKey
	ec       *ecdsa.PrivateKey // P-256, configured
	attacker *ecdsa.PrivateKey // P-256, never configured
	ed       ed25519.PrivateKey
}

// fuzzVerifier is one verifier under fuzz and what the independent check
// needs to know about its configuration.
type fuzzVerifier struct {
	name      string
	v         *JWTVerifier
	keys      []any // configured verification keys ([]byte for HMAC)
	issuers   []string
	audiences []string
	leeway    time.Duration
	required  []string
	keyIDs    []string // kid of each of keys; nil when the verifier ignores kid
}

var (
	fuzzOnce  sync.Once
	fuzzKeys  fuzzKeySet
	fuzzVerif []fuzzVerifier
	fuzzErr   error
)

// fuzzFixture returns the deterministic keys and the verifiers under fuzz:
// RSA from a PEM key, EC (P-256, typ at+jwt required), Ed25519 (two issuers
// and audiences), HS256 (required scope, no leeway), and a key source
// serving the RSA, EC and Ed25519 keys by kid.
func fuzzFixture(tb testing.TB) (*fuzzKeySet, []fuzzVerifier) {
	tb.Helper()
	fuzzOnce.Do(func() { fuzzErr = buildFuzzFixture() })
	if fuzzErr != nil {
		tb.Fatalf("fuzz fixture: %v", fuzzErr)
	}
	return &fuzzKeys, fuzzVerif
}

func buildFuzzFixture() error {
	block, _ := pem.Decode([]byte(fuzzRSAKeyPEM))
	if block == nil {
		return errors.New("fuzz RSA key is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return err
	}
	var ok bool
	if fuzzKeys.rsa, ok = k.(*rsa.PrivateKey); !ok {
		return fmt.Errorf("fuzz RSA key is a %T", k)
	}
	seed := func(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }
	if fuzzKeys.ec, err = ecdsa.ParseRawPrivateKey(elliptic.P256(), seed("mcpauth fuzz P-256 key")); err != nil {
		return err
	}
	if fuzzKeys.attacker, err = ecdsa.ParseRawPrivateKey(elliptic.P256(), seed("mcpauth fuzz attacker key")); err != nil {
		return err
	}
	fuzzKeys.ed = ed25519.NewKeyFromSeed(seed("mcpauth fuzz Ed25519 key"))

	rsaPub, ecPub, edPub := &fuzzKeys.rsa.PublicKey, &fuzzKeys.ec.PublicKey, fuzzKeys.ed.Public().(ed25519.PublicKey)
	pemOf := func(pub any) (string, error) {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return "", err
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
	}
	clock := WithClock(func() time.Time { return testNow })
	add := func(name string, s Settings, keys []any, opts ...Option) error {
		if s.Issuers == nil {
			s.Issuers = []string{testIssuer}
		}
		if s.Audiences == nil {
			s.Audiences = []string{testAudience}
		}
		v, err := NewJWTVerifier(s, append(opts, clock)...)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		leeway := s.Leeway
		switch {
		case leeway == 0:
			leeway = DefaultLeeway
		case leeway < 0:
			leeway = 0
		}
		fuzzVerif = append(fuzzVerif, fuzzVerifier{
			name: name, v: v, keys: keys, issuers: s.Issuers, audiences: s.Audiences,
			leeway: leeway, required: s.RequiredScopes,
		})
		return nil
	}
	for _, c := range []struct {
		name string
		pub  any
		mod  func(*Settings)
	}{
		{"rsa", rsaPub, nil},
		{"ec", ecPub, func(s *Settings) { s.RequireAccessTokenType = true }},
		{"ed25519", edPub, func(s *Settings) {
			s.Issuers = []string{testIssuer, fuzzOtherIssuer}
			s.Audiences = []string{fuzzOtherAudience, testAudience}
		}},
	} {
		p, err := pemOf(c.pub)
		if err != nil {
			return err
		}
		s := Settings{PublicKey: p}
		if c.mod != nil {
			c.mod(&s)
		}
		if err := add(c.name, s, []any{c.pub}); err != nil {
			return err
		}
	}
	if err := add("hs256", Settings{PublicKey: testHMAC, Algorithms: []string{"HS256"}, RequiredScopes: []string{"read"}, Leeway: -1},
		[]any{[]byte(testHMAC)}); err != nil {
		return err
	}
	src := fuzzKeySource{"rsa": rsaPub, "ec": ecPub, "ed": edPub}
	if err := add("keysource", Settings{Algorithms: []string{"RS256", "PS256", "ES256", "EdDSA"}},
		[]any{rsaPub, ecPub, edPub}, WithKeySource(src)); err != nil {
		return err
	}
	fuzzVerif[len(fuzzVerif)-1].keyIDs = []string{"rsa", "ec", "ed"}
	return nil
}

// fuzzKeySource serves keys by kid whatever the alg, so that the verifier's
// own key/alg binding is what the fuzzer exercises. The kid "down" reports
// the source as unavailable.
type fuzzKeySource map[string]crypto.PublicKey

func (s fuzzKeySource) VerificationKey(_ context.Context, kid, _ string) (crypto.PublicKey, error) {
	if kid == "down" {
		return nil, fmt.Errorf("fuzz source: %w", mcpauth.ErrKeySourceUnavailable)
	}
	if k, ok := s[kid]; ok {
		return k, nil
	}
	return nil, errors.New("fuzz source: no such key")
}

// fuzzTokenSeeds returns valid tokens for every verifier and every attack
// class of the attack suite, built with the deterministic keys.
func fuzzTokenSeeds(tb testing.TB) []string {
	tb.Helper()
	ks, _ := fuzzFixture(tb)
	hmacKey := []byte(testHMAC)
	exp := strconv.FormatInt(testNow.Add(time.Hour).Unix(), 10)
	claims := mustJSON(tb, goodClaims())
	claimsWith := func(extra string) string {
		return `{"iss":"` + testIssuer + `","aud":"` + testAudience + `","exp":` + exp + extra + `}`
	}
	rs := func(headerJSON, claimsJSON string) string {
		return signRaw(tb, "RS256", ks.rsa, headerJSON, claimsJSON)
	}
	rsHeader := func(h string) string { return rs(h, claims) }
	rsClaims := func(c string) string { return rs(`{"alg":"RS256","typ":"JWT"}`, c) }

	good := sign(tb, "RS256", ks.rsa, nil, goodClaims())
	parts := strings.Split(good, ".")
	var seeds []string
	add := func(s ...string) { seeds = append(seeds, s...) }

	// Valid tokens for every verifier and algorithm.
	add(good)
	for _, alg := range []string{"RS384", "RS512", "PS256", "PS384", "PS512"} {
		add(sign(tb, alg, ks.rsa, nil, goodClaims()))
	}
	add(sign(tb, "ES256", ks.ec, map[string]any{"typ": "at+jwt"}, goodClaims()))
	add(sign(tb, "ES256", ks.ec, map[string]any{"typ": "application/at+jwt"}, goodClaims()))
	other := goodClaims()
	other["iss"], other["aud"] = fuzzOtherIssuer, []string{"https://unrelated.example.com", fuzzOtherAudience}
	add(sign(tb, "EdDSA", ks.ed, nil, goodClaims()), sign(tb, "EdDSA", ks.ed, nil, other))
	add(sign(tb, "HS256", hmacKey, nil, goodClaims()))
	for kid, key := range map[string]any{"rsa": ks.rsa, "ec": ks.ec, "ed": ks.ed} {
		alg := map[string]string{"rsa": "RS256", "ec": "ES256", "ed": "EdDSA"}[kid]
		add(sign(tb, alg, key, map[string]any{"kid": kid}, goodClaims()))
	}
	add(sign(tb, "PS256", ks.rsa, map[string]any{"kid": "rsa"}, goodClaims()))
	add(sign(tb, "RS256", ks.rsa, map[string]any{"kid": "down"}, goodClaims()))
	add(sign(tb, "RS256", ks.rsa, map[string]any{"kid": "unknown"}, goodClaims()))
	add(sign(tb, "ES256", ks.ec, map[string]any{"kid": "rsa"}, goodClaims()))
	add(sign(tb, "RS256", ks.rsa, map[string]any{"kid": "ec"}, goodClaims()))
	scp := goodClaims()
	delete(scp, "scope")
	scp["scp"] = []string{"read", "admin"}
	add(sign(tb, "HS256", hmacKey, nil, scp), sign(tb, "RS256", ks.rsa, nil, scp))
	writeOnly := goodClaims()
	writeOnly["scope"] = "write"
	add(sign(tb, "HS256", hmacKey, nil, writeOnly)) // insufficient scope
	minimal := map[string]any{"iss": testIssuer, "aud": testAudience, "exp": testNow.Add(time.Minute).Unix()}
	add(sign(tb, "RS256", ks.rsa, map[string]any{"typ": nil}, minimal))
	edge := goodClaims()
	edge["exp"] = testNow.Add(-DefaultLeeway + time.Second).Unix() // expired, but within the leeway
	add(sign(tb, "RS256", ks.rsa, nil, edge), sign(tb, "HS256", hmacKey, nil, edge))

	// Algorithm confusion and alg none.
	unsigned := func(alg string) string {
		return enc([]byte(`{"alg":"`+alg+`","typ":"JWT"}`)) + "." + enc([]byte(claims)) + "."
	}
	add(unsigned("none"), unsigned("none")+"AAAA", unsigned("NONE")+"AAAA", unsigned("nOnE")+"AAAA")
	for _, pub := range []any{&ks.rsa.PublicKey, &ks.ec.PublicKey, ks.ed.Public()} {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			tb.Fatal(err)
		}
		p := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		add(signRaw(tb, "HS256", p, `{"alg":"HS256"}`, claims), signRaw(tb, "HS256", der, `{"alg":"HS256"}`, claims))
	}
	add(signRaw(tb, "HS512", hmacKey, `{"alg":"HS512"}`, claims))
	add(signRaw(tb, "ES256", ks.attacker, `{"alg":"ES256","typ":"at+jwt"}`, claims))
	add(signRaw(tb, "ES256", ks.attacker, `{"alg":"ES256","kid":"ec"}`, claims))
	add(signRaw(tb, "ES256", ks.ec, `{"alg":"ES256"}`, claims)) // typ required by the EC verifier
	add(rsHeader(`{"alg":"rs256"}`), rsHeader(`{"typ":"JWT"}`), rsHeader(`{"alg":["RS256"]}`), rsHeader(`{"alg":null}`))

	// Keys embedded in or pointed to by the header, signed by the attacker.
	point, err := ks.attacker.PublicKey.Bytes()
	if err != nil {
		tb.Fatal(err)
	}
	add(signRaw(tb, "ES256", ks.attacker, `{"alg":"ES256","typ":"at+jwt","jwk":{"kty":"EC","crv":"P-256","x":"`+enc(point[1:33])+`","y":"`+enc(point[33:])+`"}}`, claims))
	add(rsHeader(`{"alg":"RS256","jku":"https://attacker.example/jwks"}`), rsHeader(`{"alg":"RS256","x5u":"https://attacker.example/cert"}`))
	add(rsHeader(`{"alg":"RS256","x5c":["MIIB"]}`))

	// kid tricks.
	add(rsHeader(`{"alg":"RS256","kid":"../../../../dev/null"}`), rsHeader(`{"alg":"RS256","kid":""}`),
		rsHeader(`{"alg":"RS256","kid":"`+strings.Repeat("k", 300)+`"}`), rsHeader(`{"alg":"RS256","kid":1}`),
		rsHeader(`{"alg":"RS256","kid":{"a":1}}`), rsHeader(`{"alg":"RS256","kid":"a\u0000b"}`),
		rsHeader(`{"alg":"RS256","kid":"rsa\u0085"}`), rsHeader(`{"alg":"RS256","kid":"\ufffd"}`))

	// Malformed signatures.
	esInput := strings.Join(strings.Split(sign(tb, "ES256", ks.ec, map[string]any{"typ": "at+jwt"}, goodClaims()), ".")[:2], ".")
	edInput := strings.Join(strings.Split(sign(tb, "EdDSA", ks.ed, nil, goodClaims()), ".")[:2], ".")
	n := elliptic.P256().Params().N.FillBytes(make([]byte, 32))
	add(esInput+"."+enc(make([]byte, 64)), esInput+"."+enc(append(slices.Clone(n), n...)),
		esInput+"."+enc(append(make([]byte, 31), 1, 0)), esInput+"."+enc(make([]byte, 65)),
		edInput+"."+enc(make([]byte, 64)), parts[0]+"."+parts[1]+"."+enc(make([]byte, 256)))
	add(parts[0]+"."+parts[1]+".", parts[0]+"."+parts[1]+"."+parts[2][:340], good+"==",
		parts[0]+"."+parts[1]+"."+strings.NewReplacer("-", "+", "_", "/").Replace(parts[2])+"+/",
		parts[0]+"."+enc([]byte(strings.Replace(claims, "read write", "read write admin", 1)))+"."+parts[2],
		enc([]byte(`{"alg":"RS256","typ":"JWT","x":1}`))+"."+parts[1]+"."+parts[2])
	if len(parts[2])%4 != 0 {
		add(parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-1] + flipLast(parts[2]))
	}

	// Structure.
	add("", ".", "..", "...", "a.b", "a.b.c", "a.b.c.d", "a.b.c.d.e", strings.Repeat(".", 5000),
		parts[0]+"."+parts[1], good+".AAAA", parts[0]+".\n"+parts[1]+"."+parts[2], parts[0]+". "+parts[1]+"."+parts[2],
		parts[0]+"."+strings.Repeat("A", DefaultMaxTokenBytes)+"."+parts[2], "Bearer "+good, good+"\n",
		enc([]byte("not json"))+"."+parts[1]+"."+parts[2], enc([]byte(`["alg","RS256"]`))+"."+parts[1]+"."+parts[2])

	// Header extensions and typing.
	add(rsHeader(`{"alg":"RS256","crit":["exp"],"exp":1}`), rsHeader(`{"alg":"RS256","crit":["b64"],"b64":false}`),
		rsHeader(`{"alg":"RS256","crit":[]}`), rsHeader(`{"alg":"RS256","b64":false}`), rsHeader(`{"alg":"RS256","b64":true}`),
		rsHeader(`{"alg":"RS256","zip":"DEF"}`), rsHeader(`{"alg":"RS256","cty":"JWT"}`), rsHeader(`{"alg":"RS256","enc":"A128GCM"}`),
		rsHeader(`{"alg":"RS256","typ":"id_token+jwt"}`), rsHeader(`{"alg":"RS256","typ":"AT+JWT"}`), rsHeader(`{"alg":"RS256","typ":1}`))

	// JSON ambiguity.
	add(rsHeader(`{"alg":"RS256","alg":"none"}`), rsHeader(`{"alg":"RS256","ALG":"none"}`), rsHeader(`{"alg":"RS256","Kid":"x"}`),
		rsHeader(`{"alg":"RS256","\u0061lg":"RS256"}`),
		rs(`{"alg":"RS256"}`, claimsWith(`,"iss":"https://evil.example.com"`)), rs(`{"alg":"RS256"}`, claimsWith(`,"ctx":{"a":1,"a":2}`)),
		rsClaims(`{"iss":"`+testIssuer+`","aud":"`+testAudience+`","EXP":`+exp+`}`), rsClaims(claimsWith(`,"Aud":"x"`)),
		rsClaims(claimsWith(`,"SCOPE":"admin"`)), rsClaims(claimsWith(",\"sub\":\"\xff\xfe\"")),
		rsHeader("{\"alg\":\"RS256\",\"x\":\"\xc3\x28\"}"), rsClaims(claimsWith(`,"sub":"\ud800"`)),
		rsClaims(claimsWith(`,"sub":"\udc00x"`)), rsClaims(claimsWith(`,"sub":"\ud83d\ude00"`)),
		rsClaims(claimsWith(`,"x":`+strings.Repeat("[", 40)+strings.Repeat("]", 40))), rsClaims(`[1,2]`), rsClaims(claims+`{}`))

	// NumericDates and claim types.
	for _, c := range []string{
		`{"iss":"` + testIssuer + `","aud":"` + testAudience + `"}`,
		`{"iss":"` + testIssuer + `","aud":"` + testAudience + `","exp":"` + exp + `"}`,
		`{"iss":"` + testIssuer + `","aud":"` + testAudience + `","exp":1e300}`,
		`{"iss":"` + testIssuer + `","aud":"` + testAudience + `","exp":-1}`,
		`{"iss":"` + testIssuer + `","aud":"` + testAudience + `","exp":` + exp + `.5}`,
		`{"iss":"` + testIssuer + `","aud":"` + testAudience + `","exp":253402300800}`,
		`{"iss":"` + testIssuer + `","exp":` + exp + `}`,
		`{"aud":"` + testAudience + `","exp":` + exp + `}`,
		`{"iss":"` + strings.ToUpper(testIssuer) + `","aud":"` + testAudience + `","exp":` + exp + `}`,
		`{"iss":"` + testIssuer + `","aud":["` + testAudience + `",1],"exp":` + exp + `}`,
		`{"iss":"` + testIssuer + `","aud":[],"exp":` + exp + `}`,
		`{"iss":"` + testIssuer + `","aud":["x","` + testAudience + `"],"exp":` + exp + `}`,
		`{"iss":["` + testIssuer + `"],"aud":"` + testAudience + `","exp":` + exp + `}`,
		claimsWith(`,"nbf":1e300`), claimsWith(`,"nbf":"0"`), claimsWith(`,"iat":99999999999999`),
		claimsWith(`,"nbf":` + strconv.FormatInt(testNow.Add(time.Hour).Unix(), 10)),
		claimsWith(`,"iat":` + strconv.FormatInt(testNow.Add(time.Hour).Unix(), 10)),
		claimsWith(`,"sub":1`), claimsWith(`,"client_id":["a"]`), claimsWith(`,"azp":{}`), claimsWith(`,"jti":1`),
		claimsWith(`,"scope":["admin"]`), claimsWith(`,"scp":["a",1]`), claimsWith(`,"scp":null`), claimsWith(`,"scope":"read"`),
	} {
		add(rsClaims(c))
	}
	add(sign(tb, "RS256", ks.rsa, nil, map[string]any{"iss": testIssuer, "aud": testAudience, "exp": testNow.Add(-time.Hour).Unix()}))
	return append(seeds, fuzzWorstCases(16<<10-64)...)
}

// fuzzWorstCases returns unsigned tokens of about size bytes designed to
// make the verifier work as hard as it can before the signature check:
// deep nesting, many escapes, many members, long strings and numbers, many
// dots.
func fuzzWorstCases(size int) []string {
	hdr := func(prefix, unit, suffix string) string {
		// Fill the header so that the whole token is about size bytes.
		budget := (size-8)*3/4 - len(prefix) - len(suffix)
		return enc([]byte(prefix+strings.Repeat(unit, max(budget/len(unit), 0))+suffix)) + ".e30.AAAA"
	}
	members := func() string {
		var b strings.Builder
		b.WriteString(`{"alg":"RS256"`)
		for i := 0; b.Len() < (size-8)*3/4-16; i++ {
			fmt.Fprintf(&b, `,"m%d":0`, i)
		}
		b.WriteString("}")
		return enc([]byte(b.String())) + ".e30.AAAA"
	}
	return []string{
		strings.Repeat(".", size),
		strings.Repeat("A.", size/2),
		strings.Repeat("A", size-2) + "..",
		hdr(`{"alg":"RS256","x":`, "[", ""),
		hdr(`{"alg":"RS256","x":`, `{"a":`, ""),
		hdr(`{"alg":"RS256","x":[`, `[],`, `[]]}`),
		hdr(`{"alg":"RS256","x":[`, `{},`, `{}]}`),
		hdr(`{"alg":"RS256","x":"`, `\u00e9`, `"}`),
		hdr(`{"alg":"RS256","x":"`, `\ud83d\ude00`, `"}`),
		hdr(`{"alg":"RS256","x":"`, `\"`, `"}`),
		hdr(`{"alg":"RS256","x":"`, `\\`, `"}`),
		hdr(`{"alg":"RS256","x":"`, "\u00e9", `"}`),
		hdr(`{"alg":"RS256","x":`, "9", `}`),
		hdr(`{"alg":"RS256","x":1e`, "9", `}`),
		hdr(`{"alg":"RS256","kid":"`, "k", `"}`),
		hdr(`{"alg":"RS256","x":[`, `0,`, `0]}`),
		hdr(`{"alg":"RS256","x":[`, `"\ud800",`, `0]}`),
		hdr(`{"alg":"RS256"`, `,"ALG":0`, `}`),
		hdr(`{"alg":"RS256"`, ` `, `}`),
		members(),
	}
}

func FuzzVerifyToken(f *testing.F) {
	for _, s := range fuzzTokenSeeds(f) {
		f.Add(s)
	}
	_, verifiers := fuzzFixture(f)
	f.Fuzz(func(t *testing.T, token string) { checkEveryVerifier(t, verifiers, token) })
}

// checkEveryVerifier verifies token with each fuzz verifier and checks the
// outcome: the error contract for a rejection, independent checks and
// golang-jwt for an acceptance.
func checkEveryVerifier(t *testing.T, verifiers []fuzzVerifier, token string) {
	t.Helper()
	for _, fv := range verifiers {
		at, err := fv.v.VerifyToken(context.Background(), token)
		if err != nil {
			checkRejection(t, fv.name, token, at, err)
			continue
		}
		checkAcceptance(t, fv, token, at)
	}
}

// checkRejection asserts the error contract: exactly one sentinel, no
// token, and no token text in the message.
func checkRejection(t *testing.T, name, token string, at *mcpauth.AccessToken, err error) {
	t.Helper()
	if at != nil {
		t.Fatalf("%s: returned an access token together with error %v", name, err)
	}
	n := 0
	for _, s := range []error{mcpauth.ErrInvalidToken, mcpauth.ErrInsufficientScope, mcpauth.ErrKeySourceUnavailable} {
		if errors.Is(err, s) {
			n++
		}
	}
	if n != 1 || errors.Is(err, mcpauth.ErrInvalidConfig) {
		t.Fatalf("%s: error %q matches %d of mcpauth.ErrInvalidToken/mcpauth.ErrInsufficientScope/mcpauth.ErrKeySourceUnavailable; want exactly 1", name, err, n)
	}
	msg := err.Error()
	for _, leak := range tokenTexts(token) {
		if strings.Contains(msg, leak) {
			t.Fatalf("%s: error %q contains text %q taken from the token", name, msg, leak)
		}
	}
	var ite *mcpauth.InvalidTokenError
	if errors.As(err, &ite) && (ite.Reason == "" || ite.Detail == "") {
		t.Fatalf("%s: invalid token error %q has no reason or detail", name, err)
	}
}

// tokenTexts returns the parts of a token that must never appear in an
// error: the token, its segments and the strings of a decodable header,
// whenever longer than 16 bytes.
func tokenTexts(token string) []string {
	var out []string
	add := func(s string) {
		if len(s) > 16 {
			out = append(out, s)
		}
	}
	add(token)
	segs := strings.Split(token, ".")
	for _, s := range segs {
		add(s)
	}
	if len(segs) == 3 {
		if raw, err := base64.RawURLEncoding.DecodeString(segs[0]); err == nil {
			var h map[string]any
			if json.Unmarshal(raw, &h) == nil {
				for _, v := range h {
					if s, ok := v.(string); ok {
						add(s)
					}
				}
			}
		}
	}
	return out
}

// checkAcceptance re-checks an accepted token independently: the signature
// with the standard library under one of the configured keys and allowed
// algorithms, the whole token with golang-jwt configured the same way
// (internal/differential: it must accept the token and read the same
// claims), and the claims by hand.
func checkAcceptance(t *testing.T, fv fuzzVerifier, token string, at *mcpauth.AccessToken) {
	t.Helper()
	if at == nil {
		t.Fatalf("%s: accepted without an access token", fv.name)
	}
	if at.Token != token {
		t.Fatalf("%s: mcpauth.AccessToken.Token differs from the verified token", fv.name)
	}
	segs := strings.Split(token, ".")
	if len(segs) != 3 {
		t.Fatalf("%s: accepted a token with %d segments", fv.name, len(segs))
	}
	rawHeader, err1 := base64.RawURLEncoding.DecodeString(segs[0])
	rawClaims, err2 := base64.RawURLEncoding.DecodeString(segs[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(segs[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Fatalf("%s: accepted a token that is not base64url: %v", fv.name, err)
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(rawHeader, &h); err != nil {
		t.Fatalf("%s: accepted a token whose header does not decode: %v", fv.name, err)
	}
	if !slices.Contains(fv.v.Algorithms(), h.Alg) {
		t.Fatalf("%s: accepted alg %q outside the allow-list %v", fv.name, h.Alg, fv.v.Algorithms())
	}
	input := []byte(segs[0] + "." + segs[1])
	var key any
	for _, k := range fv.keys {
		if independentVerify(h.Alg, k, input, sig) {
			key = k
			break
		}
	}
	if key == nil {
		t.Fatalf("%s: accepted a %s token whose signature no configured key verifies", fv.name, h.Alg)
	}
	if err := differential.Check(fv.differentialConfig(), token, at); err != nil {
		t.Fatalf("%s: %v", fv.name, err)
	}
	checkClaimsIndependently(t, fv, rawClaims, at)
}

// checkClaimsIndependently decodes the claims with encoding/json and checks
// iss, aud, exp, nbf and the required scopes.
func checkClaimsIndependently(t *testing.T, fv fuzzVerifier, raw []byte, at *mcpauth.AccessToken) {
	t.Helper()
	var c map[string]any
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if err := d.Decode(&c); err != nil {
		t.Fatalf("%s: accepted claims encoding/json cannot decode: %v", fv.name, err)
	}
	iss, _ := c["iss"].(string)
	if !slices.Contains(fv.issuers, iss) || at.Issuer != iss {
		t.Fatalf("%s: accepted iss %q (mcpauth.AccessToken.Issuer %q); configured %v", fv.name, iss, at.Issuer, fv.issuers)
	}
	var aud []string
	switch a := c["aud"].(type) {
	case string:
		aud = []string{a}
	case []any:
		for _, m := range a {
			s, ok := m.(string)
			if !ok {
				t.Fatalf("%s: accepted an aud with a non-string member", fv.name)
			}
			aud = append(aud, s)
		}
	}
	if !slices.ContainsFunc(aud, func(a string) bool { return slices.Contains(fv.audiences, a) }) {
		t.Fatalf("%s: accepted aud %v; configured %v", fv.name, aud, fv.audiences)
	}
	date := func(name string) (float64, bool) {
		n, ok := c[name].(json.Number)
		if !ok {
			return 0, false
		}
		f, err := n.Float64()
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			t.Fatalf("%s: accepted %s %q", fv.name, name, n)
		}
		return f, true
	}
	now := float64(testNow.Unix())
	leeway := fv.leeway.Seconds()
	exp, ok := date("exp")
	if !ok || exp+leeway <= now {
		t.Fatalf("%s: accepted exp %v (present %v) at %v with leeway %v", fv.name, c["exp"], ok, now, leeway)
	}
	if nbf, ok := date("nbf"); ok && nbf-leeway > now {
		t.Fatalf("%s: accepted nbf %v in the future", fv.name, nbf)
	}
	if _, present := c["nbf"]; present {
		if _, ok := date("nbf"); !ok {
			t.Fatalf("%s: accepted a non-numeric nbf", fv.name)
		}
	}
	for _, s := range fv.required {
		if !slices.Contains(at.Scopes, s) {
			t.Fatalf("%s: accepted without required scope %q", fv.name, s)
		}
	}
}

// independentVerify checks a JWS signature with the standard library only.
func independentVerify(alg string, key any, input, sig []byte) bool {
	hashes := map[string]crypto.Hash{"256": crypto.SHA256, "384": crypto.SHA384, "512": crypto.SHA512}
	if alg == "EdDSA" || alg == "Ed25519" { // RFC 9864 names EdDSA over Ed25519 "Ed25519"
		pub, ok := key.(ed25519.PublicKey)
		return ok && len(pub) == ed25519.PublicKeySize && ed25519.Verify(pub, input, sig)
	}
	if len(alg) != 5 {
		return false
	}
	hash, ok := hashes[alg[2:]]
	if !ok {
		return false
	}
	hh := hash.New()
	hh.Write(input)
	digest := hh.Sum(nil)
	switch alg[:2] {
	case "RS":
		pub, ok := key.(*rsa.PublicKey)
		return ok && rsa.VerifyPKCS1v15(pub, hash, digest, sig) == nil
	case "PS":
		pub, ok := key.(*rsa.PublicKey)
		return ok && rsa.VerifyPSS(pub, hash, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}) == nil
	case "ES":
		pub, ok := key.(*ecdsa.PublicKey)
		curves := map[string]elliptic.Curve{"256": elliptic.P256(), "384": elliptic.P384(), "512": elliptic.P521()}
		if !ok || pub.Curve != curves[alg[2:]] {
			return false
		}
		size := (pub.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return false
		}
		r, s := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
		return ecdsa.Verify(pub, digest, r, s)
	case "HS":
		secret, ok := key.([]byte)
		if !ok {
			return false
		}
		m := hmac.New(hash.New, secret)
		m.Write(input)
		return hmac.Equal(m.Sum(nil), sig)
	}
	return false
}

// TestFuzzSeedsCoverEveryOutcome guards the seed corpus: it must hold an
// accepted token for every verifier and every error class, or fuzzing would
// start far from the interesting paths.
func TestFuzzSeedsCoverEveryOutcome(t *testing.T) {
	_, verifiers := fuzzFixture(t)
	seeds := fuzzTokenSeeds(t)
	for _, fv := range verifiers {
		accepted := 0
		for _, s := range seeds {
			if _, err := fv.v.VerifyToken(context.Background(), s); err == nil {
				accepted++
			}
		}
		if accepted == 0 {
			t.Errorf("%s: no seed is accepted", fv.name)
		}
	}
	outcomes := map[string]bool{}
	for _, s := range seeds {
		for _, fv := range verifiers {
			_, err := fv.v.VerifyToken(context.Background(), s)
			switch {
			case errors.Is(err, mcpauth.ErrInsufficientScope):
				outcomes["insufficient_scope"] = true
			case errors.Is(err, mcpauth.ErrKeySourceUnavailable):
				outcomes["unavailable"] = true
			case err != nil:
				outcomes[string(mcpauth.ReasonOf(err))] = true
			}
		}
	}
	for _, r := range []mcpauth.Reason{mcpauth.ReasonMalformed, mcpauth.ReasonTooLarge, mcpauth.ReasonBadHeader, mcpauth.ReasonAlgorithm, mcpauth.ReasonUnknownKey,
		mcpauth.ReasonSignature, mcpauth.ReasonBadClaims, mcpauth.ReasonExpired, mcpauth.ReasonNotYetValid, mcpauth.ReasonIssuedInFuture, mcpauth.ReasonIssuer, mcpauth.ReasonAudience} {
		if !outcomes[string(r)] {
			t.Errorf("no seed is rejected with reason %q", r)
		}
	}
	for _, o := range []string{"insufficient_scope", "unavailable"} {
		if !outcomes[o] {
			t.Errorf("no seed ends in %s", o)
		}
	}
}

// TestVerifyTokenWorstCaseIsBounded feeds every worst-case input of the
// size cap to every verifier and bounds the allocations (a proxy for time
// that does not depend on the machine): each input must cost a small
// constant number of allocations per input byte, and doubling the input
// must not more than double the cost.
func TestVerifyTokenWorstCaseIsBounded(t *testing.T) {
	_, verifiers := fuzzFixture(t)
	small, large := fuzzWorstCases(8<<10-64), fuzzWorstCases(16<<10-64)
	cost := func(token string) float64 {
		return testing.AllocsPerRun(5, func() {
			for _, fv := range verifiers {
				_, _ = fv.v.VerifyToken(context.Background(), token)
			}
		})
	}
	for i := range large {
		if len(large[i]) > DefaultMaxTokenBytes {
			t.Fatalf("worst case %d is %d bytes, above the size cap", i, len(large[i]))
		}
		cs, cl := cost(small[i]), cost(large[i])
		perVerifierPerByte := cl / float64(len(verifiers)) / float64(len(large[i]))
		t.Logf("case %d (%d bytes): %.0f allocations for %d verifiers (%.0f at half size)", i, len(large[i]), cl, len(verifiers), cs)
		if perVerifierPerByte > 0.5 {
			t.Errorf("case %d: %.2f allocations per byte per verifier; want at most 0.5", i, perVerifierPerByte)
		}
		if cl > 2.5*cs+float64(20*len(verifiers)) {
			t.Errorf("case %d: %.0f allocations at %d bytes but %.0f at %d: cost grows faster than the input", i, cl, len(large[i]), cs, len(small[i]))
		}
	}
}

// BenchmarkVerifyTokenWorstCase measures the worst-case inputs of the size
// cap against the RSA verifier.
func BenchmarkVerifyTokenWorstCase(b *testing.B) {
	_, verifiers := fuzzFixture(b)
	for i, token := range fuzzWorstCases(16<<10 - 64) {
		b.Run(strconv.Itoa(i), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(token)))
			for b.Loop() {
				_, _ = verifiers[0].v.VerifyToken(context.Background(), token)
			}
		})
	}
}
