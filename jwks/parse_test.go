package jwks

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

func TestParseKeySkips(t *testing.T) {
	k := testKeys(t)
	rsaKey := rsaJWK("bad", &k.rsa1.PublicKey)
	p256 := ecJWK(t, "bad", &k.p256.PublicKey)
	ed := edJWK("bad", k.edPub())
	x, y := ecXY(t, &k.p256.PublicKey)
	badY := slices.Clone(y)
	badY[len(badY)-1] ^= 1
	evenN := new(big.Int).Add(k.rsa1.N, big.NewInt(1))
	hugeN := new(big.Int).Or(new(big.Int).Lsh(big.NewInt(1), 16400), big.NewInt(1))
	hugeE := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 40), big.NewInt(1))
	e := func(v int64) string { return b64(big.NewInt(v).Bytes()) }
	rs256Only := algSet(1 << algRS256)
	warn, debug := slog.LevelWarn, slog.LevelDebug

	tests := []struct {
		name    string
		member  any
		allowed algSet // zero: all
		want    string
		level   slog.Level
	}{
		// key type and curve
		{"unknown kty", rsaKey.with("kty", "XYZ"), 0, `unsupported kty "XYZ"`, debug},
		{"lower-case kty", rsaKey.with("kty", "rsa"), 0, `unsupported kty "rsa"`, debug},
		{"missing kty", rsaKey.with("kty", nil), 0, `missing "kty"`, warn},
		{"symmetric oct", jwk{"kty": "oct", "kid": "bad", "k": b64([]byte("0123456789abcdef0123456789abcdef"))}, 0, "symmetric key (kty oct)", warn},
		{"oct without k", jwk{"kty": "oct", "kid": "bad"}, 0, "symmetric key", warn},
		{"EC secp256k1", p256.with("crv", "secp256k1"), 0, `unsupported EC curve "secp256k1"`, debug},
		{"EC without crv", p256.with("crv", nil), 0, `EC key without "crv"`, warn},
		{"OKP Ed448", ed.with("crv", "Ed448"), 0, `OKP curve Ed448 is not supported: the Go standard library has no Ed448`, debug},
		{"OKP Ed448 alg Ed448", ed.with("crv", "Ed448", "alg", "Ed448"), 0, `OKP curve Ed448 is not supported`, debug},
		{"OKP X25519", ed.with("crv", "X25519"), 0, `"X25519" is for key agreement`, debug},
		{"OKP without crv", ed.with("crv", nil), 0, `OKP key without "crv"`, warn},
		// invalid key material
		{"EC point off the curve", p256.with("y", b64(badY)), 0, "invalid key", warn},
		{"EC P-384 point labelled P-256", ecJWK(t, "bad", &k.p384.PublicKey).with("crv", "P-256"), 0, "invalid key", warn},
		{"EC missing x", p256.with("x", nil), 0, "invalid key", warn},
		{"EC x not base64", p256.with("x", "!!!"), 0, "invalid key", warn},
		{"Ed25519 short key", ed.with("x", b64(k.edPub()[:31])), 0, "invalid key", warn},
		{"RSA 1024 bits", rsaJWK("bad", &k.rsaWeak.PublicKey), 0, "RSA modulus is 1024 bits; at least 2048", warn},
		{"RSA huge modulus", rsaKey.with("n", b64(hugeN.Bytes())), 0, "at most 16384", warn},
		{"RSA even modulus", rsaKey.with("n", b64(evenN.Bytes())), 0, "invalid RSA modulus (even)", warn},
		{"RSA exponent 1", rsaKey.with("e", e(1)), 0, "invalid key", warn},
		{"RSA exponent 2", rsaKey.with("e", e(2)), 0, "invalid RSA public exponent 2", warn},
		{"RSA even exponent", rsaKey.with("e", e(65536)), 0, "invalid RSA public exponent 65536", warn},
		{"RSA exponent overflow", rsaKey.with("e", b64(hugeE.Bytes())), 0, "invalid key", warn},
		{"RSA missing n", rsaKey.with("n", nil), 0, "invalid key", warn},
		{"RSA n not base64", rsaKey.with("n", "@@@"), 0, "invalid key", warn},
		{"RSA garbage x5c", rsaKey.with("x5c", []string{"bm90IGEgY2VydGlmaWNhdGU="}), 0, "invalid key", warn},
		{"private EC key", p256.with("d", b64(mustECBytes(t, k.p256))), 0, "private key material", warn},
		{"private RSA key", rsaKey.with("d", b64(k.rsa1.D.Bytes())), 0, "private key material", warn},
		{"RSA prime", rsaKey.with("p", b64(k.rsa1.Primes[0].Bytes())), 0, "private key material", warn},
		// use and key_ops
		{"use enc", rsaKey.with("use", "enc"), 0, `use "enc" is not "sig"`, debug},
		{"use unknown", rsaKey.with("use", "signature"), 0, `use "signature" is not "sig"`, debug},
		{"key_ops encrypt", rsaKey.with("key_ops", []string{"encrypt"}), 0, `does not include "verify"`, debug},
		{"key_ops sign only", p256.with("key_ops", []string{"sign"}), 0, `does not include "verify"`, debug},
		{"key_ops empty", ed.with("key_ops", []string{}), 0, `does not include "verify"`, debug},
		// JWK alg
		{"alg none", rsaKey.with("alg", "none"), 0, `alg "none" is not an asymmetric signature algorithm`, warn},
		{"alg HS256", rsaKey.with("alg", "HS256"), 0, `alg "HS256" is not an asymmetric`, warn},
		{"alg RSA-OAEP", rsaKey.with("alg", "RSA-OAEP"), 0, `unsupported alg "RSA-OAEP"`, debug},
		{"alg ES256K", p256.with("alg", "ES256K"), 0, `unsupported alg "ES256K"`, debug},
		{"alg ES256 on RSA", rsaKey.with("alg", "ES256"), 0, `alg "ES256" does not fit kty "RSA"`, warn},
		{"alg RS256 on EC", p256.with("alg", "RS256"), 0, `alg "RS256" does not fit kty "EC"`, warn},
		{"alg ES384 on P-256", p256.with("alg", "ES384"), 0, `alg "ES384" does not fit kty "EC" crv "P-256" (allowed: ES256)`, warn},
		{"alg ES256 on Ed25519", ed.with("alg", "ES256"), 0, `does not fit kty "OKP"`, warn},
		{"alg Ed448 on Ed25519", ed.with("alg", "Ed448"), 0, `alg "Ed448": Ed448 (RFC 9864) is not supported`, debug},
		{"alg Ed25519 on RSA", rsaKey.with("alg", "Ed25519"), 0, `alg "Ed25519" does not fit kty "RSA"`, warn},
		{"alg Ed25519 on EC", p256.with("alg", "Ed25519"), 0, `alg "Ed25519" does not fit kty "EC"`, warn},
		{"alg ed25519 wrong case", ed.with("alg", "ed25519"), 0, `unsupported alg "ed25519"`, debug},
		{"alg rs256 wrong case", rsaKey.with("alg", "rs256"), 0, `unsupported alg "rs256"`, debug},
		// Options.Algorithms
		{"EC key, RS256 allowed", p256, rs256Only, "key algorithms ES256 are not in Options.Algorithms", debug},
		{"Ed25519 alg Ed25519, EdDSA allowed", ed.with("alg", "Ed25519"), 1 << algEdDSA, "key algorithms Ed25519 are not in Options.Algorithms", debug},
		{"Ed25519 alg EdDSA, Ed25519 allowed", ed.with("alg", "EdDSA"), 1 << algEd25519, "key algorithms EdDSA are not in Options.Algorithms", debug},
		{"RSA alg PS256, RS256 allowed", rsaKey.with("alg", "PS256"), rs256Only, "PS256 are not in Options.Algorithms", debug},
		// malformed members
		{"kid is a number", rsaKey.with("kid", 7), 0, "malformed JWK member", warn},
		{"key_ops is a string", rsaKey.with("key_ops", "verify"), 0, "malformed JWK member", warn},
		{"n is a number", rsaKey.with("n", 12345), 0, "malformed JWK member", warn},
		{"number", 1, 0, "not a JSON object", warn},
		{"string", "RSA", 0, "not a JSON object", warn},
		{"null", nil, 0, "not a JSON object", warn},
		{"array", []any{rsaKey}, 0, "not a JSON object", warn},
	}
	secrets := []string{rsaKey["n"].(string), b64(x), b64(y), ed["x"].(string), b64(k.rsaWeak.N.Bytes())}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := json.Marshal(tt.member)
			if err != nil {
				t.Fatal(err)
			}
			allowed := tt.allowed
			if allowed == 0 {
				allowed = allAlgs
			}
			e, sk := parseKey(raw, allowed)
			if e != nil || sk == nil {
				t.Fatalf("parseKey accepted the member (entry %v)", e)
			}
			if !strings.Contains(sk.reason, tt.want) {
				t.Errorf("reason %q does not contain %q", sk.reason, tt.want)
			}
			if sk.level != tt.level {
				t.Errorf("level %v, want %v (reason %q)", sk.level, tt.level, sk.reason)
			}
			if m, ok := tt.member.(jwk); ok {
				if kid, _ := m["kid"].(string); sk.kid != kid {
					t.Errorf("kid %q, want %q", sk.kid, kid)
				}
			}
			for _, s := range secrets {
				if len(s) > 16 && strings.Contains(sk.reason, s[:16]) {
					t.Errorf("reason %q contains key material", sk.reason)
				}
			}
		})
	}
}

