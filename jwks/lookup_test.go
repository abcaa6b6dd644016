package jwks

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth"
)

func TestAlgorithmPinning(t *testing.T) {
	k := testKeys(t)
	srv := newServer(t, doc(t,
		rsaJWK("rsa", &k.rsa1.PublicKey),
		rsaJWK("rsa-rs256", &k.rsa2.PublicKey).with("alg", "RS256"),
		ecJWK(t, "p256", &k.p256.PublicKey),
		ecJWK(t, "p384", &k.p384.PublicKey),
		ecJWK(t, "p521", &k.p521.PublicKey),
		edJWK("ed-key", k.edPub()),
		edJWK("ed-eddsa", k.edPub()).with("alg", "EdDSA"),
		edJWK("ed-ed25519", k.edPub()).with("alg", "Ed25519"),
	))
	h := newHarness(t, srv.URL, nil)
	h.ready(t)
	tests := []struct {
		kid, alg string
		want     any   // key, or nil
		err      error // when want is nil
	}{
		{"rsa", "RS256", &k.rsa1.PublicKey, nil},
		{"rsa", "RS384", &k.rsa1.PublicKey, nil},
		{"rsa", "RS512", &k.rsa1.PublicKey, nil},
		{"rsa", "PS256", &k.rsa1.PublicKey, nil},
		{"rsa", "PS512", &k.rsa1.PublicKey, nil},
		{"rsa", "ES256", nil, wantAlgorithm},
		{"rsa", "EdDSA", nil, wantAlgorithm},
		{"rsa-rs256", "RS256", &k.rsa2.PublicKey, nil},
		{"rsa-rs256", "PS256", nil, wantAlgorithm},
		{"rsa-rs256", "RS512", nil, wantAlgorithm},
		{"p256", "ES256", &k.p256.PublicKey, nil},
		{"p256", "ES384", nil, wantAlgorithm},
		{"p256", "ES512", nil, wantAlgorithm},
		{"p256", "RS256", nil, wantAlgorithm},
		{"p384", "ES384", &k.p384.PublicKey, nil},
		{"p384", "ES256", nil, wantAlgorithm},
		{"p521", "ES512", &k.p521.PublicKey, nil},
		{"p521", "ES384", nil, wantAlgorithm},
		{"ed-key", "EdDSA", k.edPub(), nil},
		{"ed-key", "ES256", nil, wantAlgorithm},
		// An OKP Ed25519 key without alg verifies both names (RFC 8037,
		// RFC 9864); a JWK alg pins it to exactly the name it gives.
		{"ed-key", "Ed25519", k.edPub(), nil},
		{"ed-key", "Ed448", nil, wantAlgorithm},
		{"ed-eddsa", "EdDSA", k.edPub(), nil},
		{"ed-eddsa", "Ed25519", nil, wantAlgorithm},
		{"ed-ed25519", "Ed25519", k.edPub(), nil},
		{"ed-ed25519", "EdDSA", nil, wantAlgorithm},
		{"rsa", "Ed25519", nil, wantAlgorithm},
		{"p256", "Ed25519", nil, wantAlgorithm},
		// token algorithms that are never allowed
		{"rsa", "none", nil, wantAlgorithm},
		{"rsa", "None", nil, wantAlgorithm},
		{"rsa", "HS256", nil, wantAlgorithm},
		{"rsa", "rs256", nil, wantAlgorithm},
		{"rsa", "", nil, wantAlgorithm},
		{"", "none", nil, wantAlgorithm},
	}
	for _, tt := range tests {
		t.Run(tt.kid+"/"+tt.alg, func(t *testing.T) {
			if tt.want != nil {
				mustKey(t, h.Set, tt.kid, tt.alg, tt.want)
				return
			}
			err := mustErr(t, h.Set, tt.kid, tt.alg, tt.err)
			if matches(err, wantUnknownKey) || errors.Is(err, mcpauth.ErrKeySourceUnavailable) {
				t.Errorf("error %v matches more than one sentinel", err)
			}
			if tt.kid != "" && strings.Contains(err.Error(), tt.kid) {
				t.Errorf("error %q echoes the kid", err)
			}
		})
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("algorithm mismatches caused %d fetches, want only the first", n)
	}
	if got := h.KeyAlgorithms("rsa-rs256"); !slices.Equal(got, []string{"RS256"}) {
		t.Errorf("KeyAlgorithms(rsa-rs256) = %v", got)
	}
	if got := h.KeyAlgorithms("p384"); !slices.Equal(got, []string{"ES384"}) {
		t.Errorf("KeyAlgorithms(p384) = %v", got)
	}
}

