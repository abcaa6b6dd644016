package dpop

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/testkeys"
)

// testNow is the fixed clock of the tests.
var testNow = time.Unix(1_800_000_000, 0)

const (
	testURI    = "https://mcp.example.com/mcp"
	testMethod = "POST"
	testToken  = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl" // never parsed here
)

var jtiCounter atomic.Int64

// freshJTI returns a jti no other test proof uses.
func freshJTI() string { return fmt.Sprintf("jti-%d", jtiCounter.Add(1)) }

// publicJWK returns the public JWK of a pair as a JSON object.
func publicJWK(t testing.TB, p *testkeys.KeyPair) map[string]any {
	t.Helper()
	raw, err := json.Marshal(p.JWK())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "kid")
	delete(m, "use")
	delete(m, "alg")
	return m
}

// proofParts are the header and claims of a proof to mint; tests change
// them before signing.
type proofParts struct {
	header map[string]any
	claims map[string]any
}

// defaultParts returns a valid proof's parts for p, testMethod, testURI,
// testToken and testNow.
func defaultParts(t testing.TB, p *testkeys.KeyPair) proofParts {
	return proofParts{
		header: map[string]any{"typ": "dpop+jwt", "alg": p.Algorithm(), "jwk": publicJWK(t, p)},
		claims: map[string]any{
			"jti": freshJTI(), "htm": testMethod, "htu": testURI,
			"iat": testNow.Unix(), "ath": TokenHash(testToken),
		},
	}
}

// sign mints the proof with p's key and its default algorithm.
func (pp proofParts) sign(t testing.TB, p *testkeys.KeyPair) string {
	t.Helper()
	return signAlg(t, p, "", mustJSON(t, pp.header), mustJSON(t, pp.claims))
}

func signAlg(t testing.TB, p *testkeys.KeyPair, alg string, header, claims []byte) string {
	t.Helper()
	s, err := testkeys.SignCompact(p, alg, header, claims)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func enc64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// newTestVerifier returns a verifier on the test clock; mod changes the
// config first.
func newTestVerifier(t testing.TB, mod func(*Config)) *Verifier {
	t.Helper()
	cfg := Config{Clock: func() time.Time { return testNow }}
	if mod != nil {
		mod(&cfg)
	}
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// request returns a Request for proof, bound to p's thumbprint.
func request(p *testkeys.KeyPair, proofs ...string) Request {
	return Request{Method: testMethod, URI: testURI, Proofs: proofs, AccessToken: testToken, Thumbprint: p.KeyID()}
}

// wantProofErr checks err matches sentinel and has reason.
func wantProofErr(t testing.TB, err, sentinel error, reason mcpauth.Reason) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want %v (%s)", sentinel, reason)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("err = %v; want it to match %v", err, sentinel)
	}
	if got := mcpauth.ReasonOf(err); got != reason {
		t.Fatalf("reason = %s; want %s (err %v)", got, reason, err)
	}
}

var (
	p384Pair = lazyPair(func() (*testkeys.KeyPair, error) {
		k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		if err != nil {
			return nil, err
		}
		return testkeys.NewECKeyPair(k)
	})
	p521Pair = lazyPair(func() (*testkeys.KeyPair, error) {
		k, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		if err != nil {
			return nil, err
		}
		return testkeys.NewECKeyPair(k)
	})
	otherECPair = lazyPair(func() (*testkeys.KeyPair, error) { return testkeys.GenerateECKeyPair() })
)

// lazyPair generates a key pair on first use.
func lazyPair(gen func() (*testkeys.KeyPair, error)) func(testing.TB) *testkeys.KeyPair {
	once := sync.OnceValues(gen)
	return func(t testing.TB) *testkeys.KeyPair {
		t.Helper()
		p, err := once()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
}

// failingStore is a ReplayStore that is down.
type failingStore struct{}

func (failingStore) Seen(context.Context, string, time.Time) (bool, error) {
	return false, errors.New("connection refused")
}
