package testkeys_test

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

func TestGenerateRSAKeyPair(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	pub, ok := kp.Public().(*rsa.PublicKey)
	if !ok {
		t.Fatalf("Public() is %T, want *rsa.PublicKey", kp.Public())
	}
	if got := pub.N.BitLen(); got != 2048 {
		t.Errorf("modulus has %d bits, want 2048", got)
	}
	if pub.E != 65537 {
		t.Errorf("public exponent is %d, want 65537", pub.E)
	}
	priv, ok := kp.Private().(*rsa.PrivateKey)
	if !ok {
		t.Fatalf("Private() is %T, want *rsa.PrivateKey", kp.Private())
	}
	if !priv.PublicKey.Equal(pub) {
		t.Error("Private() and Public() do not belong together")
	}
	if got := kp.Algorithm(); got != "RS256" {
		t.Errorf("Algorithm() = %q, want RS256", got)
	}
}

func TestGenerateECKeyPair(t *testing.T) {
	kp := testkeystest.SharedECKeyPair(t)
	pub, ok := kp.Public().(*ecdsa.PublicKey)
	if !ok {
		t.Fatalf("Public() is %T, want *ecdsa.PublicKey", kp.Public())
	}
	if pub.Curve != elliptic.P256() {
		t.Errorf("curve is %s, want P-256", pub.Curve.Params().Name)
	}
	priv, ok := kp.Private().(*ecdsa.PrivateKey)
	if !ok || !priv.PublicKey.Equal(pub) {
		t.Errorf("Private() is %T and does not match Public()", kp.Private())
	}
	if got := kp.Algorithm(); got != "ES256" {
		t.Errorf("Algorithm() = %q, want ES256", got)
	}
}

func TestGenerateEd25519KeyPair(t *testing.T) {
	kp := testkeystest.SharedEd25519KeyPair(t)
	pub, ok := kp.Public().(ed25519.PublicKey)
	if !ok {
		t.Fatalf("Public() is %T, want ed25519.PublicKey", kp.Public())
	}
	priv, ok := kp.Private().(ed25519.PrivateKey)
	if !ok || !pub.Equal(priv.Public()) {
		t.Errorf("Private() is %T and does not match Public()", kp.Private())
	}
	if got := kp.Algorithm(); got != "EdDSA" {
		t.Errorf("Algorithm() = %q, want EdDSA", got)
	}
}

func TestGenerateGivesDistinctKeys(t *testing.T) {
	a, err := testkeys.GenerateEd25519KeyPair()
	if err != nil {
		t.Fatal(err)
	}
	b, err := testkeys.GenerateEd25519KeyPair()
	if err != nil {
		t.Fatal(err)
	}
	if a.KeyID() == b.KeyID() {
		t.Error("two generated pairs have the same key ID")
	}
	if testkeystest.SharedRSAKeyPair(t).KeyID() == otherRSAKeyPair(t).KeyID() {
		t.Error("two generated RSA pairs have the same key ID")
	}
}

func TestSharedKeyPairsAreShared(t *testing.T) {
	if a, b := testkeystest.SharedRSAKeyPair(t), testkeystest.SharedRSAKeyPair(t); a != b {
		t.Error("SharedRSAKeyPair returned two different pairs")
	}
	if a, b := testkeystest.SharedECKeyPair(t), testkeystest.SharedECKeyPair(t); a != b {
		t.Error("SharedECKeyPair returned two different pairs")
	}
	if a, b := testkeystest.SharedEd25519KeyPair(t), testkeystest.SharedEd25519KeyPair(t); a != b {
		t.Error("SharedEd25519KeyPair returned two different pairs")
	}
}

func TestKeyIDIsStableThumbprint(t *testing.T) {
	for _, p := range allPairs(t) {
		t.Run(p.name, func(t *testing.T) {
			kid := p.kp.KeyID()
			if len(kid) != 43 || strings.ContainsAny(kid, "+/=") {
				t.Errorf("KeyID() = %q, want 43 base64url characters", kid)
			}
			if again := p.kp.KeyID(); again != kid {
				t.Errorf("KeyID() changed from %q to %q", kid, again)
			}
			tp, err := p.kp.JWK().Thumbprint()
			if err != nil {
				t.Fatal(err)
			}
			if tp != kid {
				t.Errorf("JWK().Thumbprint() = %q, KeyID() = %q", tp, kid)
			}
			// A pair re-created from the same key has the same ID.
			again, err := testkeys.ParsePrivateKeyPEM(p.kp.PrivateKeyPEM())
			if err != nil {
				t.Fatal(err)
			}
			if again.KeyID() != kid {
				t.Errorf("re-parsed pair has key ID %q, want %q", again.KeyID(), kid)
			}
		})
	}
}

