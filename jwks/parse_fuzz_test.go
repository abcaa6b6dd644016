package jwks

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"runtime"
	"strings"
	"testing"
	"time"
)

// fuzzJWKSeeds returns single JWKs: one usable key of every type, and every
// way a member can be wrong.
func fuzzJWKSeeds(tb testing.TB) []jwk {
	tb.Helper()
	k := testKeys(tb)
	r := rsaJWK("rsa", &k.rsa1.PublicKey)
	p256 := ecJWK(tb, "p256", &k.p256.PublicKey)
	ed := edJWK("ed", k.edPub())
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fuzz"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<32, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.rsa1.PublicKey, k.rsa1)
	if err != nil {
		tb.Fatal(err)
	}
	x5c := []string{base64.StdEncoding.EncodeToString(der)}
	x, y := ecXY(tb, &k.p256.PublicKey)
	offCurve := append([]byte(nil), y...)
	offCurve[len(offCurve)-1] ^= 1
	n := k.rsa1.N.Bytes()
	even := append(append([]byte(nil), n[:len(n)-1]...), n[len(n)-1]&^1)
	return []jwk{
		r, r.with("alg", "RS256"), r.with("alg", "PS512", "use", "sig"), r.with("key_ops", []string{"verify"}),
		r.with("x5c", x5c), r.with("x5c", x5c, "x5t", "AAAA"), r.with("x5c", []string{"AAAA"}), r.with("x5u", "https://attacker.example/x"),
		rsaJWK("weak", &k.rsaWeak.PublicKey), r.with("e", "AQ"), r.with("e", "Ag"), r.with("e", "AQAAAAAAAAAAAQ"), r.with("e", "gAAAAQ"),
		r.with("n", b64(even)), r.with("n", b64(n)+"=="), r.with("n", "++//"), r.with("n", ""), r.with("e", nil), r.with("n", 1),
		r.with("alg", "HS256"), r.with("alg", "none"), r.with("alg", "ES256"), r.with("alg", "RS1"), r.with("alg", 1),
		r.with("use", "enc"), r.with("use", ""), r.with("key_ops", []string{"encrypt"}), r.with("key_ops", []string{}), r.with("key_ops", "verify"),
		r.with("d", "AQAB"), r.with("p", "AQAB"), r.with("oth", []any{map[string]string{"r": "AQ", "d": "AQ", "t": "AQ"}}),
		r.with("D", "AQAB"), r.with("kty", "rsa"), r.with("KTY", "EC"), r.with("kid", 7), r.with("kid", strings.Repeat("k", 300)),
		p256, p256.with("alg", "ES256"), p256.with("alg", "ES384"), p256.with("crv", "P-384"), p256.with("crv", "secp256k1"),
		p256.with("crv", nil), p256.with("y", b64(offCurve)), p256.with("x", b64(make([]byte, len(x))), "y", b64(make([]byte, len(y)))),
		p256.with("x", b64(append([]byte{0}, x...))), p256.with("x", b64(x[1:])), p256.with("d", "AQAB"), p256.with("x5c", x5c),
		ecJWK(tb, "p384", &k.p384.PublicKey), ecJWK(tb, "p521", &k.p521.PublicKey),
		ed, ed.with("alg", "EdDSA"), ed.with("alg", "Ed25519"), ed.with("crv", "X25519"), ed.with("crv", "Ed448"), ed.with("x", "AAAA"),
		ed.with("d", "AQAB"), ed.with("crv", nil),
		{"kty": "oct", "k": "c2VjcmV0"}, {"kty": "oct"}, {"kty": ""}, {}, {"kty": "RSA"}, {"kty": "EC", "crv": "P-256"}, {"kty": "OKP"},
		{"kty": 1}, {"kty": []string{"RSA"}},
	}
}

// fuzzRawJWKs are members that are not well-formed JSON objects.
var fuzzRawJWKs = []string{
	`null`, `[]`, `"RSA"`, `1`, `{`, `{"kty":"RSA",}`, `{"kty":"RSA","kty":"EC"}`, `{"kty":"EC","crv":"P-256","x":"\ud800"}`,
	"{\"kty\":\"\xff\"}", `{"x5c":[1]}`, `{"oth":{}}`, `{"key_ops":[null]}`, ` {"kty":"OKP"} `,
}

