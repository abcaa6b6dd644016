package attacks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"hash"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/verify"
)

// Exit codes of "mcpauth verify" (see cmd/mcpauth).
const (
	ExitOK      = 0 // the token is valid
	ExitInvalid = 1 // the token is invalid
	ExitUsage   = 2 // configuration or usage error (also: empty stdin)
	ExitScope   = 3 // valid, but a required scope is missing
)

// Case is one token and the exact outcome it must produce at each layer.
type Case struct {
	// Name is unique in the table and usable as a subtest name.
	Name string
	// Variant is the key source the token is verified with.
	Variant Variant
	// Token is sent as is: to VerifyToken, after "Bearer " in the
	// Authorization header, and on the standard input of "mcpauth verify".
	Token string

	// WantReason is mcpauth.ReasonOf of the verifier's error; empty means the
	// token is accepted. mcpauth.ReasonInsufficientScope means an error
	// matching mcpauth.ErrInsufficientScope, any other reason one matching
	// mcpauth.ErrInvalidToken (see [Case.WantClass]).
	WantReason mcpauth.Reason
	// WantStatus is the middleware's HTTP status (200: passed through).
	WantStatus int
	// WantError is the error parameter of the WWW-Authenticate challenge and
	// the "error" member of the JSON body; empty for an accepted token.
	WantError string
	// WantExit is the exit code of "mcpauth verify" with the token on stdin.
	WantExit int
	// Note explains an outcome that is not the obvious one.
	Note string
}

// WantClass returns the sentinel the verifier's error must match, or nil
// when the token must be accepted.
func (c Case) WantClass() error {
	switch c.WantReason {
	case "":
		return nil
	case mcpauth.ReasonInsufficientScope:
		return mcpauth.ErrInsufficientScope
	case mcpauth.ReasonUnavailable:
		return mcpauth.ErrKeySourceUnavailable
	default:
		return mcpauth.ErrInvalidToken
	}
}

// SendableInHeader reports whether Token can be sent in an HTTP header
// field over the wire (RFC 9110 §5.5: no control characters other than
// horizontal tab). Tokens that cannot are given to the middleware in
// process.
func (c Case) SendableInHeader() bool {
	for i := 0; i < len(c.Token); i++ {
		if b := c.Token[i]; (b < 0x20 && b != '\t') || b == 0x7f {
			return false
		}
	}
	return true
}

// withHTTP overrides the HTTP outcome.
func (c Case) withHTTP(status int, code string) Case {
	c.WantStatus, c.WantError = status, code
	return c
}

// withExit overrides the exit code.
func (c Case) withExit(code int) Case {
	c.WantExit = code
	return c
}

// because sets the note.
func (c Case) because(note string) Case {
	c.Note = note
	return c
}

// outcome builds a case whose HTTP status and exit code follow from the
// reason: accepted → 200/0, insufficient scope → 403/3, anything else
// 401 invalid_token/1.
func outcome(name string, v Variant, token string, r mcpauth.Reason) Case {
	c := Case{Name: name, Variant: v, Token: token, WantReason: r}
	switch r {
	case "":
		c.WantStatus, c.WantExit = http.StatusOK, ExitOK
	case mcpauth.ReasonInsufficientScope:
		c.WantStatus, c.WantError, c.WantExit = http.StatusForbidden, "insufficient_scope", ExitScope
	default:
		c.WantStatus, c.WantError, c.WantExit = http.StatusUnauthorized, "invalid_token", ExitInvalid
	}
	return c
}

