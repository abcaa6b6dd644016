package verify

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/mcpauth/mcpauth/internal/differential"
)

// differentialConfig is fv's configuration in golang-jwt's terms.
func (fv fuzzVerifier) differentialConfig() differential.Config {
	keys := make([]differential.Key, len(fv.keys))
	for i, k := range fv.keys {
		keys[i].Public = k
		if fv.keyIDs != nil {
			keys[i].ID = fv.keyIDs[i]
		}
	}
	return differential.Config{
		Keys:       keys,
		Algorithms: fv.v.Algorithms(),
		Issuers:    fv.issuers,
		Audiences:  fv.audiences,
		Leeway:     fv.leeway,
		Now:        func() time.Time { return testNow },
	}
}

// fuzzSigner is one way FuzzDifferential signs a header and claims.
type fuzzSigner struct {
	alg string
	key func(*fuzzKeySet) any
}

// fuzzSigners are the algorithms and keys FuzzDifferential signs with: the
// configured keys under every algorithm they have, the attacker's key, and
// HMAC keyed with the secret and with the RSA key's PEM (confusion).
var fuzzSigners = func() []fuzzSigner {
	rsaKey := func(k *fuzzKeySet) any { return k.rsa }
	edKey := func(k *fuzzKeySet) any { return k.ed }
	secret := func(*fuzzKeySet) any { return []byte(testHMAC) }
	var out []fuzzSigner
	for _, alg := range []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"} {
		out = append(out, fuzzSigner{alg, rsaKey})
	}
	return append(out,
		fuzzSigner{"ES256", func(k *fuzzKeySet) any { return k.ec }},
		fuzzSigner{"ES256", func(k *fuzzKeySet) any { return k.attacker }},
		fuzzSigner{"EdDSA", edKey},
		fuzzSigner{"Ed25519", edKey},
		fuzzSigner{"HS256", secret}, fuzzSigner{"HS384", secret}, fuzzSigner{"HS512", secret},
		fuzzSigner{"HS256", func(*fuzzKeySet) any { return []byte(fuzzRSAKeyPEM) }},
	)
}()

// signerIndex returns the index of the first signer for alg.
func signerIndex(alg string) uint8 {
	for i, s := range fuzzSigners {
		if s.alg == alg {
			return uint8(i)
		}
	}
	return 0
}