func TestParseKeyAccepts(t *testing.T) {
	k := testKeys(t)
	rsaKey := rsaJWK("k", &k.rsa1.PublicKey)
	rsaPSS := algSet(1<<algRS256 | 1<<algPS256)
	tests := []struct {
		name    string
		member  jwk
		allowed algSet
		key     any
		algs    string
	}{
		{"RSA without alg", rsaKey, 0, &k.rsa1.PublicKey, "RS256 RS384 RS512 PS256 PS384 PS512"},
		{"RSA alg RS256", rsaKey.with("alg", "RS256"), 0, &k.rsa1.PublicKey, "RS256"},
		{"RSA alg PS384", rsaKey.with("alg", "PS384"), 0, &k.rsa1.PublicKey, "PS384"},
		{"RSA use sig", rsaKey.with("use", "sig"), 0, &k.rsa1.PublicKey, "RS256 RS384 RS512 PS256 PS384 PS512"},
		{"RSA key_ops verify", rsaKey.with("key_ops", []string{"verify"}), 0, &k.rsa1.PublicKey, "RS256 RS384 RS512 PS256 PS384 PS512"},
		{"RSA key_ops sign+verify", rsaKey.with("key_ops", []string{"sign", "verify"}), 0, &k.rsa1.PublicKey, "RS256 RS384 RS512 PS256 PS384 PS512"},
		{"RSA restricted by allow-list", rsaKey, rsaPSS, &k.rsa1.PublicKey, "RS256 PS256"},
		{"RSA x5u over http ignored", rsaKey.with("x5u", "http://attacker.example/cert.pem"), 0, &k.rsa1.PublicKey, "RS256 RS384 RS512 PS256 PS384 PS512"},
		{"RSA unknown members", rsaKey.with("x-custom", 1, "ext", true), 0, &k.rsa1.PublicKey, "RS256 RS384 RS512 PS256 PS384 PS512"},
		{"RSA without kid", rsaKey.with("kid", nil), 0, &k.rsa1.PublicKey, "RS256 RS384 RS512 PS256 PS384 PS512"},
		{"P-256", ecJWK(t, "k", &k.p256.PublicKey), 0, &k.p256.PublicKey, "ES256"},
		{"P-256 alg ES256", ecJWK(t, "k", &k.p256.PublicKey).with("alg", "ES256"), 0, &k.p256.PublicKey, "ES256"},
		{"P-384", ecJWK(t, "k", &k.p384.PublicKey), 0, &k.p384.PublicKey, "ES384"},
		{"P-521", ecJWK(t, "k", &k.p521.PublicKey), 0, &k.p521.PublicKey, "ES512"},
		{"Ed25519", edJWK("k", k.edPub()), 0, k.edPub(), "EdDSA Ed25519"},
		{"Ed25519 alg EdDSA", edJWK("k", k.edPub()).with("alg", "EdDSA"), 0, k.edPub(), "EdDSA"},
		{"Ed25519 alg Ed25519", edJWK("k", k.edPub()).with("alg", "Ed25519"), 0, k.edPub(), "Ed25519"},
		{"Ed25519 restricted to EdDSA", edJWK("k", k.edPub()), 1 << algEdDSA, k.edPub(), "EdDSA"},
		{"Ed25519 restricted to Ed25519", edJWK("k", k.edPub()), 1 << algEd25519, k.edPub(), "Ed25519"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, _ := json.Marshal(tt.member)
			allowed := tt.allowed
			if allowed == 0 {
				allowed = allAlgs
			}
			e, sk := parseKey(raw, allowed)
			if sk != nil {
				t.Fatalf("skipped: %s", sk.reason)
			}
			if got := e.algs.String(); got != tt.algs {
				t.Errorf("pinned to %q, want %q", got, tt.algs)
			}
			if !tt.key.(interface{ Equal(crypto.PublicKey) bool }).Equal(e.key) {
				t.Errorf("wrong key %T", e.key)
			}
			if kid, _ := tt.member["kid"].(string); e.kid != kid {
				t.Errorf("kid %q, want %q", e.kid, kid)
			}
		})
	}
}