func TestPEMRoundTrip(t *testing.T) {
	for _, p := range allPairs(t) {
		t.Run(p.name, func(t *testing.T) {
			block, rest := pem.Decode([]byte(p.kp.PrivateKeyPEM()))
			if block == nil || block.Type != "PRIVATE KEY" || len(rest) != 0 {
				t.Fatalf("PrivateKeyPEM() is not a single PRIVATE KEY block: %v, %d bytes left", block, len(rest))
			}
			priv, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				t.Fatalf("PrivateKeyPEM() is not PKCS #8: %v", err)
			}
			type equaler interface{ Equal(crypto.PrivateKey) bool }
			if !priv.(equaler).Equal(p.kp.Private()) {
				t.Error("PKCS #8 key differs from Private()")
			}

			block, rest = pem.Decode([]byte(p.kp.PublicKeyPEM()))
			if block == nil || block.Type != "PUBLIC KEY" || len(rest) != 0 {
				t.Fatalf("PublicKeyPEM() is not a single PUBLIC KEY block: %v, %d bytes left", block, len(rest))
			}
			pub, err := x509.ParsePKIXPublicKey(block.Bytes)
			if err != nil {
				t.Fatalf("PublicKeyPEM() is not SPKI: %v", err)
			}
			type pubEqualer interface{ Equal(crypto.PublicKey) bool }
			if !pub.(pubEqualer).Equal(p.kp.Public()) {
				t.Error("SPKI key differs from Public()")
			}

			parsed, err := testkeys.ParsePrivateKeyPEM(p.kp.PrivateKeyPEM())
			if err != nil {
				t.Fatal(err)
			}
			if parsed.PrivateKeyPEM() != p.kp.PrivateKeyPEM() || parsed.PublicKeyPEM() != p.kp.PublicKeyPEM() {
				t.Error("re-parsed pair encodes differently")
			}
			if parsed.Algorithm() != p.kp.Algorithm() || parsed.JWK() != p.kp.JWK() {
				t.Error("re-parsed pair has another algorithm or JWK")
			}
		})
	}
}

func TestParseTypedKeyPairs(t *testing.T) {
	rsaKP, ecKP, edKP := testkeystest.SharedRSAKeyPair(t), testkeystest.SharedECKeyPair(t), testkeystest.SharedEd25519KeyPair(t)
	if got, err := testkeys.ParseRSAKeyPair(rsaKP.PrivateKeyPEM()); err != nil || got.KeyID() != rsaKP.KeyID() {
		t.Errorf("ParseRSAKeyPair: %v", err)
	}
	if got, err := testkeys.ParseECKeyPair(ecKP.PrivateKeyPEM()); err != nil || got.KeyID() != ecKP.KeyID() {
		t.Errorf("ParseECKeyPair: %v", err)
	}
	if got, err := testkeys.ParseEd25519KeyPair(edKP.PrivateKeyPEM()); err != nil || got.KeyID() != edKP.KeyID() {
		t.Errorf("ParseEd25519KeyPair: %v", err)
	}

	mismatches := []struct {
		name  string
		parse func(string) error
		pem   string
		want  string
	}{
		{"RSA parser, EC key", func(s string) error { _, err := testkeys.ParseRSAKeyPair(s); return err }, ecKP.PrivateKeyPEM(), "ECDSA key, not RSA"},
		{"EC parser, RSA key", func(s string) error { _, err := testkeys.ParseECKeyPair(s); return err }, rsaKP.PrivateKeyPEM(), "RSA key, not ECDSA"},
		{"Ed25519 parser, EC key", func(s string) error { _, err := testkeys.ParseEd25519KeyPair(s); return err }, ecKP.PrivateKeyPEM(), "ECDSA key, not Ed25519"},
		{"RSA parser, garbage", func(s string) error { _, err := testkeys.ParseRSAKeyPair(s); return err }, "garbage", "no PEM block"},
		{"EC parser, garbage", func(s string) error { _, err := testkeys.ParseECKeyPair(s); return err }, "garbage", "no PEM block"},
		{"Ed25519 parser, garbage", func(s string) error { _, err := testkeys.ParseEd25519KeyPair(s); return err }, "garbage", "no PEM block"},
	}
	for _, tc := range mismatches {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.parse(tc.pem)
			if !errors.Is(err, testkeys.ErrInvalidKey) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want ErrInvalidKey mentioning %q", err, tc.want)
			}
		})
	}
}