// fuzzDifferentialSeeds returns (header, claims, signer) seeds: the header
// and claims of every FuzzVerifyToken seed that decodes, signed with the
// algorithm its header names, and edge cases of the time checks (the
// leeway, fractional NumericDates), issuers and audiences, scopes and the
// Ed25519 algorithm name.
func fuzzDifferentialSeeds(tb testing.TB) []struct {
	header, claims string
	signer         uint8
} {
	tb.Helper()
	type seed = struct {
		header, claims string
		signer         uint8
	}
	var seeds []seed
	for _, tok := range fuzzTokenSeeds(tb) {
		segs := strings.Split(tok, ".")
		if len(segs) != 3 {
			continue
		}
		h, err1 := base64.RawURLEncoding.DecodeString(segs[0])
		c, err2 := base64.RawURLEncoding.DecodeString(segs[1])
		if err1 != nil || err2 != nil {
			continue
		}
		alg := "RS256"
		if i := strings.Index(string(h), `"alg":"`); i >= 0 {
			alg, _, _ = strings.Cut(string(h)[i+len(`"alg":"`):], `"`)
		}
		seeds = append(seeds, seed{string(h), string(c), signerIndex(alg)})
	}
	unix := func(d time.Duration) string { return strconv.FormatInt(testNow.Add(d).Unix(), 10) }
	base := `{"iss":"` + testIssuer + `","aud":"` + testAudience + `","scope":"read write"`
	for _, extra := range []string{
		`,"exp":` + unix(-DefaultLeeway) + `.5`,
		`,"exp":` + unix(-DefaultLeeway) + `.000000001`,
		`,"exp":` + unix(-DefaultLeeway),
		`,"exp":` + unix(-DefaultLeeway+time.Second),
		`,"exp":` + unix(time.Hour) + `,"nbf":` + unix(DefaultLeeway) + `.5`,
		`,"exp":` + unix(time.Hour) + `,"nbf":` + unix(DefaultLeeway),
		`,"exp":` + unix(time.Hour) + `,"iat":` + unix(DefaultLeeway) + `.5`,
		`,"exp":` + unix(time.Hour) + `,"iat":` + unix(DefaultLeeway),
		`,"exp":` + unix(time.Hour) + `e0,"iat":1e9`,
		`,"exp":` + unix(time.Hour) + `,"nbf":0,"iat":0`,
		`,"exp":` + unix(time.Hour) + `,"sub":"","client_id":"","jti":"\u00e9\ud83d\ude00"`,
		`,"exp":` + unix(time.Hour) + `,"n":-0,"f":1.0e+2,"big":123456789012345678901234567890,"x":[{"y":null},false]`,
	} {
		seeds = append(seeds, seed{`{"alg":"RS256","typ":"JWT"}`, base + extra + `}`, signerIndex("RS256")})
	}
	exp := `,"exp":` + unix(time.Hour) + `}`
	for _, c := range []string{
		`{"iss":"` + fuzzOtherIssuer + `","aud":["x","` + fuzzOtherAudience + `"]` + exp,
		`{"iss":"` + testIssuer + `","aud":["` + testAudience + `","` + fuzzOtherAudience + `"]` + exp,
		`{"iss":"` + testIssuer + `","aud":"` + testAudience + `","scp":["read","write"]` + exp,
		`{"iss":"` + testIssuer + `","aud":"` + testAudience + `","scp":"read write"` + exp,
	} {
		seeds = append(seeds, seed{`{"alg":"EdDSA"}`, c, signerIndex("EdDSA")}, seed{`{"alg":"Ed25519"}`, c, signerIndex("Ed25519")},
			seed{`{"alg":"HS256"}`, c, signerIndex("HS256")}, seed{`{"alg":"ES256","typ":"at+jwt"}`, c, signerIndex("ES256")},
			seed{`{"alg":"PS256","kid":"rsa"}`, c, signerIndex("PS256")}, seed{`{"alg":"Ed25519","kid":"ed"}`, c, signerIndex("Ed25519")})
	}
	return seeds
}

// FuzzDifferential signs fuzzed headers and claims with the fuzz keys and
// checks every token a fuzz verifier accepts against golang-jwt configured
// the same way (internal/differential): golang-jwt must accept it too and
// read the same claims. mcpauth may refuse more, never accept more.
// Rejections must follow the error contract (checkRejection).
func FuzzDifferential(f *testing.F) {
	for _, s := range fuzzDifferentialSeeds(f) {
		f.Add(s.header, s.claims, s.signer)
	}
	ks, verifiers := fuzzFixture(f)
	f.Fuzz(func(t *testing.T, header, claims string, signer uint8) {
		s := fuzzSigners[int(signer)%len(fuzzSigners)]
		input := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(claims))
		sig, err := jwt.GetSigningMethod(s.alg).Sign(input, s.key(ks))
		if err != nil {
			t.Fatalf("signing %s: %v", s.alg, err)
		}
		checkEveryVerifier(t, verifiers, input+"."+base64.RawURLEncoding.EncodeToString(sig))
	})
}

// TestFuzzDifferentialSeedsAccept guards FuzzDifferential's seeds: every
// fuzz verifier accepts at least one, so the comparison runs for each
// configuration whenever the seed corpus runs.
func TestFuzzDifferentialSeedsAccept(t *testing.T) {
	ks, verifiers := fuzzFixture(t)
	accepted := map[string]int{}
	for _, s := range fuzzDifferentialSeeds(t) {
		sg := fuzzSigners[s.signer]
		token := signRaw(t, sg.alg, sg.key(ks), s.header, s.claims)
		for _, fv := range verifiers {
			if _, err := fv.v.VerifyToken(context.Background(), token); err == nil {
				accepted[fv.name]++
			}
		}
	}
	for _, fv := range verifiers {
		if accepted[fv.name] == 0 {
			t.Errorf("%s: no FuzzDifferential seed is accepted", fv.name)
		}
	}
	t.Logf("accepted seeds per verifier: %v", accepted)
}