func TestBadKeysAreSkippedNotFatal(t *testing.T) {
	k := testKeys(t)
	good := rsaJWK("good", &k.rsa1.PublicKey)
	weak := rsaJWK("weak", &k.rsaWeak.PublicKey)
	x, y := ecXY(t, &k.p256.PublicKey)
	y[0] ^= 0xff
	body, _ := json.Marshal(map[string]any{"keys": []any{
		weak,
		rsaJWK("enc", &k.rsa2.PublicKey).with("use", "enc"),
		jwk{"kty": "oct", "kid": "hmac", "k": b64([]byte("0123456789abcdef0123456789abcdef"))},
		jwk{"kty": "EC", "kid": "offcurve", "crv": "P-256", "x": b64(x), "y": b64(y)},
		"garbage",
		good,
	}})
	srv := newServer(t, body)
	h := newHarness(t, srv.URL, nil)
	h.ready(t)
	if got := h.KeyIDs(); !slices.Equal(got, []string{"good"}) {
		t.Fatalf("KeyIDs() = %v, want [good]", got)
	}
	mustKey(t, h.Set, "good", "RS256", &k.rsa1.PublicKey)
	logs := h.logs.String()
	for _, want := range []string{
		`level=WARN msg="jwks: skipping JWK"`,
		`kid=weak reason="RSA modulus is 1024 bits`,
		`index=1 kid=enc reason="use \"enc\" is not \"sig\""`,
		`kid=hmac reason="symmetric key`,
		`kid=offcurve reason="invalid key`,
		`index=4 kid="" reason="malformed JWK: not a JSON object"`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if !strings.Contains(logs, `level=DEBUG msg="jwks: skipping JWK" url=`+srv.URL+` index=1`) {
		t.Errorf("use=enc should be logged at debug:\n%s", logs)
	}
	for _, secret := range []string{weak["n"].(string)[:20], good["n"].(string)[:20], b64([]byte("0123456789abcdef")), b64(x)} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains key material %q", secret)
		}
	}
}

