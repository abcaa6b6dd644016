package bench

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/mcpauth/mcpauth/dpop"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/verify"
)

// DPoP benchmark setup: the resource's public base URL and the URI the
// proofs name.
const (
	dpopBase = "https://mcp.example.com"
	dpopURI  = dpopBase + "/mcp"
	// dpopPool is how many proofs are minted at a time, outside the timer.
	dpopPool = 2048
)

// dpopSetup is the DPoP comparison: the middleware with DPoP allowed
// (in-memory replay store) over a cached ES256 verifier, a Bearer token and
// the same token bound to the client's key (cnf.jkt), and the client's key.
type dpopSetup struct {
	v        *verify.JWTVerifier
	h        http.Handler
	verifier *dpop.Verifier
	bearer   string // not DPoP-bound
	bound    string // the same claims plus cnf.jkt
	client   *testkeys.KeyPair
}

func newDPoPSetup(tb testing.TB) *dpopSetup {
	tb.Helper()
	f := fixtureFor(tb, "ES256")
	ck, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	client, err := testkeys.NewECKeyPair(ck)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := verify.NewJWTVerifier(verify.Settings{
		PublicKey:  f.pem,
		Algorithms: []string{f.alg},
		Issuers:    []string{issuer},
		Audiences:  []string{audience},
		Leeway:     leeway,
		CacheSize:  100,
	})
	if err != nil {
		tb.Fatal(err)
	}
	s := &dpopSetup{
		v:      v,
		bearer: f.token,
		bound:  signTokenWith(f.alg, f.signer, audience, jwt.MapClaims{"cnf": map[string]any{"jkt": client.KeyID()}}),
		client: client,
	}
	s.renew(tb)
	return s
}

// renew gives the setup a new middleware and DPoP verifier, with an empty
// in-memory replay store, so that the same proofs can be sent again.
func (s *dpopSetup) renew(tb testing.TB) {
	tb.Helper()
	dv, err := dpop.NewVerifier(dpop.Config{Algorithms: []string{"ES256"}})
	if err != nil {
		tb.Fatal(err)
	}
	h, err := middleware.NewChecked(s.v, middleware.WithDPoP(dv, dpopBase))
	if err != nil {
		tb.Fatal(err)
	}
	s.h, s.verifier = h(noop), dv
}

// proofs mints n fresh proofs for POST dpopURI bound to s.bound.
func (s *dpopSetup) proofs(tb testing.TB, n int) []string {
	tb.Helper()
	out := make([]string, n)
	now := time.Now()
	for i := range out {
		p, err := testkeys.CreateDPoPProof(s.client, testkeys.DPoPProofOptions{
			Method: http.MethodPost, URL: dpopURI, AccessToken: s.bound, IssuedAt: now,
		})
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = p
	}
	return out
}

// dpopRoundTrip sends one request through h as roundTrip does, with the
// given scheme and, when proof is not empty, a DPoP header.
func dpopRoundTrip(h http.Handler, scheme, token, proof string) int {
	req := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	req.Header.Set("Authorization", scheme+" "+token)
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

// proofFeed hands out proofs the replay store has not seen. It mints a
// pool once; when the pool is used up it gives the setup a new middleware
// (an empty replay store) with the timer stopped and starts over, minting
// a new pool only when the proofs get old. Minting (an ES256 signature and
// its garbage) thus stays out of the timed loop.
type proofFeed struct {
	s      *dpopSetup
	pool   []string
	sigs   []proofSig // with withSigs: each proof's signature, ready for the floor
	minted time.Time
	i      int
}

// proofSig is a proof's signing input and its signature in ASN.1 DER: what
// the floor verification of that very proof needs.
type proofSig struct {
	input, der []byte
}

func newProofFeed(b *testing.B, s *dpopSetup) *proofFeed {
	f := &proofFeed{s: s}
	f.mint(b)
	s.renew(b)
	return f
}

// newPairedFeed is newProofFeed that also prepares each proof's floor
// verification (nextPair).
func newPairedFeed(b *testing.B, s *dpopSetup) *proofFeed {
	f := &proofFeed{s: s, sigs: []proofSig{}}
	f.mint(b)
	s.renew(b)
	return f
}

func (f *proofFeed) mint(b *testing.B) {
	f.pool, f.minted = f.s.proofs(b, dpopPool), time.Now()
	if f.sigs == nil {
		return
	}
	f.sigs = f.sigs[:0]
	for _, p := range f.pool {
		dot := strings.LastIndexByte(p, '.')
		sig, err := base64.RawURLEncoding.DecodeString(p[dot+1:])
		if err != nil || len(sig) != 64 {
			b.Fatalf("proof signature: %v", err)
		}
		f.sigs = append(f.sigs, proofSig{
			input: []byte(p[:dot]),
			der:   derSig(new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])),
		})
	}
}

