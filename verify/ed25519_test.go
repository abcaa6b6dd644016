package verify

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
)

// TestEd25519AlgorithmNames checks the two names of EdDSA over Ed25519:
// "EdDSA" (RFC 8037) and the fully-specified "Ed25519" (RFC 9864). Both are
// allowed by default for an Ed25519 key, each can be allow-listed alone, and
// neither verifies with an RSA or EC key.
func TestEd25519AlgorithmNames(t *testing.T) {
	ks := k(t)
	edPEM := pubPEM(t, ks.ed.Public())
	tests := []struct {
		name      string
		publicKey string
		algs      []string
		tokenAlg  string
		want      mcpauth.Reason // "" means accepted
	}{
		{"default allows Ed25519", edPEM, nil, "Ed25519", ""},
		{"default allows EdDSA", edPEM, nil, "EdDSA", ""},
		{"EdDSA only refuses Ed25519", edPEM, []string{"EdDSA"}, "Ed25519", mcpauth.ReasonAlgorithm},
		{"Ed25519 only refuses EdDSA", edPEM, []string{"Ed25519"}, "EdDSA", mcpauth.ReasonAlgorithm},
		{"Ed25519 only accepts Ed25519", edPEM, []string{"Ed25519"}, "Ed25519", ""},
		{"RSA key refuses Ed25519", pubPEM(t, &ks.rsa.PublicKey), nil, "Ed25519", mcpauth.ReasonAlgorithm},
		{"EC key refuses Ed25519", pubPEM(t, &ks.p256.PublicKey), nil, "Ed25519", mcpauth.ReasonAlgorithm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewJWTVerifier(Settings{PublicKey: tt.publicKey, Algorithms: tt.algs, Issuers: []string{testIssuer}, Audiences: []string{testAudience}},
				WithClock(func() time.Time { return testNow }))
			if err != nil {
				t.Fatal(err)
			}
			tok := sign(t, tt.tokenAlg, ks.ed, nil, goodClaims())
			_, err = v.VerifyToken(context.Background(), tok)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			if got := mcpauth.ReasonOf(err); got != tt.want {
				t.Fatalf("reason %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

// TestEd25519SignatureChecked makes sure the "Ed25519" name really verifies
// the signature: another key's signature and a bad signature are refused.
func TestEd25519SignatureChecked(t *testing.T) {
	ks := k(t)
	v, err := NewJWTVerifier(Settings{PublicKey: pubPEM(t, ks.ed.Public()), Issuers: []string{testIssuer}, Audiences: []string{testAudience}},
		WithClock(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	tok := sign(t, "Ed25519", ks.ed, nil, goodClaims())
	if _, err := v.VerifyToken(context.Background(), tok); err != nil {
		t.Fatalf("the good token is rejected: %v", err)
	}
	dot := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[dot+1:])
	if err != nil {
		t.Fatal(err)
	}
	sig[10] ^= 0x01
	other := sign(t, "Ed25519", ks.ed, nil, map[string]any{"x": 1})
	tests := map[string]string{
		"flipped signature bit":        tok[:dot+1] + enc(sig),
		"signature of another payload": tok[:dot] + other[strings.LastIndexByte(other, '.'):],
	}
	for name, tok := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := v.VerifyToken(context.Background(), tok); mcpauth.ReasonOf(err) != mcpauth.ReasonSignature {
				t.Fatalf("err = %v (reason %q), want %q", err, mcpauth.ReasonOf(err), mcpauth.ReasonSignature)
			}
		})
	}
}

// TestDegenerateEd25519PEMRefused: a PEM Ed25519 key of small order (the
// all-zero key, the identity) is refused at configuration, so no token can
// be forged against it.
func TestDegenerateEd25519PEMRefused(t *testing.T) {
	identity := make([]byte, 32)
	identity[0] = 1
	for name, key := range map[string][]byte{"all zero": make([]byte, 32), "identity": identity} {
		t.Run(name, func(t *testing.T) {
			der, err := x509.MarshalPKIXPublicKey(ed25519.PublicKey(key))
			if err != nil {
				t.Fatal(err)
			}
			pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
			_, err = NewJWTVerifier(Settings{PublicKey: pemKey, Issuers: []string{testIssuer}, Audiences: []string{testAudience}})
			if !errors.Is(err, mcpauth.ErrInvalidConfig) || !strings.Contains(err.Error(), "small order") {
				t.Fatalf("err = %v; want a configuration error naming the small-order key", err)
			}
		})
	}
}