func TestX5UIsNeverFetched(t *testing.T) {
	k := testKeys(t)
	var x5uHits atomic.Int64
	x5u := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { x5uHits.Add(1) }))
	defer x5u.Close()
	srv := newServer(t, doc(t,
		rsaJWK("https", &k.rsa1.PublicKey).with("x5u", x5u.URL+"/cert.pem"),
		ecJWK(t, "http", &k.p256.PublicKey).with("x5u", "http://"+x5u.Listener.Addr().String()+"/cert.pem"),
	))
	h := newHarness(t, srv.URL, nil)
	h.ready(t)
	if err := h.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.KeyIDs(); !slices.Equal(got, []string{"http", "https"}) {
		t.Fatalf("KeyIDs() = %v: keys with x5u must be usable (x5u ignored)", got)
	}
	if n := x5uHits.Load(); n != 0 {
		t.Fatalf("x5u URL fetched %d times", n)
	}
}

// TestDegenerateEd25519Skipped: a JWK Set member holding an Ed25519 key of
// small order (all-zero, identity, with or without the sign bit) is
// skipped; the other keys stay usable.
func TestDegenerateEd25519Skipped(t *testing.T) {
	k := testKeys(t)
	zero := make([]byte, 32)
	identity := make([]byte, 32)
	identity[0] = 1
	signed := make([]byte, 32)
	signed[0], signed[31] = 1, 0x80
	for name, x := range map[string][]byte{"all zero": zero, "identity": identity, "identity with the sign bit": signed} {
		t.Run(name, func(t *testing.T) {
			bad := jwk{"kty": "OKP", "crv": "Ed25519", "kid": "bad", "x": base64.RawURLEncoding.EncodeToString(x)}
			entries, skips, err := parseDocument(doc(t, bad, rsaJWK("good", &k.rsa1.PublicKey)), allAlgs)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 || entries[0].kid != "good" {
				t.Fatalf("entries = %d; want only the good key", len(entries))
			}
			if len(skips) != 1 || !strings.Contains(skips[0].reason, "small order") {
				t.Fatalf("skips = %+v; want the degenerate key skipped", skips)
			}
		})
	}
}

// mustECBytes returns the private scalar of k, the bytes a JWK's "d" holds.
func mustECBytes(t *testing.T, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	b, err := k.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