func (f *proofFeed) next(b *testing.B) string {
	p, _ := f.nextPair(b)
	return p
}

// nextPair returns the next proof and, for a paired feed, its signature.
func (f *proofFeed) nextPair(b *testing.B) (string, proofSig) {
	if f.i == len(f.pool) {
		b.StopTimer()
		if time.Since(f.minted) > dpop.DefaultMaxAge/2 {
			f.mint(b)
		}
		f.s.renew(b)
		f.i = 0
		b.StartTimer()
	}
	p := f.pool[f.i]
	var ps proofSig
	if f.sigs != nil {
		ps = f.sigs[f.i]
	}
	f.i++
	return p, ps
}

// BenchmarkDPoP compares, side by side, the same request with the Bearer
// scheme and with the DPoP scheme and a fresh proof, through one
// middleware (DPoP allowed, in-memory replay store, cached ES256 token
// verification, so that the difference is DPoP's own), with the cost of
// the one extra ES256 signature verification a proof needs (its floor:
// SHA-256 and ecdsa.VerifyASN1 with a parsed key) and dpop.Verifier.Verify
// alone. Every timed request carries a proof the replay store has not seen
// (see proofFeed). cmd/report checks dpop − bearer ≤ proof-signature + 2 µs.
func BenchmarkDPoP(b *testing.B) {
	s := newDPoPSetup(b)
	b.Run("bearer", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if code := dpopRoundTrip(s.h, "Bearer", s.bearer, ""); code != http.StatusOK {
				b.Fatalf("status %d", code)
			}
		}
	})
	b.Run("dpop", func(b *testing.B) {
		feed := newProofFeed(b, s)
		b.ReportAllocs()
		for b.Loop() {
			p := feed.next(b)
			if code := dpopRoundTrip(s.h, "DPoP", s.bound, p); code != http.StatusOK {
				b.Fatalf("status %d", code)
			}
		}
	})
	b.Run("proof-signature", func(b *testing.B) {
		f := proofFloor(b, s)
		benchFloor(b, f)
	})
	// paired sends, in every iteration, one Bearer request, one DPoP
	// request with a fresh proof and one standalone verification of that
	// proof's signature (SHA-256 and ecdsa.VerifyASN1 with a parsed key,
	// the DER form made beforehand), in an order that rotates through all
	// six permutations, and times each with time.Now. It reports the
	// median over iterations of dpop − bearer − signature as
	// excess-ns/op (what DPoP costs beyond its one signature
	// verification: the target's measure) and the medians of the three
	// timings. A pause of the shared machine falls into one iteration and
	// moves the median little. ns/op is the time of one iteration.
	b.Run("paired", func(b *testing.B) {
		feed := newPairedFeed(b, s)
		pub := s.client.Public().(*ecdsa.PublicKey)
		var bearerNS, dpopNS, sigNS, excess []float64
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			p, ps := feed.nextPair(b)
			var took [3]time.Duration // bearer, dpop, signature
			for _, op := range permutations[i%len(permutations)] {
				var ok bool
				t0 := time.Now()
				switch op {
				case 0:
					ok = dpopRoundTrip(s.h, "Bearer", s.bearer, "") == http.StatusOK
				case 1:
					ok = dpopRoundTrip(s.h, "DPoP", s.bound, p) == http.StatusOK
				case 2:
					d := sha256.Sum256(ps.input)
					ok = ecdsa.VerifyASN1(pub, d[:], ps.der)
				}
				took[op] = time.Since(t0)
				if !ok {
					b.Fatalf("operation %d failed", op)
				}
			}
			bearerNS = append(bearerNS, float64(took[0]))
			dpopNS = append(dpopNS, float64(took[1]))
			sigNS = append(sigNS, float64(took[2]))
			excess = append(excess, float64(took[1]-took[0]-took[2]))
		}
		b.ReportMetric(median(excess), "excess-ns/op")
		b.ReportMetric(median(bearerNS), "bearer-ns/op")
		b.ReportMetric(median(dpopNS), "dpop-ns/op")
		b.ReportMetric(median(sigNS), "sig-ns/op")
	})
	b.Run("verify-proof", func(b *testing.B) {
		feed := newProofFeed(b, s)
		req := dpop.Request{Method: http.MethodPost, URI: dpopURI, AccessToken: s.bound, Thumbprint: s.client.KeyID()}
		ctx := context.Background()
		proofs := make([]string, 1)
		b.ReportAllocs()
		for b.Loop() {
			proofs[0] = feed.next(b)
			req.Proofs = proofs
			if _, err := s.verifier.Verify(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// permutations are the six orders of the paired benchmark's three
// operations (0 bearer, 1 dpop, 2 signature).
var permutations = [6][3]int{{0, 1, 2}, {1, 2, 0}, {2, 0, 1}, {0, 2, 1}, {2, 1, 0}, {1, 0, 2}}

// proofFloor returns the floor fixture of one proof: its signing input,
// its signature in DER and the client's parsed public key.
func proofFloor(tb testing.TB, s *dpopSetup) *fixture {
	tb.Helper()
	p := s.proofs(tb, 1)[0]
	dot := strings.LastIndexByte(p, '.')
	sig, err := base64.RawURLEncoding.DecodeString(p[dot+1:])
	if err != nil {
		tb.Fatal(err)
	}
	return &fixture{
		alg:    "ES256",
		public: s.client.Public(),
		input:  []byte(p[:dot]),
		sig:    sig,
		der:    derSig(new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])),
	}
}

// TestDPoPStacksAgree checks the benchmarked requests: the Bearer token
// passes as Bearer, the bound token with a fresh proof passes as DPoP, and
// the bound token is refused as Bearer and with a replayed proof, so the
// DPoP row measures a proof that is really checked.
func TestDPoPStacksAgree(t *testing.T) {
	s := newDPoPSetup(t)
	p := s.proofs(t, 1)[0]
	for _, c := range []struct {
		name, scheme, token, proof string
		want                       int
	}{
		{"bearer", "Bearer", s.bearer, "", http.StatusOK},
		{"dpop", "DPoP", s.bound, p, http.StatusOK},
		{"dpop replayed", "DPoP", s.bound, p, http.StatusUnauthorized},
		{"bound as bearer", "Bearer", s.bound, "", http.StatusUnauthorized},
		{"dpop without proof", "DPoP", s.bound, "", http.StatusUnauthorized},
	} {
		if code := dpopRoundTrip(s.h, c.scheme, c.token, c.proof); code != c.want {
			t.Errorf("%s: status %d; want %d", c.name, code, c.want)
		}
	}
	f := proofFloor(t, s)
	if !floorVerify(f, f.input, f.sig) {
		t.Error("the proof's floor verification fails")
	}
	f.input[len(f.input)-1] ^= 1
	if floorVerify(f, f.input, f.sig) {
		t.Error("the proof's floor verification accepts an altered input")
	}
}
