package verify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestAttackTokens runs every attack class of REFERENCE.md (and more)
// against an RS256 verifier and asserts the exact reason.
func TestAttackTokens(t *testing.T) {
	ks := k(t)
	v := rsaVerifier(t, nil)
	good := sign(t, "RS256", ks.rsa, nil, goodClaims())
	if _, err := v.VerifyToken(context.Background(), good); err != nil {
		t.Fatalf("baseline token rejected: %v", err)
	}
	claims := mustJSON(t, goodClaims())
	parts := strings.Split(good, ".")
	pubDER, err := x509.MarshalPKIXPublicKey(&ks.rsa.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEMBytes := []byte(pubPEM(t, &ks.rsa.PublicKey))
	attacker, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	zeroSig := make([]byte, 64)
	unsigned := func(alg string) string {
		return enc([]byte(`{"alg":"`+alg+`","typ":"JWT"}`)) + "." + enc([]byte(claims)) + "."
	}
	rawHeader := func(h string) string { return signRaw(t, "RS256", ks.rsa, h, claims) }
	rawClaims := func(c string) string { return signRaw(t, "RS256", ks.rsa, `{"alg":"RS256","typ":"JWT"}`, c) }
	exp := testNow.Add(time.Hour).Unix()
	claimsWith := func(extra string) string {
		return rawClaims(`{"iss":"` + testIssuer + `","aud":"` + testAudience + `","exp":` + itoa(exp) + extra + `}`)
	}

	tests := []struct {
		name  string
		token string
		want  Reason
	}{
		// alg none and algorithm confusion
		{"alg none unsigned", unsigned("none"), ReasonMalformed},
		{"alg none with signature", unsigned("none") + "AAAA", ReasonAlgorithm},
		{"alg NONE", unsigned("NONE") + "AAAA", ReasonAlgorithm},
		{"alg nOnE", unsigned("nOnE") + "AAAA", ReasonAlgorithm},
		{"HS256 keyed with the PEM", signRaw(t, "HS256", pubPEMBytes, `{"alg":"HS256"}`, claims), ReasonAlgorithm},
		{"HS256 keyed with the DER", signRaw(t, "HS256", pubDER, `{"alg":"HS256"}`, claims), ReasonAlgorithm},
		{"HS512 keyed with the PEM", signRaw(t, "HS512", pubPEMBytes, `{"alg":"HS512"}`, claims), ReasonAlgorithm},
		{"ES256 token for an RSA key", signRaw(t, "ES256", ks.p256, `{"alg":"ES256"}`, claims), ReasonAlgorithm},
		{"EdDSA token for an RSA key", signRaw(t, "EdDSA", ks.ed, `{"alg":"EdDSA"}`, claims), ReasonAlgorithm},
		{"alg lower case", rawHeader(`{"alg":"rs256"}`), ReasonAlgorithm},
		{"alg missing", rawHeader(`{"typ":"JWT"}`), ReasonBadHeader},
		{"alg not a string", rawHeader(`{"alg":["RS256"]}`), ReasonBadHeader},
		// keys embedded in or pointed to by the header
		{"embedded jwk, attacker signed", signRaw(t, "RS256", attacker, `{"alg":"RS256","jwk":{"kty":"RSA","n":"`+base64.RawURLEncoding.EncodeToString(attacker.N.Bytes())+`","e":"AQAB"}}`, claims), ReasonSignature},
		{"x5c, attacker signed", signRaw(t, "RS256", attacker, `{"alg":"RS256","x5c":["MIIB"]}`, claims), ReasonSignature},
		// kid tricks
		{"kid path traversal, attacker signed", signRaw(t, "RS256", attacker, `{"alg":"RS256","kid":"../../../../dev/null"}`, claims), ReasonSignature},
		{"kid empty", rawHeader(`{"alg":"RS256","kid":""}`), ReasonBadHeader},
		{"kid huge", rawHeader(`{"alg":"RS256","kid":"` + strings.Repeat("k", 300) + `"}`), ReasonBadHeader},
		{"kid number", rawHeader(`{"alg":"RS256","kid":1}`), ReasonBadHeader},
		{"kid object", rawHeader(`{"alg":"RS256","kid":{"a":1}}`), ReasonBadHeader},
		{"kid control character", rawHeader(`{"alg":"RS256","kid":"a\u0000b"}`), ReasonBadHeader},
		// malformed signatures
		{"signature zeros", parts[0] + "." + parts[1] + "." + enc(zeroSig), ReasonSignature},
		{"signature stripped", parts[0] + "." + parts[1] + ".", ReasonMalformed},
		{"signature truncated", parts[0] + "." + parts[1] + "." + parts[2][:340], ReasonSignature},
		{"signature from attacker key", signRaw(t, "RS256", attacker, `{"alg":"RS256","typ":"JWT"}`, claims), ReasonSignature},
		{"signature padded", good + "==", ReasonMalformed},
		{"signature std base64", parts[0] + "." + parts[1] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(parts[2]) + "+/", ReasonMalformed},
		{"payload tampered", parts[0] + "." + enc([]byte(strings.Replace(claims, "read write", "read write admin", 1))) + "." + parts[2], ReasonSignature},
		{"payload swapped from another token", parts[0] + "." + strings.Split(signRaw(t, "RS256", attacker, `{"alg":"RS256"}`, claims), ".")[1] + "x." + parts[2], ReasonSignature},
		{"header tampered", enc([]byte(`{"alg":"RS256","typ":"JWT","x":1}`)) + "." + parts[1] + "." + parts[2], ReasonSignature},
		{"non-zero trailing bits", parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-1] + flipLast(parts[2]), ReasonMalformed},
		// structure
		{"two segments", parts[0] + "." + parts[1], ReasonMalformed},
		{"four segments", good + ".AAAA", ReasonMalformed},
		{"JWE five segments", "a.b.c.d.e", ReasonMalformed},
		{"many dots", strings.Repeat(".", 5000), ReasonMalformed},
		{"empty", "", ReasonMalformed},
		{"newline inside", parts[0] + ".\n" + parts[1] + "." + parts[2], ReasonMalformed},
		{"space inside", parts[0] + ". " + parts[1] + "." + parts[2], ReasonMalformed},
		{"oversized", parts[0] + "." + strings.Repeat("A", DefaultMaxTokenBytes) + "." + parts[2], ReasonTooLarge},
		{"header not JSON", enc([]byte("not json")) + "." + parts[1] + "." + parts[2], ReasonMalformed},
		{"header array", enc([]byte(`["alg","RS256"]`)) + "." + parts[1] + "." + parts[2], ReasonMalformed},
		{"claims array", rawClaims(`[1,2]`), ReasonMalformed},
		{"claims trailing data", rawClaims(claims + `{}`), ReasonMalformed},
		// header extensions and typing
		{"crit unknown", rawHeader(`{"alg":"RS256","crit":["exp"],"exp":1}`), ReasonBadHeader},
		{"crit b64", rawHeader(`{"alg":"RS256","crit":["b64"],"b64":false}`), ReasonBadHeader},
		{"crit empty", rawHeader(`{"alg":"RS256","crit":[]}`), ReasonBadHeader},
		{"b64 false", rawHeader(`{"alg":"RS256","b64":false}`), ReasonBadHeader},
		{"b64 string", rawHeader(`{"alg":"RS256","b64":"false"}`), ReasonBadHeader},
		{"zip", rawHeader(`{"alg":"RS256","zip":"DEF"}`), ReasonBadHeader},
		{"nested JWT", rawHeader(`{"alg":"RS256","cty":"JWT"}`), ReasonBadHeader},
		{"nested JWT lower case", rawHeader(`{"alg":"RS256","cty":"jwt"}`), ReasonBadHeader},
		{"enc header", rawHeader(`{"alg":"RS256","enc":"A128GCM"}`), ReasonBadHeader},
		{"typ id token", rawHeader(`{"alg":"RS256","typ":"id_token+jwt"}`), ReasonBadHeader},
		// JSON ambiguity
		{"duplicate alg", rawHeader(`{"alg":"RS256","alg":"none"}`), ReasonMalformed},
		{"duplicate iss", claimsWith(`,"iss":"https://evil.example.com"`), ReasonMalformed},
		{"duplicate nested member", claimsWith(`,"ctx":{"a":1,"a":2}`), ReasonMalformed},
		{"header name case variant", rawHeader(`{"alg":"RS256","ALG":"none"}`), ReasonBadHeader},
		{"header kid case variant", rawHeader(`{"alg":"RS256","Kid":"x"}`), ReasonBadHeader},
		{"claim EXP only", rawClaims(`{"iss":"` + testIssuer + `","aud":"` + testAudience + `","EXP":` + itoa(exp) + `}`), ReasonBadClaims},
		{"claim Aud beside aud", claimsWith(`,"Aud":"x"`), ReasonBadClaims},
		{"claim SCOPE", claimsWith(`,"SCOPE":"admin"`), ReasonBadClaims},
		{"invalid UTF-8 in claims", claimsWith(",\"sub\":\"\xff\xfe\""), ReasonMalformed},
		{"invalid UTF-8 in header", rawHeader("{\"alg\":\"RS256\",\"x\":\"\xc3\x28\"}"), ReasonMalformed},
		{"lone high surrogate", claimsWith(`,"sub":"\ud800"`), ReasonMalformed},
		{"lone low surrogate", claimsWith(`,"sub":"\udc00x"`), ReasonMalformed},
		{"reversed surrogates", claimsWith(`,"sub":"\udc00\ud800"`), ReasonMalformed},
		{"deep nesting", claimsWith(`,"x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40)), ReasonMalformed},
		// NumericDates
		{"missing exp", rawClaims(`{"iss":"` + testIssuer + `","aud":"` + testAudience + `"}`), ReasonBadClaims},
		{"exp string", rawClaims(`{"iss":"` + testIssuer + `","aud":"` + testAudience + `","exp":"` + itoa(exp) + `"}`), ReasonBadClaims},
		{"exp null", rawClaims(`{"iss":"` + testIssuer + `","aud":"` + testAudience + `","exp":null}`), ReasonBadClaims},
		{"exp 1e300", rawClaims(`{"iss":"` + testIssuer + `","aud":"` + testAudience + `","exp":1e300}`), ReasonBadClaims},
		{"exp negative", rawClaims(`{"iss":"` + testIssuer + `","aud":"` + testAudience + `","exp":-1}`), ReasonBadClaims},
		{"exp bool", rawClaims(`{"iss":"` + testIssuer + `","aud":"` + testAudience + `","exp":true}`), ReasonBadClaims},
		{"nbf 1e300 overflow", claimsWith(`,"nbf":1e300`), ReasonBadClaims},
		{"nbf string", claimsWith(`,"nbf":"0"`), ReasonBadClaims},
		{"iat string", claimsWith(`,"iat":"0"`), ReasonBadClaims},
		{"iat huge", claimsWith(`,"iat":99999999999999`), ReasonBadClaims},
		// claim types
		{"sub number", claimsWith(`,"sub":1`), ReasonBadClaims},
		{"client_id array", claimsWith(`,"client_id":["a"]`), ReasonBadClaims},
		{"azp object", claimsWith(`,"azp":{}`), ReasonBadClaims},
		{"jti number", claimsWith(`,"jti":1`), ReasonBadClaims},
		{"scope array", claimsWith(`,"scope":["admin"]`), ReasonBadClaims},
		{"scp with number", claimsWith(`,"scp":["a",1]`), ReasonBadClaims},
		{"scp null", claimsWith(`,"scp":null`), ReasonBadClaims},
		{"expired", sign(t, "RS256", ks.rsa, nil, map[string]any{"iss": testIssuer, "aud": testAudience, "exp": testNow.Add(-time.Hour).Unix()}), ReasonExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, err := v.VerifyToken(context.Background(), tt.token)
			if at != nil {
				t.Fatalf("returned an access token with error %v", err)
			}
			wantReason(t, err, tt.want)
		})
	}
}

// TestHeaderKeyURLsAreNeverFetched proves jku and x5u are ignored: a
// server they point at is never contacted.
func TestHeaderKeyURLsAreNeverFetched(t *testing.T) {
	ks := k(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	v := rsaVerifier(t, nil)
	attacker, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, member := range []string{"jku", "x5u"} {
		// Signed by the attacker: rejected.
		tok := sign(t, "RS256", k(t).rsa2, map[string]any{member: srv.URL + "/keys"}, goodClaims())
		_, err := v.VerifyToken(context.Background(), tok)
		wantReason(t, err, ReasonSignature)
		tok = sign(t, "ES256", attacker, map[string]any{member: srv.URL + "/keys"}, goodClaims())
		_, err = v.VerifyToken(context.Background(), tok)
		wantReason(t, err, ReasonAlgorithm)
		// Signed by the real key: accepted, and still nothing fetched.
		tok = sign(t, "RS256", ks.rsa, map[string]any{member: srv.URL + "/keys"}, goodClaims())
		if _, err := v.VerifyToken(context.Background(), tok); err != nil {
			t.Fatalf("%s: legitimate token rejected: %v", member, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the verifier fetched a token-supplied URL %d times", n)
	}
}

func TestHMACVerifier(t *testing.T) {
	secret := testHMAC[:32]
	v, err := NewJWTVerifier(Settings{PublicKey: secret, Algorithms: []string{"HS256"}, Issuers: []string{testIssuer}, Audiences: []string{testAudience}},
		WithClock(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyToken(context.Background(), sign(t, "HS256", []byte(secret), nil, goodClaims())); err != nil {
		t.Fatalf("rejected: %v", err)
	}
	_, err = v.VerifyToken(context.Background(), sign(t, "HS256", []byte(strings.Repeat("x", 32)), nil, goodClaims()))
	wantReason(t, err, ReasonSignature)
	_, err = v.VerifyToken(context.Background(), sign(t, "HS512", []byte(secret), nil, goodClaims()))
	wantReason(t, err, ReasonAlgorithm)
	_, err = v.VerifyToken(context.Background(), sign(t, "RS256", k(t).rsa, nil, goodClaims()))
	wantReason(t, err, ReasonAlgorithm)
}

func TestMaxTokenBytes(t *testing.T) {
	v := rsaVerifier(t, func(s *Settings) { s.MaxTokenBytes = 600 })
	tok := sign(t, "RS256", k(t).rsa, nil, goodClaims())
	if len(tok) <= 600 {
		t.Fatalf("test token is only %d bytes", len(tok))
	}
	_, err := v.VerifyToken(context.Background(), tok)
	wantReason(t, err, ReasonTooLarge)
}

func TestAllowListNarrowsKeyAlgorithms(t *testing.T) {
	v := rsaVerifier(t, func(s *Settings) { s.Algorithms = []string{"PS256"} })
	_, err := v.VerifyToken(context.Background(), sign(t, "RS256", k(t).rsa, nil, goodClaims()))
	wantReason(t, err, ReasonAlgorithm)
	if _, err := v.VerifyToken(context.Background(), sign(t, "PS256", k(t).rsa, nil, goodClaims())); err != nil {
		t.Fatalf("PS256 rejected: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// flipLast changes the last base64url character of s, whose length must
// not be a multiple of 4, so that the decoded bytes are the same but the
// unused trailing bits are not zero.
func flipLast(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	if len(s)%4 == 0 {
		panic("segment has no trailing bits")
	}
	i := strings.IndexByte(alphabet, s[len(s)-1])
	return string(alphabet[i^1])
}
