package jose

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"strings"
	"testing"
)

// decodeBoth decodes s with DecodeBase64URL and with the standard
// library's strict decoder and fails when they disagree. Go's decoders
// skip CR and LF; DecodeBase64URL refuses them.
func decodeBoth(t *testing.T, s string) {
	t.Helper()
	dst := make([]byte, len(s)*3/4+3)
	n, ok := DecodeBase64URL(dst, s)
	want, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if strings.ContainsAny(s, "\r\n") {
		if ok {
			t.Fatalf("%q: accepted CR or LF", s)
		}
		return
	}
	if ok != (err == nil) {
		t.Fatalf("%q: ok %v, standard library error %v", s, ok, err)
	}
	if ok && !bytes.Equal(dst[:n], want) {
		t.Fatalf("%q: decoded %x, want %x", s, dst[:n], want)
	}
}

func TestDecodeBase64URL(t *testing.T) {
	for _, s := range []string{
		"", "A", "AA", "AB", "AAA", "AAB", "AAAA", "_-_-", "aGVsbG8", "aGVsbG9", "aGVsbG8=", "aGVs+G8", "aGVs/G8",
		"aGVs\nbG8", "aGV\rsbG8", "YQ", "YR", "YWI", "YWJ", "YWJj", "\x00AAA", "AA\xff", "é",
	} {
		decodeBoth(t, s)
	}
	buf := make([]byte, 64)
	for n := range 64 {
		if _, err := rand.Read(buf[:n]); err != nil {
			t.Fatal(err)
		}
		decodeBoth(t, base64.RawURLEncoding.EncodeToString(buf[:n]))
	}
}

func FuzzDecodeBase64URL(f *testing.F) {
	for _, s := range []string{"", "A", "AA", "AB", "YWJj", "YWJ", "YW=", "a\nb"} {
		f.Add(s)
	}
	f.Fuzz(decodeBoth)
}

func TestSHA256String(t *testing.T) {
	for _, n := range []int{0, 1, 63, 64, hashChunk - 1, hashChunk, hashChunk + 1, 3*hashChunk + 7} {
		s := strings.Repeat("x", n)
		if got, want := SHA256String(s), sha256.Sum256([]byte(s)); got != want {
			t.Errorf("length %d: %x, want %x", n, got, want)
		}
		for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
			var want []byte
			switch h {
			case crypto.SHA256:
				w := sha256.Sum256([]byte(s))
				want = w[:]
			case crypto.SHA384:
				w := sha512.Sum384([]byte(s))
				want = w[:]
			default:
				w := sha512.Sum512([]byte(s))
				want = w[:]
			}
			if got := hashStringInto(h, s, nil); !bytes.Equal(got, want) {
				t.Errorf("%v, length %d: %x, want %x", h, n, got, want)
			}
		}
	}
	if n := testing.AllocsPerRun(20, func() { SHA256String(strings.Repeat("y", 2000)[:1999]) }); n > 1 {
		t.Errorf("SHA256String allocates %v times", n)
	}
}

// TestVerifyAsymmetricString checks that the string form decides as the
// []byte form for every kind of key, on the signed input and on an
// altered one.
func TestVerifyAsymmetricString(t *testing.T) {
	input := strings.Repeat("eyJhbGciOiJFUzI1NiJ9.", 40)
	ec, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d384 := sha512.Sum384([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, ec, d384[:])
	if err != nil {
		t.Fatal(err)
	}
	ecSig := make([]byte, 96)
	r.FillBytes(ecSig[:48])
	s.FillBytes(ecSig[48:])
	d256 := sha256.Sum256([]byte(input))
	rsaSig, err := rsa.SignPKCS1v15(rand.Reader, rk, crypto.SHA256, d256[:])
	if err != nil {
		t.Fatal(err)
	}
	edSig := ed25519.Sign(ed, []byte(input))
	for _, c := range []struct {
		alg string
		key any
		sig []byte
	}{
		{"ES384", &ec.PublicKey, ecSig},
		{"RS256", &rk.PublicKey, rsaSig},
		{"EdDSA", ed.Public(), edSig},
	} {
		spec, ok := SpecOf(c.alg)
		if !ok {
			t.Fatalf("no spec for %s", c.alg)
		}
		for _, in := range []string{input, input[:len(input)-1] + "x"} {
			want := VerifyAsymmetric(spec, c.key, []byte(in), c.sig, nil)
			if got := VerifyAsymmetricString(spec, c.key, in, c.sig, nil); got != want {
				t.Errorf("%s: string form %v, []byte form %v", c.alg, got, want)
			}
			if want != (in == input) {
				t.Errorf("%s: verification %v on the %s input", c.alg, want, map[bool]string{true: "signed", false: "altered"}[in == input])
			}
		}
	}
}