func TestParseLegacyPEMFormats(t *testing.T) {
	rsaKP, ecKP := testkeystest.SharedRSAKeyPair(t), testkeystest.SharedECKeyPair(t)
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKP.Private().(*rsa.PrivateKey))})
	sec1DER, err := x509.MarshalECPrivateKey(ecKP.Private().(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	sec1 := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1DER})
	tests := []struct {
		name string
		pem  string
		want string
	}{
		{"PKCS #1", string(pkcs1), rsaKP.KeyID()},
		{"SEC 1", string(sec1), ecKP.KeyID()},
		{"leading text and trailing space", "Bag Attributes: none\n" + string(sec1) + "\n\t \n", ecKP.KeyID()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kp, err := testkeys.ParsePrivateKeyPEM(tc.pem)
			if err != nil {
				t.Fatal(err)
			}
			if kp.KeyID() != tc.want {
				t.Errorf("KeyID() = %q, want %q", kp.KeyID(), tc.want)
			}
		})
	}
}

func TestParsePrivateKeyPEMErrors(t *testing.T) {
	good := testkeystest.SharedECKeyPair(t).PrivateKeyPEM()
	x25519, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	x25519DER, err := x509.MarshalPKCS8PrivateKey(x25519)
	if err != nil {
		t.Fatal(err)
	}
	block := func(typ string, der []byte, headers map[string]string) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Headers: headers, Bytes: der}))
	}
	tests := []struct {
		name string
		pem  string
		want string
	}{
		{"empty", "", "no PEM block"},
		{"not PEM", "-----BEGIN NOTHING", "no PEM block"},
		{"two blocks", good + good, "unexpected data after the PEM block"},
		{"trailing text", good + "x", "unexpected data after the PEM block"},
		{"legacy encrypted", block("RSA PRIVATE KEY", []byte{1}, map[string]string{"Proc-Type": "4,ENCRYPTED"}), "encrypted keys are not supported"},
		{"PKCS #8 encrypted", block("ENCRYPTED PRIVATE KEY", []byte{1}, nil), "encrypted private keys are not supported"},
		{"public key", testkeystest.SharedECKeyPair(t).PublicKeyPEM(), `"PUBLIC KEY" holds no private key`},
		{"certificate", block("CERTIFICATE", []byte{1}, nil), `"CERTIFICATE" holds no private key`},
		{"unknown type", block("OPENSSH PRIVATE KEY", []byte{1}, nil), `unsupported PEM block type "OPENSSH PRIVATE KEY"`},
		{"corrupt PKCS #8", block("PRIVATE KEY", []byte{0x30, 0x03, 1, 2, 3}, nil), `parsing "PRIVATE KEY" block`},
		{"corrupt PKCS #1", block("RSA PRIVATE KEY", []byte{1}, nil), `parsing "RSA PRIVATE KEY" block`},
		{"corrupt SEC 1", block("EC PRIVATE KEY", []byte{1}, nil), `parsing "EC PRIVATE KEY" block`},
		{"X25519 key", block("PRIVATE KEY", x25519DER, nil), "unsupported key type *ecdh.PrivateKey"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kp, err := testkeys.ParsePrivateKeyPEM(tc.pem)
			if kp != nil {
				t.Error("got a key pair along with the error")
			}
			if !errors.Is(err, testkeys.ErrInvalidKey) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want ErrInvalidKey mentioning %q", err, tc.want)
			}
		})
	}
}

// otherSigner is a crypto.Signer of an unsupported type.
type otherSigner struct{}

func (otherSigner) Public() crypto.PublicKey { return nil }
func (otherSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("no")
}

func TestNewKeyPair(t *testing.T) {
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		key  crypto.Signer
		alg  string
	}{
		{"RSA", testkeystest.SharedRSAKeyPair(t).Private(), "RS256"},
		{"P-256", testkeystest.SharedECKeyPair(t).Private(), "ES256"},
		{"P-384", p384, "ES384"},
		{"P-521", p521, "ES512"},
		{"Ed25519", testkeystest.SharedEd25519KeyPair(t).Private(), "EdDSA"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kp, err := testkeys.NewKeyPair(tc.key)
			if err != nil {
				t.Fatal(err)
			}
			if kp.Algorithm() != tc.alg || kp.JWK().Alg != tc.alg {
				t.Errorf("Algorithm() = %q, JWK alg %q, want %q", kp.Algorithm(), kp.JWK().Alg, tc.alg)
			}
			if !kp.Private().(interface{ Equal(crypto.PrivateKey) bool }).Equal(tc.key) {
				t.Error("Private() is not the wrapped key")
			}
			token, err := kp.CreateToken(testkeys.TokenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := parseJWT(token, tc.alg, kp); err != nil {
				t.Errorf("token does not verify: %v", err)
			}
		})
	}
}