// enc is unpadded base64url.
func enc(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// hmacToken signs header and payload with HMAC alg keyed with key, as an
// attacker who knows only public material would.
func hmacToken(alg string, key []byte, header, payload string) string {
	var h func() hash.Hash
	switch alg {
	case "HS256":
		h = sha256.New
	case "HS384":
		h = sha512.New384
	default:
		h = sha512.New
	}
	input := enc([]byte(header)) + "." + enc([]byte(payload))
	m := hmac.New(h, key)
	m.Write([]byte(input))
	return input + "." + enc(m.Sum(nil))
}

// flipLast changes the last base64url character of s, whose length must
// not be a multiple of 4, so that the decoded bytes are the same but the
// unused trailing bits are not zero.
func flipLast(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	if len(s)%4 == 0 {
		panic("attacks: segment has no trailing bits")
	}
	i := strings.IndexByte(alphabet, s[len(s)-1])
	return s[:len(s)-1] + string(alphabet[i^1])
}

// Cases builds the fixture and the attack table. Keys are generated and a
// loopback JWK Set server is started for tb (closed by tb.Cleanup). Every
// name is unique; the table holds accepted baselines too, so that a layer
// that refuses everything fails.
func Cases(tb testing.TB) (*Fixture, []Case) {
	tb.Helper()
	f := newFixture(tb)
	var cases []Case
	add := func(c ...Case) { cases = append(cases, c...) }

	claims := f.claims(tb, nil)
	good := f.Valid
	parts := strings.Split(good, ".")
	pubPEM := []byte(f.RSA.PublicKeyPEM())
	pubDER, err := x509.MarshalPKIXPublicKey(f.RSA.Public())
	if err != nil {
		tb.Fatal(err)
	}
	jwkJSON, err := json.Marshal(f.RSA.JWK())
	if err != nil {
		tb.Fatal(err)
	}
	nBytes, _ := base64.RawURLEncoding.DecodeString(f.RSA.JWK().N)
	unsigned := func(alg string) string {
		return enc([]byte(`{"alg":"`+alg+`","typ":"JWT"}`)) + "." + enc([]byte(claims)) + "."
	}
	rawHeader := func(h string) string { return signCompact(tb, f.RSA, "RS256", h, claims) }
	rawClaims := func(c string) string { return signCompact(tb, f.RSA, "RS256", `{"alg":"RS256","typ":"JWT"}`, c) }
	exp := f.Now.Add(time.Hour).Unix()
	itoa := func(n int64) string { return big.NewInt(n).String() }
	base := `{"iss":"` + Issuer + `","aud":"` + Audience + `","scope":"read","exp":` + itoa(exp)
	claimsWith := func(extra string) string { return rawClaims(base + extra + `}`) }
	attacker := func(hdr string) string { return signCompact(tb, f.AttackerRSA, "RS256", hdr, claims) }
	// Claims whose standard base64 has '+' and '/'.
	stdClaims := f.claims(tb, map[string]any{"x": "??>>??>>"})
	if std := base64.RawStdEncoding.EncodeToString([]byte(stdClaims)); !strings.ContainsAny(std, "+/") {
		tb.Fatalf("test claims %s encode without + or /", stdClaims)
	}
	withClaims := func(c map[string]any) string { return f.mint(tb, f.RSA, nil, c) }
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }

	// Baselines: the same layer must accept these.
	add(
		outcome("baseline: valid RS256", PEM, good, ""),
		outcome("baseline: valid PS256", PEM, f.mint(tb, f.RSA, map[string]any{"alg": "PS256"}, nil), ""),
		outcome("baseline: typ at+jwt", PEM, f.mint(tb, f.RSA, map[string]any{"typ": "at+jwt"}, nil), ""),
		outcome("baseline: typ absent", PEM, f.mint(tb, f.RSA, map[string]any{"typ": nil}, nil), ""),
		outcome("baseline: aud array with another audience", PEM, withClaims(map[string]any{"aud": []string{"https://other.example.com", Audience}}), ""),
		outcome("baseline: jwks RS256 with kid", JWKS, good, ""),
		outcome("baseline: jwks ES256 with kid", JWKS, f.mint(tb, f.EC, nil, nil), ""),
		outcome("baseline: jwks RS256 without kid, one compatible key", JWKS, f.mint(tb, f.RSA, map[string]any{"kid": nil}, nil), "").
			because("the JWK Set has one RSA signing key; the EC key is pinned to ES256 and the use=enc keys are skipped"),
	)

	// alg none and algorithm confusion (RFC 8725 §2.1, §3.1, §3.2).
	add(
		outcome("alg none unsigned", PEM, unsigned("none"), mcpauth.ReasonMalformed).
			because("the empty signature segment is refused before the header is read"),
		outcome("alg none with signature", PEM, unsigned("none")+"AAAA", mcpauth.ReasonAlgorithm),
		outcome("alg NONE", PEM, unsigned("NONE")+"AAAA", mcpauth.ReasonAlgorithm),
		outcome("alg nOnE", PEM, unsigned("nOnE")+"AAAA", mcpauth.ReasonAlgorithm),
		outcome("alg None", PEM, unsigned("None")+"AAAA", mcpauth.ReasonAlgorithm),
		outcome("alg none with the real RS256 signature", PEM, enc([]byte(`{"alg":"none"}`))+"."+parts[1]+"."+parts[2], mcpauth.ReasonAlgorithm),
		outcome("alg none on the JWK Set", JWKS, unsigned("none")+"AAAA", mcpauth.ReasonAlgorithm),
		outcome("alg empty", PEM, rawHeader(`{"alg":""}`), mcpauth.ReasonAlgorithm),
		outcome("alg null", PEM, rawHeader(`{"alg":null}`), mcpauth.ReasonBadHeader),
		outcome("HS256 keyed with the PEM", PEM, hmacToken("HS256", pubPEM, `{"alg":"HS256"}`, claims), mcpauth.ReasonAlgorithm),
		outcome("HS256 keyed with the PEM without newline", PEM, hmacToken("HS256", []byte(strings.TrimSpace(string(pubPEM))), `{"alg":"HS256"}`, claims), mcpauth.ReasonAlgorithm),
		outcome("HS256 keyed with the DER", PEM, hmacToken("HS256", pubDER, `{"alg":"HS256"}`, claims), mcpauth.ReasonAlgorithm),
		outcome("HS256 keyed with the JWK", PEM, hmacToken("HS256", jwkJSON, `{"alg":"HS256"}`, claims), mcpauth.ReasonAlgorithm),
		outcome("HS256 keyed with the modulus", PEM, hmacToken("HS256", nBytes, `{"alg":"HS256"}`, claims), mcpauth.ReasonAlgorithm),
		outcome("HS384 keyed with the PEM", PEM, hmacToken("HS384", pubPEM, `{"alg":"HS384"}`, claims), mcpauth.ReasonAlgorithm),
		outcome("HS512 keyed with the PEM", PEM, hmacToken("HS512", pubPEM, `{"alg":"HS512"}`, claims), mcpauth.ReasonAlgorithm),
		outcome("jwks: HS256 keyed with the JWK, kid of the RSA key", JWKS, hmacToken("HS256", jwkJSON, `{"alg":"HS256","kid":"`+f.RSA.KeyID()+`"}`, claims), mcpauth.ReasonAlgorithm),
		outcome("ES256 token for an RSA key", PEM, signCompact(tb, f.AttackerEC, "ES256", `{"alg":"ES256"}`, claims), mcpauth.ReasonAlgorithm),
		outcome("EdDSA token for an RSA key", PEM, signCompact(tb, f.AttackerEd, "EdDSA", `{"alg":"EdDSA"}`, claims), mcpauth.ReasonAlgorithm),
		outcome("Ed25519 (RFC 9864) token for an RSA key", PEM, signCompact(tb, f.AttackerEd, "Ed25519", `{"alg":"Ed25519"}`, claims), mcpauth.ReasonAlgorithm),
		outcome("alg Ed448 (unsupported)", PEM, rawHeader(`{"alg":"Ed448"}`), mcpauth.ReasonAlgorithm),
		outcome("alg lower case", PEM, rawHeader(`{"alg":"rs256"}`), mcpauth.ReasonAlgorithm),
		outcome("alg unknown", PEM, rawHeader(`{"alg":"RS1"}`), mcpauth.ReasonAlgorithm),
		outcome("alg missing", PEM, rawHeader(`{"typ":"JWT"}`), mcpauth.ReasonBadHeader),
		outcome("alg not a string", PEM, rawHeader(`{"alg":["RS256"]}`), mcpauth.ReasonBadHeader),
	)

	// Keys of the wrong type or curve for the alg (RFC 8725 §3.1).
	add(
		outcome("jwks: ES256 by the attacker with the RSA kid", JWKS, f.mint(tb, f.AttackerEC, map[string]any{"kid": f.RSA.KeyID()}, nil), mcpauth.ReasonAlgorithm),
		outcome("jwks: RS256 by the attacker with the EC kid", JWKS, f.mint(tb, f.AttackerRSA, map[string]any{"kid": f.EC.KeyID()}, nil), mcpauth.ReasonAlgorithm),
		outcome("jwks: ES384 (P-384) with the P-256 kid", JWKS, f.mint(tb, f.AttackerP384, map[string]any{"kid": f.EC.KeyID()}, nil), mcpauth.ReasonAlgorithm),
		outcome("jwks: EdDSA with the EC kid", JWKS, f.mint(tb, f.AttackerEd, map[string]any{"kid": f.EC.KeyID()}, nil), mcpauth.ReasonAlgorithm),
		outcome("jwks: Ed25519 with the EC kid", JWKS, signCompact(tb, f.AttackerEd, "Ed25519", `{"alg":"Ed25519","kid":"`+f.EC.KeyID()+`"}`, claims), mcpauth.ReasonAlgorithm),
		// With the identity key, R = identity and S = 0 verifies any message.
		outcome("jwks: forged EdDSA signature under the degenerate (identity) Ed25519 key", JWKS, base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"EdDSA","kid":"`+DegenerateKeyID+`"}`))+"."+base64.RawURLEncoding.EncodeToString([]byte(claims))+"."+base64.RawURLEncoding.EncodeToString(append([]byte{1}, make([]byte, 63)...)), mcpauth.ReasonUnknownKey),
		outcome("jwks: ES256 header over an RS256 signature", JWKS, signCompact(tb, f.RSA, "RS256", `{"alg":"ES256","kid":"`+f.EC.KeyID()+`"}`, claims), mcpauth.ReasonSignature),
	)

	// JWK Set keys for encryption, unknown and tricky kids (RFC 8725 §3.10 of
	// key use; RFC 7517 §4.2).
	add(
		outcome("jwks: EC key marked use=enc", JWKS, f.mint(tb, f.Enc, nil, nil), mcpauth.ReasonUnknownKey),
		outcome("jwks: RSA key marked use=enc", JWKS, f.mint(tb, f.EncRSA, nil, nil), mcpauth.ReasonUnknownKey),
		outcome("jwks: unknown kid, attacker signed", JWKS, f.mint(tb, f.AttackerRSA, nil, nil), mcpauth.ReasonUnknownKey),
		outcome("jwks: no kid, attacker signed", JWKS, f.mint(tb, f.AttackerRSA, map[string]any{"kid": nil}, nil), mcpauth.ReasonSignature),
		outcome("jwks: kid path traversal", JWKS, f.mint(tb, f.AttackerRSA, map[string]any{"kid": "../../../../etc/passwd"}, nil), mcpauth.ReasonUnknownKey),
		outcome("jwks: kid SQL injection", JWKS, f.mint(tb, f.AttackerRSA, map[string]any{"kid": "x' OR '1'='1"}, nil), mcpauth.ReasonUnknownKey),
		outcome("jwks: kid is a URL", JWKS, f.mint(tb, f.AttackerRSA, map[string]any{"kid": "https://attacker.example/keys.json"}, nil), mcpauth.ReasonUnknownKey),
		outcome("jwks: kid of the RSA key, attacker signed", JWKS, f.mint(tb, f.AttackerRSA, map[string]any{"kid": f.RSA.KeyID()}, nil), mcpauth.ReasonSignature),
		outcome("jwks: jku to the attacker, unknown kid", JWKS, f.mint(tb, f.AttackerRSA, map[string]any{"jku": "https://attacker.example/jwks.json"}, nil), mcpauth.ReasonUnknownKey),
		outcome("jwks: embedded jwk with its own kid", JWKS, f.mint(tb, f.AttackerRSA, map[string]any{"jwk": f.AttackerRSA.JWK()}, nil), mcpauth.ReasonUnknownKey),
		outcome("jwks: kid empty", JWKS, f.mint(tb, f.RSA, map[string]any{"kid": ""}, nil), mcpauth.ReasonBadHeader),
	)

	// Keys embedded in or pointed to by the header (RFC 8725 §3.10).
	add(
		outcome("embedded jwk, attacker signed", PEM, attacker(`{"alg":"RS256","jwk":`+mustJSON(tb, f.AttackerRSA.JWK())+`}`), mcpauth.ReasonSignature),
		outcome("jku, attacker signed", PEM, attacker(`{"alg":"RS256","jku":"https://attacker.example/jwks.json"}`), mcpauth.ReasonSignature),
		outcome("x5u, attacker signed", PEM, attacker(`{"alg":"RS256","x5u":"https://attacker.example/cert.pem"}`), mcpauth.ReasonSignature),
		outcome("x5c, attacker signed", PEM, attacker(`{"alg":"RS256","x5c":["MIIB"]}`), mcpauth.ReasonSignature),
	)

	// kid tricks.
	add(
		outcome("kid path traversal, attacker signed", PEM, attacker(`{"alg":"RS256","kid":"../../../../dev/null"}`), mcpauth.ReasonSignature),
		outcome("kid SQL injection, attacker signed", PEM, attacker(`{"alg":"RS256","kid":"' UNION SELECT 'secret' --"}`), mcpauth.ReasonSignature),
		outcome("kid empty", PEM, rawHeader(`{"alg":"RS256","kid":""}`), mcpauth.ReasonBadHeader),
		outcome("kid huge", PEM, rawHeader(`{"alg":"RS256","kid":"`+strings.Repeat("k", 300)+`"}`), mcpauth.ReasonBadHeader),
		outcome("kid number", PEM, rawHeader(`{"alg":"RS256","kid":1}`), mcpauth.ReasonBadHeader),
		outcome("kid null", PEM, rawHeader(`{"alg":"RS256","kid":null}`), mcpauth.ReasonBadHeader),
		outcome("kid array", PEM, rawHeader(`{"alg":"RS256","kid":["a"]}`), mcpauth.ReasonBadHeader),
		outcome("kid object", PEM, rawHeader(`{"alg":"RS256","kid":{"a":1}}`), mcpauth.ReasonBadHeader),
		outcome("kid control character", PEM, rawHeader(`{"alg":"RS256","kid":"a\u0000b"}`), mcpauth.ReasonBadHeader),
		outcome("kid newline", PEM, rawHeader(`{"alg":"RS256","kid":"a\nlevel=ERROR"}`), mcpauth.ReasonBadHeader),
	)

	// Malformed and tampered signatures and payloads.
	zeroSig := make([]byte, 256)
	add(
		outcome("signature zeros", PEM, parts[0]+"."+parts[1]+"."+enc(zeroSig[:64]), mcpauth.ReasonSignature),
		outcome("signature zeros, modulus length", PEM, parts[0]+"."+parts[1]+"."+enc(zeroSig), mcpauth.ReasonSignature),
		outcome("signature stripped", PEM, parts[0]+"."+parts[1]+".", mcpauth.ReasonMalformed),
		outcome("signature truncated", PEM, parts[0]+"."+parts[1]+"."+parts[2][:340], mcpauth.ReasonSignature),
		outcome("signature with a byte appended", PEM, parts[0]+"."+parts[1]+"."+enc(append(mustDecode(tb, parts[2]), 0)), mcpauth.ReasonSignature),
		outcome("signature from attacker key", PEM, attacker(`{"alg":"RS256","typ":"JWT"}`), mcpauth.ReasonSignature),
		outcome("signature padded", PEM, good+"==", mcpauth.ReasonMalformed),
		outcome("signature std base64", PEM, parts[0]+"."+parts[1]+"."+strings.NewReplacer("-", "+", "_", "/").Replace(parts[2])+"+/", mcpauth.ReasonMalformed),
		outcome("non-zero trailing bits", PEM, parts[0]+"."+parts[1]+"."+flipLast(parts[2]), mcpauth.ReasonMalformed),
		outcome("payload tampered", PEM, parts[0]+"."+enc([]byte(strings.Replace(claims, "read write", "read write admin", 1)))+"."+parts[2], mcpauth.ReasonSignature),
		outcome("payload swapped from another token", PEM, parts[0]+"."+strings.Split(attacker(`{"alg":"RS256"}`), ".")[1]+"x."+parts[2], mcpauth.ReasonSignature),
		outcome("payload padded, signed as sent", PEM, signInput(tb, f, parts[0]+"."+base64.URLEncoding.EncodeToString([]byte(claims+" "))), mcpauth.ReasonMalformed).
			withHTTP(http.StatusBadRequest, "invalid_request").
			because("the issuer's key signed the padded form: the signature verifies, the payload decoding does not; '=' inside the token is not b64token syntax, so the middleware answers 400 first"),
		outcome("payload std base64, signed as sent", PEM, signInput(tb, f, parts[0]+"."+base64.RawStdEncoding.EncodeToString([]byte(stdClaims))), mcpauth.ReasonMalformed),
		outcome("payload padded, original signature", PEM, parts[0]+"."+parts[1]+"=."+parts[2], mcpauth.ReasonMalformed).
			withHTTP(http.StatusBadRequest, "invalid_request"),
		outcome("header tampered", PEM, enc([]byte(`{"alg":"RS256","typ":"JWT","x":1}`))+"."+parts[1]+"."+parts[2], mcpauth.ReasonSignature),
		outcome("header padded", PEM, enc([]byte(`{"alg":"RS256"}`))+"=."+parts[1]+"."+parts[2], mcpauth.ReasonMalformed).
			withHTTP(http.StatusBadRequest, "invalid_request"),
	)

	// ECDSA signatures (RFC 7518 §3.4), on the JWK Set's P-256 key.
	ecTok := f.mint(tb, f.EC, nil, nil)
	ecParts := strings.Split(ecTok, ".")
	ecSig := mustDecode(tb, ecParts[2])
	ecWith := func(sig []byte) string { return ecParts[0] + "." + ecParts[1] + "." + enc(sig) }
	add(ecdsaCases(tb, f, ecWith, ecSig)...)

	// Structure.
	add(
		outcome("two segments", PEM, parts[0]+"."+parts[1], mcpauth.ReasonMalformed),
		outcome("one segment", PEM, parts[0], mcpauth.ReasonMalformed),
		outcome("four segments", PEM, good+".AAAA", mcpauth.ReasonMalformed),
		outcome("JWE five segments", PEM, "a.b.c.d.e", mcpauth.ReasonMalformed),
		outcome("empty segments", PEM, "..", mcpauth.ReasonMalformed),
		outcome("empty header segment", PEM, "."+parts[1]+"."+parts[2], mcpauth.ReasonMalformed),
		outcome("many dots", PEM, strings.Repeat(".", 5000), mcpauth.ReasonMalformed),
		outcome("many dots after a valid token", PEM, good+strings.Repeat(".", 5000), mcpauth.ReasonMalformed),
		outcome("empty", PEM, "", mcpauth.ReasonMalformed).
			withHTTP(http.StatusBadRequest, "invalid_request").withExit(ExitUsage).
			because(`"Bearer " without a token is a malformed request (RFC 6750 §3.1); the CLI refuses empty input as a usage error`),
		outcome("newline inside", PEM, parts[0]+".\n"+parts[1]+"."+parts[2], mcpauth.ReasonMalformed).
			withHTTP(http.StatusBadRequest, "invalid_request").
			because("cannot be sent in a header field; given to the middleware in process, it is not b64token syntax"),
		outcome("space inside", PEM, parts[0]+". "+parts[1]+"."+parts[2], mcpauth.ReasonMalformed).
			withHTTP(http.StatusBadRequest, "invalid_request").
			because("not RFC 6750 b64token syntax, so the middleware refuses the request before the verifier sees it"),
		outcome("non-ASCII inside", PEM, parts[0]+".é"+parts[1]+"."+parts[2], mcpauth.ReasonMalformed).
			withHTTP(http.StatusBadRequest, "invalid_request"),
		outcome("oversized", PEM, parts[0]+"."+strings.Repeat("A", verify.DefaultMaxTokenBytes)+"."+parts[2], mcpauth.ReasonTooLarge),
		outcome("oversized many dots", PEM, strings.Repeat(".", verify.DefaultMaxTokenBytes+1), mcpauth.ReasonTooLarge),
		outcome("header not JSON", PEM, enc([]byte("not json"))+"."+parts[1]+"."+parts[2], mcpauth.ReasonMalformed),
		outcome("header array", PEM, enc([]byte(`["alg","RS256"]`))+"."+parts[1]+"."+parts[2], mcpauth.ReasonMalformed),
		outcome("claims array", PEM, rawClaims(`[1,2]`), mcpauth.ReasonMalformed),
		outcome("claims trailing data", PEM, rawClaims(claims+`{}`), mcpauth.ReasonMalformed),
		outcome("claims are a nested JWT string", PEM, rawClaims(`"`+good+`"`), mcpauth.ReasonMalformed),
	)

	// Header extensions and typing (RFC 8725 §3.11; RFC 7515 §4.1.11;
	// RFC 7797; RFC 9068 §2.1).
	add(
		outcome("crit unknown", PEM, rawHeader(`{"alg":"RS256","crit":["exp"],"exp":1}`), mcpauth.ReasonBadHeader),
		outcome("crit unknown, member absent", PEM, rawHeader(`{"alg":"RS256","crit":["urn:example:x"]}`), mcpauth.ReasonBadHeader),
		outcome("crit b64", PEM, rawHeader(`{"alg":"RS256","crit":["b64"],"b64":false}`), mcpauth.ReasonBadHeader),
		outcome("crit registered name alg", PEM, rawHeader(`{"alg":"RS256","crit":["alg"]}`), mcpauth.ReasonBadHeader),
		outcome("crit empty", PEM, rawHeader(`{"alg":"RS256","crit":[]}`), mcpauth.ReasonBadHeader),
		outcome("crit not an array", PEM, rawHeader(`{"alg":"RS256","crit":"exp"}`), mcpauth.ReasonBadHeader),
		outcome("b64 false", PEM, rawHeader(`{"alg":"RS256","b64":false}`), mcpauth.ReasonBadHeader),
		outcome("b64 string", PEM, rawHeader(`{"alg":"RS256","b64":"false"}`), mcpauth.ReasonBadHeader),
		outcome("zip", PEM, rawHeader(`{"alg":"RS256","zip":"DEF"}`), mcpauth.ReasonBadHeader),
		outcome("zip empty", PEM, rawHeader(`{"alg":"RS256","zip":""}`), mcpauth.ReasonBadHeader),
		outcome("nested JWT", PEM, rawHeader(`{"alg":"RS256","cty":"JWT"}`), mcpauth.ReasonBadHeader),
		outcome("nested JWT lower case", PEM, rawHeader(`{"alg":"RS256","cty":"jwt"}`), mcpauth.ReasonBadHeader),
		outcome("cty json", PEM, rawHeader(`{"alg":"RS256","cty":"application/json"}`), mcpauth.ReasonBadHeader),
		outcome("enc header", PEM, rawHeader(`{"alg":"RS256","enc":"A128GCM"}`), mcpauth.ReasonBadHeader),
		outcome("typ id token", PEM, rawHeader(`{"alg":"RS256","typ":"id_token+jwt"}`), mcpauth.ReasonBadHeader),
		outcome("typ logout token", PEM, rawHeader(`{"alg":"RS256","typ":"logout+jwt"}`), mcpauth.ReasonBadHeader),
		outcome("typ security event token", PEM, rawHeader(`{"alg":"RS256","typ":"secevent+jwt"}`), mcpauth.ReasonBadHeader),
		outcome("typ DPoP proof", PEM, rawHeader(`{"alg":"RS256","typ":"dpop+jwt"}`), mcpauth.ReasonBadHeader),
		outcome("typ JOSE", PEM, rawHeader(`{"alg":"RS256","typ":"JOSE"}`), mcpauth.ReasonBadHeader),
		outcome("typ empty", PEM, rawHeader(`{"alg":"RS256","typ":""}`), mcpauth.ReasonBadHeader),
		outcome("typ number", PEM, rawHeader(`{"alg":"RS256","typ":1}`), mcpauth.ReasonBadHeader),
	)

	// JSON ambiguity (RFC 8725 §3.4 UTF-8; RFC 7515 §5.2 duplicate members).
	add(
		outcome("duplicate alg", PEM, rawHeader(`{"alg":"RS256","alg":"none"}`), mcpauth.ReasonMalformed),
		outcome("duplicate iss", PEM, claimsWith(`,"iss":"https://evil.example.com"`), mcpauth.ReasonMalformed),
		outcome("duplicate exp", PEM, claimsWith(`,"exp":4102444800`), mcpauth.ReasonMalformed),
		outcome("duplicate scope", PEM, rawClaims(base+`,"scope":"read write admin"}`), mcpauth.ReasonMalformed),
		outcome("duplicate nested member", PEM, claimsWith(`,"ctx":{"a":1,"a":2}`), mcpauth.ReasonMalformed),
		outcome("header name case variant", PEM, rawHeader(`{"alg":"RS256","ALG":"none"}`), mcpauth.ReasonBadHeader),
		outcome("header kid case variant", PEM, rawHeader(`{"alg":"RS256","Kid":"x"}`), mcpauth.ReasonBadHeader),
		outcome("claim EXP only", PEM, rawClaims(`{"iss":"`+Issuer+`","aud":"`+Audience+`","EXP":`+itoa(exp)+`}`), mcpauth.ReasonBadClaims),
		outcome("claim Aud beside aud", PEM, claimsWith(`,"Aud":"x"`), mcpauth.ReasonBadClaims),
		outcome("claim SCOPE", PEM, claimsWith(`,"SCOPE":"admin"`), mcpauth.ReasonBadClaims),
		outcome("header kid with the Kelvin sign", PEM, rawHeader(`{"alg":"RS256","\u212Aid":"x"}`), mcpauth.ReasonBadHeader),
		outcome("claim scope with the long s", PEM, claimsWith(`,"\u017Fcope":"admin"`), mcpauth.ReasonBadClaims),
		outcome("invalid UTF-8 in claims", PEM, claimsWith(",\"sub\":\"\xff\xfe\""), mcpauth.ReasonMalformed),
		outcome("overlong UTF-8 in claims", PEM, claimsWith(",\"sub\":\"\xc0\xaf\""), mcpauth.ReasonMalformed),
		outcome("invalid UTF-8 in header", PEM, rawHeader("{\"alg\":\"RS256\",\"x\":\"\xc3\x28\"}"), mcpauth.ReasonMalformed),
		outcome("lone high surrogate", PEM, claimsWith(`,"sub":"\ud800"`), mcpauth.ReasonMalformed),
		outcome("lone low surrogate", PEM, claimsWith(`,"sub":"\udc00x"`), mcpauth.ReasonMalformed),
		outcome("reversed surrogates", PEM, claimsWith(`,"sub":"\udc00\ud800"`), mcpauth.ReasonMalformed),
		outcome("deep nesting", PEM, claimsWith(`,"x":`+strings.Repeat("[", 40)+strings.Repeat("]", 40)), mcpauth.ReasonMalformed),
		outcome("BOM before claims", PEM, rawClaims("\ufeff"+claims), mcpauth.ReasonMalformed),
	)

	// Time claims and NumericDates (RFC 7519 §2, §4.1.4-6).
	add(
		outcome("expired", PEM, withClaims(map[string]any{"exp": f.Now.Add(-time.Hour).Unix()}), mcpauth.ReasonExpired),
		outcome("expired beyond the leeway", PEM, withClaims(map[string]any{"exp": f.Now.Add(-verify.DefaultLeeway - 2*time.Second).Unix()}), mcpauth.ReasonExpired),
		outcome("not yet valid", PEM, withClaims(map[string]any{"nbf": f.Now.Add(time.Hour).Unix()}), mcpauth.ReasonNotYetValid),
		outcome("issued in the future", PEM, withClaims(map[string]any{"iat": f.Now.Add(time.Hour).Unix()}), mcpauth.ReasonIssuedInFuture),
		outcome("missing exp", PEM, withClaims(map[string]any{"exp": nil}), mcpauth.ReasonBadClaims),
		outcome("exp string", PEM, withClaims(map[string]any{"exp": itoa(exp)}), mcpauth.ReasonBadClaims),
		outcome("exp null", PEM, withClaims(map[string]any{"exp": raw(`null`)}), mcpauth.ReasonBadClaims),
		outcome("exp 1e300", PEM, withClaims(map[string]any{"exp": raw(`1e300`)}), mcpauth.ReasonBadClaims),
		outcome("exp beyond int64", PEM, withClaims(map[string]any{"exp": raw(`9223372036854775808`)}), mcpauth.ReasonBadClaims),
		outcome("exp negative", PEM, withClaims(map[string]any{"exp": -1}), mcpauth.ReasonBadClaims),
		outcome("exp bool", PEM, withClaims(map[string]any{"exp": true}), mcpauth.ReasonBadClaims),
		outcome("exp array", PEM, withClaims(map[string]any{"exp": []int64{exp}}), mcpauth.ReasonBadClaims),
		outcome("nbf 1e300 overflow", PEM, withClaims(map[string]any{"nbf": raw(`1e300`)}), mcpauth.ReasonBadClaims),
		outcome("nbf -1e300", PEM, withClaims(map[string]any{"nbf": raw(`-1e300`)}), mcpauth.ReasonBadClaims),
		outcome("nbf string", PEM, withClaims(map[string]any{"nbf": "0"}), mcpauth.ReasonBadClaims),
		outcome("iat string", PEM, withClaims(map[string]any{"iat": "0"}), mcpauth.ReasonBadClaims),
		outcome("iat huge", PEM, withClaims(map[string]any{"iat": int64(99999999999999)}), mcpauth.ReasonBadClaims),
	)

	// Issuer and audience (RFC 8725 §3.8, §3.9; RFC 9068 §4; MCP).
	add(
		outcome("issuer wrong", PEM, withClaims(map[string]any{"iss": "https://evil.example.com"}), mcpauth.ReasonIssuer),
		outcome("issuer missing", PEM, withClaims(map[string]any{"iss": nil}), mcpauth.ReasonIssuer),
		outcome("issuer upper case", PEM, withClaims(map[string]any{"iss": strings.ToUpper(Issuer)}), mcpauth.ReasonIssuer),
		outcome("issuer host case variant", PEM, withClaims(map[string]any{"iss": "https://Issuer.example.com"}), mcpauth.ReasonIssuer),
		outcome("issuer trailing slash", PEM, withClaims(map[string]any{"iss": Issuer + "/"}), mcpauth.ReasonIssuer),
		outcome("issuer array", PEM, withClaims(map[string]any{"iss": []string{Issuer}}), mcpauth.ReasonIssuer),
		outcome("issuer number", PEM, withClaims(map[string]any{"iss": 1}), mcpauth.ReasonIssuer),
		outcome("audience wrong", PEM, withClaims(map[string]any{"aud": "https://other.example.com/mcp"}), mcpauth.ReasonAudience),
		outcome("audience missing", PEM, withClaims(map[string]any{"aud": nil}), mcpauth.ReasonAudience),
		outcome("audience upper case", PEM, withClaims(map[string]any{"aud": strings.ToUpper(Audience)}), mcpauth.ReasonAudience),
		outcome("audience trailing slash", PEM, withClaims(map[string]any{"aud": Audience + "/"}), mcpauth.ReasonAudience),
		outcome("audience prefix", PEM, withClaims(map[string]any{"aud": "https://mcp.example.com"}), mcpauth.ReasonAudience),
		outcome("audience empty array", PEM, withClaims(map[string]any{"aud": []string{}}), mcpauth.ReasonAudience),
		outcome("audience array of numbers", PEM, withClaims(map[string]any{"aud": []int{1}}), mcpauth.ReasonAudience),
		outcome("audience array with null", PEM, withClaims(map[string]any{"aud": raw(`["` + Audience + `",null]`)}), mcpauth.ReasonAudience),
		outcome("audience array with an object", PEM, withClaims(map[string]any{"aud": raw(`["` + Audience + `",{}]`)}), mcpauth.ReasonAudience),
		outcome("audience object", PEM, withClaims(map[string]any{"aud": map[string]string{"aud": Audience}}), mcpauth.ReasonAudience),
		outcome("audience number", PEM, withClaims(map[string]any{"aud": 1}), mcpauth.ReasonAudience),
	)

	// Claim types.
	add(
		outcome("sub number", PEM, withClaims(map[string]any{"sub": 1}), mcpauth.ReasonBadClaims),
		outcome("client_id array", PEM, withClaims(map[string]any{"client_id": []string{"a"}}), mcpauth.ReasonBadClaims),
		outcome("azp object", PEM, withClaims(map[string]any{"azp": map[string]any{}}), mcpauth.ReasonBadClaims),
		outcome("jti number", PEM, withClaims(map[string]any{"jti": 1}), mcpauth.ReasonBadClaims),
		outcome("scope array", PEM, withClaims(map[string]any{"scope": []string{"read"}}), mcpauth.ReasonBadClaims),
		outcome("scp with number", PEM, withClaims(map[string]any{"scope": nil, "scp": raw(`["read",1]`)}), mcpauth.ReasonBadClaims),
		outcome("scp null", PEM, withClaims(map[string]any{"scope": nil, "scp": raw(`null`)}), mcpauth.ReasonBadClaims),
	)

	// Scopes (RFC 6750 §3.1 insufficient_scope; MCP step-up).
	add(
		outcome("scope missing the required one", PEM, withClaims(map[string]any{"scope": "write"}), mcpauth.ReasonInsufficientScope),
		outcome("no scope claim", PEM, withClaims(map[string]any{"scope": nil}), mcpauth.ReasonInsufficientScope),
		outcome("scope case variant", PEM, withClaims(map[string]any{"scope": "READ"}), mcpauth.ReasonInsufficientScope),
		outcome("scope as a prefix", PEM, withClaims(map[string]any{"scope": "readonly"}), mcpauth.ReasonInsufficientScope),
		outcome("scope comma separated", PEM, withClaims(map[string]any{"scope": "read,write"}), mcpauth.ReasonInsufficientScope),
		outcome("jwks: scope missing", JWKS, f.mint(tb, f.RSA, nil, map[string]any{"scope": "write"}), mcpauth.ReasonInsufficientScope),
		outcome("scp array grants the scope", PEM, withClaims(map[string]any{"scope": nil, "scp": []string{"read"}}), ""),
		outcome("scope takes precedence over scp", PEM, withClaims(map[string]any{"scope": "write", "scp": []string{"read"}}), mcpauth.ReasonInsufficientScope),
	)
	add(providerCases(tb, f)...)

	// Only U+0020 separates scopes (RFC 6749 §3.3): a scope string with any
	// other whitespace, or any character outside the scope-token set, is
	// refused whole, never split into a scope the issuer did not grant.
	noScope := `{"iss":"` + Issuer + `","aud":"` + Audience + `","exp":` + itoa(exp)
	for _, sep := range []struct{ name, json string }{ // JSON text of the separator
		{"no-break space", `\u00a0`}, {"line separator", `\u2028`}, {"paragraph separator", `\u2029`},
		{"next line", `\u0085`}, {"ideographic space", `\u3000`}, {"em space", `\u2003`},
		{"tab", `\t`}, {"line feed", `\n`}, {"carriage return", `\r`}, {"vertical tab", `\u000b`},
		{"form feed", `\f`}, {"quote", `\"`}, {"backslash", `\\`}, {"raw no-break space", "\u00a0"},
	} {
		add(
			outcome("scope split on "+sep.name, PEM, rawClaims(noScope+`,"scope":"write`+sep.json+`read"}`), mcpauth.ReasonBadClaims),
			outcome("scp string split on "+sep.name, PEM, rawClaims(noScope+`,"scp":"write`+sep.json+`read"}`), mcpauth.ReasonBadClaims),
		)
	}
	add(
		outcome("scp member with two scopes", PEM, withClaims(map[string]any{"scope": nil, "scp": []string{"write read"}}), mcpauth.ReasonBadClaims),
		outcome("scp member empty", PEM, withClaims(map[string]any{"scope": nil, "scp": []string{"read", ""}}), mcpauth.ReasonBadClaims),
		outcome("scope with runs of spaces grants the scope", PEM, withClaims(map[string]any{"scope": "  write   read "}), ""),
	)
	return f, cases
}

