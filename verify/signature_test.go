package verify

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/jose"
)

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
		{"ES256 DER encoded", es, input + enc(jose.ECDSADER(nil, sig[:32], sig[32:])), mcpauth.ReasonSignature},
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