func TestAlgorithmAllowList(t *testing.T) {
	k := testKeys(t)
	srv := newServer(t, doc(t,
		rsaJWK("rsa", &k.rsa1.PublicKey),
		rsaJWK("rsa-ps", &k.rsa2.PublicKey).with("alg", "PS256"),
		ecJWK(t, "p256", &k.p256.PublicKey),
		ecJWK(t, "p384", &k.p384.PublicKey),
		edJWK("ed", k.edPub()),
	))
	h := newHarness(t, srv.URL, func(o *Options) { o.Algorithms = []string{"RS256", "ES256"} })
	h.ready(t)
	if got := h.KeyIDs(); !slices.Equal(got, []string{"p256", "rsa"}) {
		t.Errorf("KeyIDs() = %v: keys with no allowed algorithm must be skipped", got)
	}
	if got := h.KeyAlgorithms("rsa"); !slices.Equal(got, []string{"RS256"}) {
		t.Errorf("KeyAlgorithms(rsa) = %v, want the allow-list intersection", got)
	}
	mustKey(t, h.Set, "rsa", "RS256", &k.rsa1.PublicKey)
	mustKey(t, h.Set, "p256", "ES256", &k.p256.PublicKey)
	for _, alg := range []string{"PS256", "RS512", "ES384", "EdDSA"} {
		mustErr(t, h.Set, "rsa", alg, wantAlgorithm)
	}
}

func TestKidlessLookup(t *testing.T) {
	k := testKeys(t)
	rsa1 := rsaJWK("rsa1", &k.rsa1.PublicKey)
	rsa2 := rsaJWK("rsa2", &k.rsa2.PublicKey)
	p256 := ecJWK(t, "p256", &k.p256.PublicKey)
	type lookup struct {
		alg  string
		want any   // key, or nil
		err  error // when want is nil
	}
	tests := []struct {
		name    string
		keys    []jwk
		lookups []lookup
	}{
		{"one key", []jwk{rsa1}, []lookup{
			{"RS256", &k.rsa1.PublicKey, nil},
			{"PS384", &k.rsa1.PublicKey, nil},
			{"ES256", nil, wantUnknownKey},
		}},
		{"one key without kid", []jwk{rsa1.with("kid", nil)}, []lookup{
			{"RS256", &k.rsa1.PublicKey, nil},
		}},
		{"one compatible among several", []jwk{rsa1, p256, edJWK("ed", k.edPub())}, []lookup{
			{"ES256", &k.p256.PublicKey, nil},
			{"RS256", &k.rsa1.PublicKey, nil},
			{"EdDSA", k.edPub(), nil},
			{"ES384", nil, wantUnknownKey},
		}},
		{"several compatible", []jwk{rsa1, rsa2, p256}, []lookup{
			{"RS256", nil, wantUnknownKey},
			{"ES256", &k.p256.PublicKey, nil},
		}},
		{"pinning decides", []jwk{rsa1.with("alg", "RS256"), rsa2}, []lookup{
			{"PS256", &k.rsa2.PublicKey, nil},
			{"RS256", nil, wantUnknownKey},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, doc(t, tt.keys...))
			h := newHarness(t, srv.URL, nil)
			h.ready(t)
			for _, l := range tt.lookups {
				if l.want != nil {
					mustKey(t, h.Set, "", l.alg, l.want)
				} else {
					mustErr(t, h.Set, "", l.alg, l.err)
				}
			}
			if n := srv.hits.Load(); n != 1 {
				t.Errorf("kid-less lookups caused %d fetches; they must never trigger a refresh", n)
			}
		})
	}
}

func TestKidMustMatch(t *testing.T) {
	k := testKeys(t)
	srv := newServer(t, doc(t, rsaJWK("", &k.rsa1.PublicKey).with("kid", nil)))
	h := newHarness(t, srv.URL, nil)
	h.ready(t)
	// A token naming a kid never falls back to a kid-less key.
	mustErr(t, h.Set, "some-kid", "RS256", wantUnknownKey)
}