func TestNewKeyPairRejectsBadKeys(t *testing.T) {
	rsaKey := testkeystest.SharedRSAKeyPair(t).Private().(*rsa.PrivateKey)
	badRSA := *rsaKey
	badRSA.D = new(big.Int).Add(rsaKey.D, big.NewInt(2))
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecKey := testkeystest.SharedECKeyPair(t).Private().(*ecdsa.PrivateKey)
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecScalar, err := ecKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	mismatchedEC, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), ecScalar)
	if err != nil {
		t.Fatal(err)
	}
	mismatchedEC.PublicKey = other.PublicKey
	edKey := testkeystest.SharedEd25519KeyPair(t).Private().(ed25519.PrivateKey)
	mismatchedEd := append(ed25519.PrivateKey(nil), edKey...)
	mismatchedEd[40] ^= 1

	tests := []struct {
		name string
		new  func() (*testkeys.KeyPair, error)
		want string
	}{
		{"nil signer", func() (*testkeys.KeyPair, error) { return testkeys.NewKeyPair(nil) }, "key is nil"},
		{"unsupported signer", func() (*testkeys.KeyPair, error) { return testkeys.NewKeyPair(otherSigner{}) }, "unsupported key type testkeys_test.otherSigner"},
		{"nil RSA", func() (*testkeys.KeyPair, error) { return testkeys.NewRSAKeyPair(nil) }, "RSA key is nil"},
		{"inconsistent RSA", func() (*testkeys.KeyPair, error) { return testkeys.NewRSAKeyPair(&badRSA) }, "RSA key:"},
		{"nil EC", func() (*testkeys.KeyPair, error) { return testkeys.NewECKeyPair(nil) }, "ECDSA key is nil"},
		{"P-224", func() (*testkeys.KeyPair, error) { return testkeys.NewECKeyPair(p224) }, "unsupported ECDSA curve"},
		{"mismatched EC", func() (*testkeys.KeyPair, error) { return testkeys.NewECKeyPair(mismatchedEC) }, "does not match the private key"},
		{"short Ed25519", func() (*testkeys.KeyPair, error) { return testkeys.NewEd25519KeyPair(edKey[:32]) }, "has 32 bytes, want 64"},
		{"mismatched Ed25519", func() (*testkeys.KeyPair, error) { return testkeys.NewEd25519KeyPair(mismatchedEd) }, "does not match the private key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.new()
			if !errors.Is(err, testkeys.ErrInvalidKey) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want ErrInvalidKey mentioning %q", err, tc.want)
			}
		})
	}
}

func TestNewRSAKeyPairAcceptsWeakKeys(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := testkeys.NewRSAKeyPair(key)
	if err != nil {
		t.Fatalf("a 1024-bit key was refused: %v", err)
	}
	token, err := kp.CreateToken(testkeys.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseJWT(token, "RS256", kp); err != nil {
		t.Errorf("token does not verify: %v", err)
	}
}

func TestZeroKeyPairs(t *testing.T) {
	pairs := []namedPair{
		{"zero", &testkeys.KeyPair{}},
	}
	for _, p := range pairs {
		t.Run(p.name, func(t *testing.T) {
			if _, err := p.kp.CreateToken(testkeys.TokenOptions{}); !errors.Is(err, testkeys.ErrInvalidKey) {
				t.Errorf("CreateToken error = %v, want ErrInvalidKey", err)
			}
			if _, err := testkeys.SignCompact(p.kp, "", []byte("{}"), []byte("{}")); !errors.Is(err, testkeys.ErrInvalidKey) {
				t.Errorf("SignCompact error = %v, want ErrInvalidKey", err)
			}
			if _, err := testkeys.JWKS(p.kp); !errors.Is(err, testkeys.ErrInvalidKey) {
				t.Errorf("JWKS error = %v, want ErrInvalidKey", err)
			}
			if p.kp.Public() != nil || p.kp.Private() != nil || testkeys.Algorithms(p.kp) != nil {
				t.Error("a zero pair reports a key")
			}
		})
	}
}
