package testkeys_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// rfc7638N is the modulus of the RSA key in RFC 7638 §3.1 (the key of RFC
// 7517 Appendix A.1).
const rfc7638N = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"

// rfc7638Thumbprint is the thumbprint RFC 7638 §3.1 gives for that key.
const rfc7638Thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

func TestThumbprintRFC7638Example(t *testing.T) {
	// Extra members (alg, kid, use) do not take part in the thumbprint.
	jwk := testkeys.JWK{Kty: "RSA", N: rfc7638N, E: "AQAB", Alg: "RS256", Kid: "2011-04-29", Use: "sig"}
	got, err := jwk.Thumbprint()
	if err != nil {
		t.Fatal(err)
	}
	if got != rfc7638Thumbprint {
		t.Errorf("Thumbprint() = %q, want %q", got, rfc7638Thumbprint)
	}
}

// RFC 8037 Appendix A: an Ed25519 key, its thumbprint and a signature.
const (
	rfc8037Seed       = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
	rfc8037X          = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
	rfc8037Thumbprint = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
	rfc8037JWS        = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)

func TestEd25519KnownAnswersRFC8037(t *testing.T) {
	seed, err := base64.RawURLEncoding.DecodeString(rfc8037Seed)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := testkeys.NewEd25519KeyPair(ed25519.NewKeyFromSeed(seed))
	if err != nil {
		t.Fatal(err)
	}
	if kp.JWK().X != rfc8037X {
		t.Errorf("JWK x = %q, want %q", kp.JWK().X, rfc8037X)
	}
	if kp.KeyID() != rfc8037Thumbprint {
		t.Errorf("KeyID() = %q, want %q", kp.KeyID(), rfc8037Thumbprint)
	}
	token, err := testkeys.SignCompact(kp, "EdDSA", []byte(`{"alg":"EdDSA"}`), []byte("Example of Ed25519 signing"))
	if err != nil {
		t.Fatal(err)
	}
	if token != rfc8037JWS {
		t.Errorf("SignCompact() = %q\nwant %q", token, rfc8037JWS)
	}
}

func TestKeyIDMatchesIndependentThumbprint(t *testing.T) {
	thumb := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return base64.RawURLEncoding.EncodeToString(sum[:])
	}
	b64 := base64.RawURLEncoding.EncodeToString
	rsaKP := testkeystest.SharedRSAKeyPair(t)
	rsaPub := rsaKP.Public().(*rsa.PublicKey)
	ecKP := testkeystest.SharedECKeyPair(t)
	point, err := ecKP.Public().(*ecdsa.PublicKey).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	edKP := testkeystest.SharedEd25519KeyPair(t)
	tests := []struct {
		name      string
		kp        *testkeys.KeyPair
		canonical string
	}{
		{"RSA", rsaKP, fmt.Sprintf(`{"e":"AQAB","kty":"RSA","n":"%s"}`, b64(rsaPub.N.Bytes()))},
		{"EC", ecKP, fmt.Sprintf(`{"crv":"P-256","kty":"EC","x":"%s","y":"%s"}`, b64(point[1:33]), b64(point[33:]))},
		{"Ed25519", edKP, fmt.Sprintf(`{"crv":"Ed25519","kty":"OKP","x":"%s"}`, b64(edKP.Public().(ed25519.PublicKey)))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if want := thumb(tc.canonical); tc.kp.KeyID() != want {
				t.Errorf("KeyID() = %q, want %q (thumbprint of %s)", tc.kp.KeyID(), want, tc.canonical)
			}
		})
	}
}

func TestThumbprintErrors(t *testing.T) {
	tests := []struct {
		name string
		jwk  testkeys.JWK
		want string
	}{
		{"no kty", testkeys.JWK{N: "x", E: "AQAB"}, `unsupported kty ""`},
		{"symmetric", testkeys.JWK{Kty: "oct"}, `unsupported kty "oct"`},
		{"RSA without n", testkeys.JWK{Kty: "RSA", E: "AQAB"}, `RSA key has no "n" member`},
		{"RSA without e", testkeys.JWK{Kty: "RSA", N: "x"}, `RSA key has no "e" member`},
		{"EC without crv", testkeys.JWK{Kty: "EC", X: "x", Y: "y"}, `EC key has no "crv" member`},
		{"EC without y", testkeys.JWK{Kty: "EC", Crv: "P-256", X: "x"}, `EC key has no "y" member`},
		{"OKP without x", testkeys.JWK{Kty: "OKP", Crv: "Ed25519"}, `OKP key has no "x" member`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.jwk.Thumbprint()
			if !errors.Is(err, testkeys.ErrInvalidKey) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want ErrInvalidKey mentioning %q", err, tc.want)
			}
		})
	}
}