func TestDuplicateKid(t *testing.T) {
	k := testKeys(t)
	srv := newServer(t, doc(t,
		rsaJWK("dup", &k.rsa1.PublicKey),
		rsaJWK("dup", &k.rsa2.PublicKey),
		rsaJWK("mixed", &k.rsa1.PublicKey),
		ecJWK(t, "mixed", &k.p256.PublicKey),
		rsaJWK("pinned", &k.rsa1.PublicKey).with("alg", "RS256"),
		rsaJWK("pinned", &k.rsa2.PublicKey).with("alg", "PS256"),
	))
	h := newHarness(t, srv.URL, nil)
	h.ready(t)
	err := mustErr(t, h.Set, "dup", "RS256", wantUnknownKey)
	if !strings.Contains(err.Error(), "several keys") {
		t.Errorf("ambiguity not explained: %v", err)
	}
	mustKey(t, h.Set, "mixed", "RS256", &k.rsa1.PublicKey)
	mustKey(t, h.Set, "mixed", "ES256", &k.p256.PublicKey)
	mustKey(t, h.Set, "pinned", "RS256", &k.rsa1.PublicKey)
	mustKey(t, h.Set, "pinned", "PS256", &k.rsa2.PublicKey)
	mustErr(t, h.Set, "pinned", "RS384", wantAlgorithm)
	if h.KeyAlgorithms("dup") != nil {
		t.Error("KeyAlgorithms of an ambiguous kid should be nil")
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("lookups of known kids caused %d fetches", n)
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	k := testKeys(t)
	srv := newServer(t, doc(t, rsaJWK("a", &k.rsa1.PublicKey), rsaJWK("b", &k.rsa2.PublicKey), ecJWK(t, "c", &k.p256.PublicKey)))
	h := newHarness(t, srv.URL, nil)
	h.ready(t)
	ctx := context.Background()
	for _, c := range []struct{ kid, alg string }{{"b", "RS256"}, {"", "ES256"}, {"a", "ES256"}, {"", "RS256"}} {
		if n := testing.AllocsPerRun(100, func() { _, _ = h.VerificationKey(ctx, c.kid, c.alg) }); n != 0 {
			t.Errorf("VerificationKey(%q, %q) allocates %v times", c.kid, c.alg, n)
		}
	}
}

func BenchmarkVerificationKey(b *testing.B) {
	k := testKeys(b)
	keys := []jwk{ecJWK(b, "ec", &k.p256.PublicKey)}
	for _, kid := range []string{"k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8"} {
		keys = append(keys, rsaJWK(kid, &k.rsa1.PublicKey))
	}
	srv := newServer(b, doc(b, keys...))
	h := newHarness(b, srv.URL, nil)
	h.ready(b)
	ctx := context.Background()
	for _, c := range []struct{ name, kid, alg string }{
		{"kid", "k5", "RS256"},
		{"kidless", "", "ES256"},
		{"wrong-alg", "k5", "ES256"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					_, _ = h.VerificationKey(ctx, c.kid, c.alg)
				}
			})
		})
	}
}

// The algIDs name internal/jose's table in its order, and the families of
// each key type come from its key rule.
func TestAlgorithmTableFollowsJose(t *testing.T) {
	for id, want := range map[algID]string{
		algRS256: "RS256", algRS384: "RS384", algRS512: "RS512",
		algPS256: "PS256", algPS384: "PS384", algPS512: "PS512",
		algES256: "ES256", algES384: "ES384", algES512: "ES512",
		algEdDSA: "EdDSA", algEd25519: "Ed25519",
	} {
		if algNames[id] != want {
			t.Errorf("algNames[%d] = %q, want %q", id, algNames[id], want)
		}
		if got, ok := parseAlg(want); !ok || got != id {
			t.Errorf("parseAlg(%q) = %d, %v; want %d", want, got, ok, id)
		}
	}
	for _, bad := range []string{"rs256", "HS256", "none", "Ed448", ""} {
		if _, ok := parseAlg(bad); ok {
			t.Errorf("parseAlg(%q) accepted", bad)
		}
	}
	for set, want := range map[algSet]string{
		rsaAlgs: "RS256 RS384 RS512 PS256 PS384 PS512", p256Algs: "ES256",
		p384Algs: "ES384", p521Algs: "ES512", edAlgs: "EdDSA Ed25519",
	} {
		if set.String() != want {
			t.Errorf("set %s, want %s", set, want)
		}
	}
}
