package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/mcpauth/mcpauth"
)

// Test fixtures shared by the package's tests. Keys are generated once.
const (
	testIssuer   = "https://issuer.example.com"
	testAudience = "https://mcp.example.com/mcp"
	testHMAC     = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" // 64 bytes
)

var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

type testKeys struct {
	rsa, rsa2 *rsa.PrivateKey
	p256      *ecdsa.PrivateKey
	p384      *ecdsa.PrivateKey
	p521      *ecdsa.PrivateKey
	ed        ed25519.PrivateKey
}

var (
	keysOnce sync.Once
	keys     testKeys
)

func k(t testing.TB) *testKeys {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		must := func(e error) {
			if e != nil && err == nil {
				err = e
			}
		}
		keys.rsa, err = rsa.GenerateKey(rand.Reader, 2048)
		var e error
		keys.rsa2, e = rsa.GenerateKey(rand.Reader, 2048)
		must(e)
		keys.p256, e = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(e)
		keys.p384, e = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		must(e)
		keys.p521, e = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		must(e)
		_, keys.ed, e = ed25519.GenerateKey(rand.Reader)
		must(e)
		if err != nil {
			panic(err)
		}
	})
	return &keys
}

// pubPEM encodes a public key as a PKIX PEM block.
func pubPEM(t testing.TB, pub crypto.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// certPEM wraps a key in a self-signed certificate.
func certPEM(t testing.TB, priv *rsa.PrivateKey) string {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "issuer"},
		NotBefore:    testNow.Add(-time.Hour),
		NotAfter:     testNow.Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// enc is unpadded base64url.
func enc(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// signRaw signs exactly the given header and claims JSON, so tests can
// craft duplicate members, odd types and invalid UTF-8.
func signRaw(t testing.TB, alg string, key any, headerJSON, claimsJSON string) string {
	t.Helper()
	input := enc([]byte(headerJSON)) + "." + enc([]byte(claimsJSON))
	m := jwt.GetSigningMethod(alg)
	if alg == "Ed25519" { // RFC 9864 name; golang-jwt signs it as EdDSA
		m = jwt.SigningMethodEdDSA
	}
	if m == nil {
		t.Fatalf("no signing method %s", alg)
	}
	sig, err := m.Sign(input, key)
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + enc(sig)
}

// mustJSON encodes v.
func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// goodClaims returns valid claims; callers modify the copy.
func goodClaims() map[string]any {
	return map[string]any{
		"iss":       testIssuer,
		"aud":       testAudience,
		"sub":       "user-1",
		"client_id": "client-1",
		"scope":     "read write",
		"iat":       testNow.Add(-time.Minute).Unix(),
		"exp":       testNow.Add(time.Hour).Unix(),
		"jti":       "id-1",
	}
}

// sign signs claims with alg and header extras.
func sign(t testing.TB, alg string, key any, hdr map[string]any, claims map[string]any) string {
	t.Helper()
	h := map[string]any{"alg": alg, "typ": "JWT"}
	for k, v := range hdr {
		if v == nil {
			delete(h, k)
			continue
		}
		h[k] = v
	}
	return signRaw(t, alg, key, mustJSON(t, h), mustJSON(t, claims))
}

// rsaVerifier builds a verifier for the RSA test key.
func rsaVerifier(t testing.TB, mod func(*Settings)) *JWTVerifier {
	t.Helper()
	s := Settings{
		PublicKey: pubPEM(t, &k(t).rsa.PublicKey),
		Issuers:   []string{testIssuer},
		Audiences: []string{testAudience},
	}
	if mod != nil {
		mod(&s)
	}
	v, err := NewJWTVerifier(s, WithClock(func() time.Time { return testNow }))
	if err != nil {
		t.Fatalf("NewJWTVerifier: %v", err)
	}
	return v
}

// wantReason asserts err is an invalid-token error with reason r.
func wantReason(t testing.TB, err error, r mcpauth.Reason) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want rejection with reason %q", r)
	}
	if !errors.Is(err, mcpauth.ErrInvalidToken) {
		t.Fatalf("err = %v; want mcpauth.ErrInvalidToken", err)
	}
	if errors.Is(err, mcpauth.ErrInsufficientScope) || errors.Is(err, mcpauth.ErrKeySourceUnavailable) {
		t.Fatalf("err = %v matches more than one sentinel", err)
	}
	if got := mcpauth.ReasonOf(err); got != r {
		t.Fatalf("reason = %q (%v); want %q", got, err, r)
	}
}