func FuzzParseJWK(f *testing.F) {
	for _, j := range fuzzJWKSeeds(f) {
		b, err := json.Marshal(j)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint16(allAlgs))
	}
	for _, s := range fuzzRawJWKs {
		f.Add([]byte(s), uint16(allAlgs))
	}
	f.Add([]byte(`{"kty":"RSA"}`), uint16(0))
	f.Fuzz(func(t *testing.T, raw []byte, mask uint16) {
		allowed := algSet(mask) & allAlgs
		e, sk := parseKey(raw, allowed)
		if (e == nil) == (sk == nil) {
			t.Fatalf("parseKey returned entry %v and skip %v; want exactly one", e, sk)
		}
		if sk != nil {
			checkSkip(t, raw, sk)
			return
		}
		checkEntry(t, raw, e, allowed)
	})
}

// checkSkip asserts a skip record has a reason and does not quote private
// key material.
func checkSkip(t *testing.T, raw []byte, sk *skip) {
	t.Helper()
	if sk.reason == "" {
		t.Fatal("skip without a reason")
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return
	}
	for _, name := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
		if s, ok := m[name].(string); ok && len(s) > 16 && strings.Contains(sk.reason, s) {
			t.Fatalf("skip reason %q quotes private member %q", sk.reason, name)
		}
	}
}

// checkEntry asserts an accepted member is a sound verification key:
// the Go type its kty calls for, RSA between 2048 and 16384 bits with a
// usable exponent, EC points on the named curve, a 32-byte Ed25519 key,
// algorithms within the allow-list, the member's alg and its kty, and no
// private or symmetric key material, use other than sig or key_ops without
// verify.
func checkEntry(t *testing.T, raw []byte, e *entry, allowed algSet) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("accepted a member encoding/json cannot decode: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	names := map[string]bool{}
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	for dec.More() {
		tok, _ := dec.Token()
		name, _ := tok.(string)
		for known := range jwkMemberSet {
			if names[name] || name != known && strings.EqualFold(name, known) {
				t.Fatalf("accepted a member with a repeated or case-variant name %q", name)
			}
		}
		names[name] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	kty, _ := m["kty"].(string)
	crv, _ := m["crv"].(string)
	var want algSet
	switch k := e.key.(type) {
	case *rsa.PublicKey:
		bits := k.N.BitLen()
		if kty != "RSA" || bits < minRSABits || bits > maxRSABits || k.N.Bit(0) == 0 || k.E < 3 || k.E%2 == 0 || k.E > 1<<31-1 {
			t.Fatalf("accepted RSA key (kty %q): %d bits, e=%d", kty, bits, k.E)
		}
		want = rsaAlgs
	case *ecdsa.PublicKey:
		curves := map[string]elliptic.Curve{"P-256": elliptic.P256(), "P-384": elliptic.P384(), "P-521": elliptic.P521()}
		if kty != "EC" || k.Curve != curves[crv] {
			t.Fatalf("accepted EC key (kty %q, crv %q) on curve %v", kty, crv, k.Curve.Params().Name)
		}
		if _, err := k.ECDH(); err != nil {
			t.Fatalf("accepted an EC point that is not on the curve: %v", err)
		}
		want = map[string]algSet{"P-256": p256Algs, "P-384": p384Algs, "P-521": p521Algs}[crv]
	case ed25519.PublicKey:
		if kty != "OKP" || crv != "Ed25519" || len(k) != ed25519.PublicKeySize {
			t.Fatalf("accepted Ed25519 key (kty %q, crv %q) of %d bytes", kty, crv, len(k))
		}
		want = edAlgs
	default:
		t.Fatalf("accepted a key of type %T", e.key)
	}
	if e.algs == 0 || e.algs&^(want&allowed) != 0 {
		t.Fatalf("key pinned to %s; its type allows %s and the allow-list %s", e.algs, want, allowed)
	}
	if a, ok := m["alg"]; ok && a != "" { // an empty alg pins nothing
		id, known := parseAlg(fmt.Sprint(a))
		if !known || e.algs != 1<<id {
			t.Fatalf("member alg %v but key pinned to %s", a, e.algs)
		}
	}
	if kid, _ := m["kid"].(string); kid != e.kid {
		t.Fatalf("entry kid %q; member kid %q", e.kid, kid)
	}
	for _, name := range []string{"d", "p", "q", "dp", "dq", "qi", "k", "oth"} {
		if v, ok := m[name]; ok && v != "" && v != nil {
			t.Fatalf("accepted a member with private member %q", name)
		}
	}
	if use, ok := m["use"]; ok && use != "sig" && use != "" && use != nil {
		t.Fatalf("accepted a member with use %v", use)
	}
	if ops, ok := m["key_ops"].([]any); ok {
		found := false
		for _, o := range ops {
			found = found || o == "verify"
		}
		if !found {
			t.Fatalf("accepted a member with key_ops %v", ops)
		}
	}
}

// jwkMemberSet holds the JWK member names of RFC 7517 and 7518.
var jwkMemberSet = map[string]bool{
	"kty": true, "use": true, "key_ops": true, "alg": true, "kid": true, "x5u": true, "x5c": true, "x5t": true, "x5t#S256": true,
	"crv": true, "x": true, "y": true, "d": true, "n": true, "e": true, "p": true, "q": true, "dp": true, "dq": true, "qi": true, "oth": true, "k": true,
}

// fuzzDocSeeds returns whole JWK Set documents.
func fuzzDocSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	k := testKeys(tb)
	good := []jwk{rsaJWK("rsa", &k.rsa1.PublicKey), ecJWK(tb, "p256", &k.p256.PublicKey), edJWK("ed", k.edPub())}
	seeds := [][]byte{
		doc(tb, good...), doc(tb, good[0]), doc(tb), doc(tb, good[0], good[0]), doc(tb, append(fuzzJWKSeeds(tb), good...)...),
		doc(tb, rsaJWK("", &k.rsa2.PublicKey), edJWK("", k.edPub())), doc(tb, jwk{"kty": "oct", "k": "c2VjcmV0"}),
	}
	for _, s := range []string{
		``, `null`, `[]`, `{}`, `{"keys":null}`, `{"keys":{}}`, `{"keys":"x"}`, `{"keys":[]}`, `{"keys":[null,1,"a",[]]}`,
		`{"keys":[{}],"keys":[]}`, `{"keys":[{"kty":"RSA"}]}x`, ` {"keys":[]} `, `{"keys":[` + strings.Repeat("[", 100) + `]}`,
		"{\"keys\":[{\"kty\":\"\xff\"}]}", `{"Keys":[]}`,
	} {
		seeds = append(seeds, []byte(s))
	}
	return append(seeds, fuzzDocWorstCases(64<<10)...)
}