// signInput signs the signing input exactly as given (which may not be
// base64url) with the trusted RSA key, RS256.
func signInput(tb testing.TB, f *Fixture, input string) string {
	tb.Helper()
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, f.RSA.Private().(*rsa.PrivateKey), crypto.SHA256, sum[:])
	if err != nil {
		tb.Fatal(err)
	}
	return input + "." + enc(sig)
}

// ecdsaCases are malformed ECDSA signatures for the JWK Set's P-256 key.
// ecWith replaces the signature of a valid ES256 token; sig is its r||s.
func ecdsaCases(tb testing.TB, f *Fixture, ecWith func([]byte) string, sig []byte) []Case {
	tb.Helper()
	n := f.EC.Public().(*ecdsa.PublicKey).Curve.Params().N
	fixed := func(x *big.Int) []byte { return x.FillBytes(make([]byte, 32)) }
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	highS := new(big.Int).Sub(n, s)
	der, err := asn1.Marshal(struct{ R, S *big.Int }{r, s})
	if err != nil {
		tb.Fatal(err)
	}
	zero := make([]byte, 32)
	cat := func(a, b []byte) []byte { return append(append([]byte{}, a...), b...) }
	return []Case{
		outcome("jwks: ECDSA r=s=0", JWKS, ecWith(make([]byte, 64)), mcpauth.ReasonSignature),
		outcome("jwks: ECDSA r=0", JWKS, ecWith(cat(zero, sig[32:])), mcpauth.ReasonSignature),
		outcome("jwks: ECDSA s=0", JWKS, ecWith(cat(sig[:32], zero)), mcpauth.ReasonSignature),
		outcome("jwks: ECDSA r=s=n", JWKS, ecWith(cat(fixed(n), fixed(n))), mcpauth.ReasonSignature),
		outcome("jwks: ECDSA r+n, s+n", JWKS, ecWith(cat(new(big.Int).Add(r, n).FillBytes(make([]byte, 33))[1:], new(big.Int).Add(s, n).FillBytes(make([]byte, 33))[1:])), mcpauth.ReasonSignature),
		outcome("jwks: ECDSA DER instead of r||s", JWKS, ecWith(der), mcpauth.ReasonSignature),
		outcome("jwks: ECDSA 63 bytes", JWKS, ecWith(sig[1:]), mcpauth.ReasonSignature),
		outcome("jwks: ECDSA 65 bytes", JWKS, ecWith(append([]byte{0}, sig...)), mcpauth.ReasonSignature),
		outcome("jwks: ECDSA s and r swapped", JWKS, ecWith(cat(sig[32:], sig[:32])), mcpauth.ReasonSignature),
		outcome("jwks: ECDSA empty", JWKS, ecWith(nil)+"", mcpauth.ReasonMalformed),
		outcome("jwks: ECDSA high-S", JWKS, ecWith(cat(sig[:32], fixed(highS))), "").
			because("ECDSA signatures are malleable: (r, n-s) verifies like (r, s). RFC 7518 does not require low-S and Go's crypto/ecdsa accepts both; the claims are unchanged, so this is not a forgery, but the token string differs (do not use it as a unique ID)"),
	}
}

// mustJSON encodes v.
func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// mustDecode decodes an unpadded base64url segment.
func mustDecode(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