func TestJWKMembers(t *testing.T) {
	b64 := base64.RawURLEncoding.EncodeToString
	rsaKP := testkeystest.SharedRSAKeyPair(t)
	ecKP := testkeystest.SharedECKeyPair(t)
	point, err := ecKP.Public().(*ecdsa.PublicKey).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	edKP := testkeystest.SharedEd25519KeyPair(t)
	tests := []struct {
		name string
		kp   *testkeys.KeyPair
		want map[string]string
	}{
		{"RSA", rsaKP, map[string]string{
			"kty": "RSA", "kid": rsaKP.KeyID(), "use": "sig", "alg": "RS256",
			"n": b64(rsaKP.Public().(*rsa.PublicKey).N.Bytes()), "e": "AQAB",
		}},
		{"EC", ecKP, map[string]string{
			"kty": "EC", "kid": ecKP.KeyID(), "use": "sig", "alg": "ES256",
			"crv": "P-256", "x": b64(point[1:33]), "y": b64(point[33:]),
		}},
		{"Ed25519", edKP, map[string]string{
			"kty": "OKP", "kid": edKP.KeyID(), "use": "sig", "alg": "EdDSA",
			"crv": "Ed25519", "x": b64(edKP.Public().(ed25519.PublicKey)),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.kp.JWK())
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]string
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("JWK JSON %s: %v", b, err)
			}
			if len(got) != len(tc.want) {
				t.Errorf("JWK JSON = %s, want exactly the members %v", b, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("member %q = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestECJWKCoordinatesArePadded(t *testing.T) {
	// Find a key whose x coordinate starts with a zero byte (1 in 256), which
	// a naive big.Int encoding would shorten.
	var key *ecdsa.PrivateKey
	for range 20000 {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := k.PublicKey.Bytes(); p[1] == 0 {
			key = k
			break
		}
	}
	if key == nil {
		t.Fatal("found no key with a leading zero byte")
	}
	kp, err := testkeys.NewECKeyPair(key)
	if err != nil {
		t.Fatal(err)
	}
	x, err := base64.RawURLEncoding.DecodeString(kp.JWK().X)
	if err != nil {
		t.Fatal(err)
	}
	if len(x) != 32 || x[0] != 0 {
		t.Errorf("x has %d bytes, want 32 starting with a zero byte", len(x))
	}
}

func TestRSAJWKRoundTrip(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	jwk := kp.JWK()
	n, err := base64.RawURLEncoding.DecodeString(jwk.N)
	if err != nil {
		t.Fatal(err)
	}
	e, err := base64.RawURLEncoding.DecodeString(jwk.E)
	if err != nil {
		t.Fatal(err)
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	if !pub.Equal(kp.Public()) {
		t.Error("n and e do not rebuild the public key")
	}
	if n[0] == 0 {
		t.Error("n has a leading zero byte")
	}
}

func TestJWKS(t *testing.T) {
	rsaKP, ecKP, edKP := testkeystest.SharedRSAKeyPair(t), testkeystest.SharedECKeyPair(t), testkeystest.SharedEd25519KeyPair(t)
	doc, err := testkeys.JWKS(rsaKP, ecKP, edKP, rsaKP)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(doc, &top); err != nil {
		t.Fatal(err)
	}
	if len(top) != 1 || top["keys"] == nil {
		t.Fatalf("JWKS = %s, want only a keys member", doc)
	}
	var set testkeys.JWKSet
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatal(err)
	}
	want := []testkeys.JWK{rsaKP.JWK(), ecKP.JWK(), edKP.JWK(), rsaKP.JWK()}
	if len(set.Keys) != len(want) {
		t.Fatalf("JWKS has %d keys, want %d", len(set.Keys), len(want))
	}
	for i := range want {
		if set.Keys[i] != want[i] {
			t.Errorf("key %d = %+v, want %+v", i, set.Keys[i], want[i])
		}
	}

	empty, err := testkeys.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	if string(empty) != `{"keys":[]}` {
		t.Errorf("JWKS() = %s, want {\"keys\":[]}", empty)
	}

	if _, err := testkeys.JWKS(rsaKP, nil); !errors.Is(err, testkeys.ErrInvalidKey) || !strings.Contains(err.Error(), "key pair 1 is nil") {
		t.Errorf("nil pair: error = %v, want ErrInvalidKey naming pair 1", err)
	}
}