// fuzzDocWorstCases returns documents of about size bytes that make
// parseDocument work hard: many members, deep nesting, many escapes, huge
// numbers and keys.
func fuzzDocWorstCases(size int) [][]byte {
	fill := func(prefix, unit, suffix string) []byte {
		n := max((size-len(prefix)-len(suffix))/len(unit), 0)
		return []byte(prefix + strings.Repeat(unit, n) + suffix)
	}
	bigN := b64(bytes.Repeat([]byte{0xff}, maxRSABits/8))
	rsaUnit := `{"kty":"RSA","n":"` + bigN + `","e":"AQAB"},`
	return [][]byte{
		fill(`{"keys":[`, `{},`, `{}]}`),
		fill(`{"keys":[`, `1,`, `1]}`),
		fill(`{"keys":[`, `{"kty":"RSA"},`, `{}]}`),
		fill(`{"keys":[`, `{"kty":"oct","k":"AA"},`, `{}]}`),
		fill(`{"keys":[`, `{"kty":"EC","crv":"P-256","x":"AA","y":"AA"},`, `{}]}`),
		fill(`{"keys":[`, rsaUnit, `{}]}`),
		fill(`{"keys":[{"kty":"RSA","x":`, `[`, ``),
		fill(`{"keys":[{"kty":"RSA","kid":"`, `\u00e9`, `"}]}`),
		fill(`{"keys":[{"kty":"RSA","n":`, `9`, `}]}`),
		fill(`{"keys":[{"kty":"RSA","x5c":[`, `"AAAA",`, `"AAAA"]}]}`),
		fill(`{"keys":[{"kty":"RSA","key_ops":[`, `"verify",`, `"verify"]}]}`),
		fill(`{"x":[`, `{},`, `{}],"keys":[]}`),
	}
}

