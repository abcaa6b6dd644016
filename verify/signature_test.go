package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
)

// TestECDSADER checks the JWS-to-DER conversion against encoding/asn1 for
// leading zeros, high bits and the long length form of P-521.
func TestECDSADER(t *testing.T) {
	type sigValue struct{ R, S *big.Int }
	rnd := func(n int) []byte {
		b := make([]byte, n)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	var cases [][2][]byte
	for _, size := range []int{32, 48, 66} {
		for range 50 {
			cases = append(cases, [2][]byte{rnd(size), rnd(size)})
		}
		hi, lo := bytes.Repeat([]byte{0xff}, size), make([]byte, size)
		lo[size-1] = 1
		zeros := make([]byte, size)
		zeros[3] = 0x80 // leading zeros, then a high bit
		cases = append(cases, [2][]byte{hi, lo}, [2][]byte{lo, hi}, [2][]byte{zeros, hi})
	}
	for _, c := range cases {
		sc := &scratch{}
		got := ecdsaDER(sc, c[0], c[1])
		want, err := asn1.Marshal(sigValue{new(big.Int).SetBytes(c[0]), new(big.Int).SetBytes(c[1])})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("r %x s %x:\ngot  %x\nwant %x", c[0], c[1], got, want)
		}
	}
	zero, one := make([]byte, 32), make([]byte, 32)
	one[31] = 1
	if ecdsaDER(&scratch{}, zero, one) != nil || ecdsaDER(&scratch{}, one, zero) != nil {
		t.Fatal("a zero r or s was encoded")
	}
}

// TestSignatureEdgeCases covers malformed signatures and keys per family.
func TestSignatureEdgeCases(t *testing.T) {
	ks := k(t)
	newV := func(alg string, key crypto.PublicKey) *JWTVerifier {
		v, err := NewJWTVerifier(Settings{Algorithms: []string{alg}, Issuers: []string{testIssuer}, Audiences: []string{testAudience}},
			WithKeySource(keySourceFunc(func(context.Context, string, string) (crypto.PublicKey, error) { return key, nil })),
			WithClock(func() time.Time { return testNow }))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	es := newV("ES256", &ks.p256.PublicKey)
	good := sign(t, "ES256", ks.p256, nil, goodClaims())
	input := good[:len(good)-86]
	sig, err := b64.DecodeString(good[len(good)-86:])
	if err != nil || len(sig) != 64 {
		t.Fatalf("ES256 signature: %v, %d bytes", err, len(sig))
	}
	order := ks.p256.Curve.Params().N.FillBytes(make([]byte, 32))
	// s' = N - s is the other valid signature of the same message (ECDSA
	// malleability); Go's ecdsa and golang-jwt accept it, so does this.
	sPrime := new(big.Int).Sub(ks.p256.Curve.Params().N, new(big.Int).SetBytes(sig[32:])).FillBytes(make([]byte, 32))
	tests := []struct {
		name string
		v    *JWTVerifier
		tok  string
		want mcpauth.Reason
	}{
		{"ES256 valid", es, good, ""},
		{"ES256 high-s twin", es, input + enc(append(append([]byte{}, sig[:32]...), sPrime...)), ""},
		{"ES256 r and s zero", es, input + enc(make([]byte, 64)), mcpauth.ReasonSignature},
		{"ES256 r zero", es, input + enc(append(make([]byte, 32), sig[32:]...)), mcpauth.ReasonSignature},
		{"ES256 r = N", es, input + enc(append(order, sig[32:]...)), mcpauth.ReasonSignature},
		{"ES256 short", es, input + enc(sig[:63]), mcpauth.ReasonSignature},
		{"ES256 long", es, input + enc(append(sig, 0)), mcpauth.ReasonSignature},
		{"ES256 s with a leading zero byte", es, input + enc(append(append(append([]byte{}, sig[:32]...), 0), sig[32:]...)), mcpauth.ReasonSignature},
		{"ES256 DER encoded", es, input + enc(ecdsaDER(&scratch{}, sig[:32], sig[32:])), mcpauth.ReasonSignature},
		{"EdDSA key of the wrong length", newV("EdDSA", ed25519.PublicKey(make([]byte, 31))), sign(t, "EdDSA", ks.ed, nil, goodClaims()), mcpauth.ReasonSignature},
		{"EdDSA truncated signature", newV("EdDSA", ks.ed.Public()), func() string {
			s := sign(t, "EdDSA", ks.ed, nil, goodClaims())
			sig, _ := b64.DecodeString(s[len(s)-86:])
			return s[:len(s)-86] + enc(sig[:63])
		}(), mcpauth.ReasonSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.v.VerifyToken(context.Background(), tt.tok)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			wantReason(t, err, tt.want)
		})
	}
}

// TestPSSSaltLengths accepts PS256 signatures with any salt length, as
// golang-jwt does: some issuers use the longest salt.
func TestPSSSaltLengths(t *testing.T) {
	ks := k(t)
	v := rsaVerifier(t, func(s *Settings) { s.Algorithms = []string{"PS256"} })
	input := enc([]byte(`{"alg":"PS256"}`)) + "." + enc([]byte(mustJSON(t, goodClaims())))
	d := sha256.Sum256([]byte(input))
	for _, salt := range []int{rsa.PSSSaltLengthEqualsHash, rsa.PSSSaltLengthAuto, 0} {
		sig, err := rsa.SignPSS(rand.Reader, ks.rsa, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: salt})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.VerifyToken(context.Background(), input+"."+enc(sig)); err != nil {
			t.Fatalf("salt length %d: %v", salt, err)
		}
	}
}

// TestHMACStateIsReset verifies many tokens in a row with one verifier:
// a pooled HMAC state that kept data from a previous token would fail.
func TestHMACStateIsReset(t *testing.T) {
	for _, alg := range []string{"HS256", "HS384", "HS512"} {
		t.Run(alg, func(t *testing.T) {
			v, err := NewJWTVerifier(Settings{PublicKey: testHMAC, Algorithms: []string{"HS256", "HS384", "HS512"}, Issuers: []string{testIssuer}, Audiences: []string{testAudience}},
				WithClock(func() time.Time { return testNow }))
			if err != nil {
				t.Fatal(err)
			}
			for i := range 20 {
				c := goodClaims()
				c["jti"] = fmt.Sprint(i)
				tok := sign(t, alg, []byte(testHMAC), nil, c)
				if _, err := v.VerifyToken(context.Background(), tok); err != nil {
					t.Fatalf("token %d: %v", i, err)
				}
				bad := sign(t, alg, []byte(testHMAC[1:]+"x"), nil, c)
				_, err := v.VerifyToken(context.Background(), bad)
				wantReason(t, err, mcpauth.ReasonSignature)
			}
		})
	}
}