func FuzzParseDocument(f *testing.F) {
	for _, d := range fuzzDocSeeds(f) {
		f.Add(d, uint16(allAlgs))
	}
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`), uint16(edAlgs))
	f.Fuzz(func(t *testing.T, body []byte, mask uint16) {
		allowed := algSet(mask) & allAlgs
		entries, skips, err := parseDocument(body, allowed)
		if err != nil {
			if !errors.Is(err, ErrFetch) || entries != nil {
				t.Fatalf("error %v (ErrFetch %v) with %d entries", err, errors.Is(err, ErrFetch), len(entries))
			}
			return
		}
		if len(entries) == 0 {
			t.Fatal("no error but no entries")
		}
		var top struct{ Keys []json.RawMessage }
		if err := json.Unmarshal(body, &top); err != nil {
			t.Fatalf("accepted a document encoding/json cannot decode: %v", err)
		}
		if len(entries)+len(skips) != len(top.Keys) {
			t.Fatalf("%d entries and %d skips for %d members", len(entries), len(skips), len(top.Keys))
		}
		skipped := map[int]bool{}
		for i := range skips {
			if skips[i].index < 0 || skips[i].index >= len(top.Keys) || skipped[skips[i].index] {
				t.Fatalf("skip index %d out of range or repeated", skips[i].index)
			}
			skipped[skips[i].index] = true
			checkSkip(t, top.Keys[skips[i].index], &skips[i])
		}
		next := 0
		for i, m := range top.Keys {
			if !skipped[i] {
				checkEntry(t, m, entries[next], allowed)
				next++
			}
		}
	})
}

// TestParseDocumentWorstCaseIsBounded parses worst-case documents and
// bounds their cost: allocations and bytes per input byte, and growth no
// faster than the input, so the bounds carry over to the default 1 MiB body
// cap (BenchmarkParseHostileDocument measures that size). An eighth of the
// cap keeps the test fast under the race detector.
func TestParseDocumentWorstCaseIsBounded(t *testing.T) {
	const size = 128 << 10
	small, large := fuzzDocWorstCases(size/2), fuzzDocWorstCases(size)
	type cost struct{ allocs, bytes float64 }
	measure := func(d []byte) cost {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		const runs = 1
		for range runs {
			_, _, _ = parseDocument(d, allAlgs)
		}
		runtime.ReadMemStats(&after)
		return cost{float64(after.Mallocs-before.Mallocs) / runs, float64(after.TotalAlloc-before.TotalAlloc) / runs}
	}
	for i := range large {
		if len(large[i]) > size {
			t.Fatalf("case %d is %d bytes, above the cap", i, len(large[i]))
		}
		cs, cl := measure(small[i]), measure(large[i])
		n := float64(len(large[i]))
		t.Logf("case %d (%d bytes): %.0f allocations, %.1f MiB (%.0f, %.1f MiB at half size)", i, len(large[i]), cl.allocs, cl.bytes/(1<<20), cs.allocs, cs.bytes/(1<<20))
		// About 2 allocations and 330 bytes per input byte at worst (a
		// document of empty members), nearly all of it garbage.
		if cl.allocs/n > 3 || cl.bytes/n > 512 {
			t.Errorf("case %d: %.2f allocations and %.1f bytes per input byte; want at most 3 and 512", i, cl.allocs/n, cl.bytes/n)
		}
		if cl.allocs > 2.5*cs.allocs+100 || cl.bytes > 2.5*cs.bytes+(1<<20) {
			t.Errorf("case %d: cost grows faster than the input (%.0f allocations, %.0f bytes at %d bytes; %.0f, %.0f at half)", i, cl.allocs, cl.bytes, len(large[i]), cs.allocs, cs.bytes)
		}
	}
}

// TestJWKMemberNamesAreExact is the regression test for a finding of
// FuzzParseJWK: encoding/json matched JWK member names case-insensitively
// (and lets a repeated name override), so {"ktY":"EC","Crv":"P-256",...}
// was accepted as an EC key although it has no kty.
func TestJWKMemberNamesAreExact(t *testing.T) {
	k := testKeys(t)
	p256, _ := json.Marshal(ecJWK(t, "p256", &k.p256.PublicKey))
	r, _ := json.Marshal(rsaJWK("rsa", &k.rsa1.PublicKey))
	replace := func(b []byte, old, new string) []byte { return []byte(strings.Replace(string(b), old, new, 1)) }
	tests := []struct {
		name   string
		member []byte
		ok     bool
	}{
		{"exact names", p256, true},
		{"escaped exact name", replace(p256, `"kty"`, `"\u006bty"`), true},
		{"unknown member", replace(p256, `{`, `{"note":"x","Note":"y",`), true},
		{"nested names are not JWK members", replace(r, `{`, `{"ext":{"KTY":"x","kty":"y"},`), true},
		{"repeated name in a nested object", replace(r, `{`, `{"ext":{"kty":"y","kty":"z"},`), false},
		{"repeated name in an array's object", replace(r, `{`, `{"ext":[{"a":1},{"a":1,"a":2}],`), false},
		{"ext case variant", replace(r, `{`, `{"EXT":true,`), false},
		{"kty case variant", replace(p256, `"kty"`, `"ktY"`), false},
		{"crv case variant", replace(p256, `"crv"`, `"Crv"`), false},
		{"escaped case variant", replace(p256, `"kty"`, `"\u004bty"`), false},
		{"Kelvin sign for k in kty", replace(p256, `"kty"`, `"\u212aty"`), false},
		{"use overridden by a case variant", replace(r, `{`, `{"use":"enc","USE":"sig",`), false},
		{"private d hidden by a case variant", replace(r, `{`, `{"d":"AQAB","D":"",`), false},
		{"repeated use", replace(r, `{`, `{"use":"enc","use":"sig",`), false},
		{"repeated kid", replace(r, `{`, `{"kid":"a",`), false},
		{"x5t#S256 case variant", replace(r, `{`, `{"x5t#s256":"AA",`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, sk := parseKey(tt.member, allAlgs)
			if tt.ok && sk != nil {
				t.Fatalf("skipped %s: %s", tt.member, sk.reason)
			}
			if !tt.ok && (e != nil || !strings.HasPrefix(sk.reason, "malformed JWK: a member name")) {
				t.Fatalf("%s: entry %v, skip %+v; want a member name skip", tt.member, e, sk)
			}
		})
	}
}

// TestSkipLoggingIsBounded is the regression test for a finding of
// FuzzParseDocument's worst cases: every skipped member was logged, so a
// 1 MiB document of empty members wrote some 350,000 warnings per fetch.
// Only the first maxLoggedSkips are logged one by one, then a count.
func TestSkipLoggingIsBounded(t *testing.T) {
	k := testKeys(t)
	members := make([]jwk, 0, MaxKeys)
	for range MaxKeys - 1 {
		members = append(members, jwk{"kty": "oct", "k": "AA"})
	}
	members = append(members, rsaJWK("good", &k.rsa1.PublicKey))
	srv := newServer(t, doc(t, members...))
	h := newHarness(t, srv.URL, nil)
	h.ready(t)
	logs := h.logs.String()
	if n := strings.Count(logs, `msg="jwks: skipping JWK"`); n != maxLoggedSkips {
		t.Errorf("%d skipped members logged one by one; want %d", n, maxLoggedSkips)
	}
	summary := `level=WARN msg="jwks: skipping more JWKs, not logged one by one" url=` + srv.URL + ` count=` + fmt.Sprint(MaxKeys-1-maxLoggedSkips)
	if strings.Count(logs, "skipping more JWKs") != 1 || !strings.Contains(logs, summary) {
		t.Errorf("logs lack the single summary %q:\n%s", summary, logs)
	}
	if ids := h.KeyIDs(); len(ids) != 1 || ids[0] != "good" {
		t.Errorf("KeyIDs = %v; want [good]", ids)
	}
}

// TestDocumentBounds: a document with more than MaxKeys keys is refused
// whole, before any key is decoded, and a key with more than MaxKeyMembers
// members is skipped.
func TestDocumentBounds(t *testing.T) {
	k := testKeys(t)
	members := make([]jwk, 0, MaxKeys+1)
	for i := range MaxKeys + 1 {
		members = append(members, rsaJWK(fmt.Sprint("k", i), &k.rsa1.PublicKey))
	}
	if _, _, err := parseDocument(doc(t, members...), allAlgs); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("more than %d keys", MaxKeys)) {
		t.Fatalf("%d keys: err = %v; want the document refused", MaxKeys+1, err)
	}
	if entries, _, err := parseDocument(doc(t, members[:MaxKeys]...), allAlgs); err != nil || len(entries) != MaxKeys {
		t.Fatalf("%d keys: %d entries, err %v; want all accepted", MaxKeys, len(entries), err)
	}
	wide := rsaJWK("wide", &k.rsa1.PublicKey)
	for i := range MaxKeyMembers {
		wide[fmt.Sprint("m", i)] = "x"
	}
	entries, skips, _ := parseDocument(doc(t, wide, rsaJWK("good", &k.rsa1.PublicKey)), allAlgs)
	if len(entries) != 1 || entries[0].kid != "good" || len(skips) != 1 || !strings.Contains(skips[0].reason, "more than") {
		t.Fatalf("entries %d, skips %+v; want the wide key skipped", len(entries), skips)
	}
}

// BenchmarkParseHostileDocument measures the worst-case (hostile) documents of the
// default body cap.
func BenchmarkParseHostileDocument(b *testing.B) {
	for i, d := range fuzzDocWorstCases(1 << 20) {
		b.Run(fmt.Sprint(i), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(d)))
			for b.Loop() {
				_, _, _ = parseDocument(d, allAlgs)
			}
		})
	}
}
