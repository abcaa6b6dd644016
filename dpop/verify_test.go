package dpop

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// TestVerifyAlgorithms accepts a proof of every allowed algorithm family and
// reports its thumbprint.
func TestVerifyAlgorithms(t *testing.T) {
	rsa := testkeystest.SharedRSAKeyPair(t)
	ed := testkeystest.SharedEd25519KeyPair(t)
	cases := []struct {
		name string
		pair *testkeys.KeyPair
		alg  string
	}{
		{"ES256", testkeystest.SharedECKeyPair(t), "ES256"},
		{"ES384", p384Pair(t), "ES384"},
		{"ES512", p521Pair(t), "ES512"},
		{"RS256", rsa, "RS256"},
		{"RS512", rsa, "RS512"},
		{"PS256", rsa, "PS256"},
		{"PS384", rsa, "PS384"},
		{"EdDSA", ed, "EdDSA"},
		{"Ed25519", ed, "Ed25519"},
	}
	v := newTestVerifier(t, nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pp := defaultParts(t, c.pair)
			pp.header["alg"] = c.alg
			proof := signAlg(t, c.pair, c.alg, mustJSON(t, pp.header), mustJSON(t, pp.claims))
			got, err := v.Verify(context.Background(), request(c.pair, proof))
			if err != nil {
				t.Fatal(err)
			}
			if got.Thumbprint != c.pair.KeyID() || got.Algorithm != c.alg || !got.IssuedAt.Equal(testNow) {
				t.Fatalf("proof = %+v; want thumbprint %s, alg %s", got, c.pair.KeyID(), c.alg)
			}
		})
	}
}

// TestVerifyChecks has one row per check of RFC 9449 §4.3 and §7.1: each
// row breaks exactly one thing in an otherwise valid proof.
func TestVerifyChecks(t *testing.T) {
	ec := testkeystest.SharedECKeyPair(t)
	rsa := testkeystest.SharedRSAKeyPair(t)
	type mutation func(t *testing.T, pp *proofParts, req *Request)
	// signed mints pp with ec; raw replaces the whole proof.
	raw := func(proof func(t *testing.T, pp proofParts) string) mutation {
		return func(t *testing.T, pp *proofParts, req *Request) { req.Proofs = []string{proof(t, *pp)} }
	}
	header := func(k string, v any) mutation {
		return func(_ *testing.T, pp *proofParts, _ *Request) {
			if v == nil {
				delete(pp.header, k)
			} else {
				pp.header[k] = v
			}
		}
	}
	claim := func(k string, v any) mutation {
		return func(_ *testing.T, pp *proofParts, _ *Request) {
			if v == nil {
				delete(pp.claims, k)
			} else {
				pp.claims[k] = v
			}
		}
	}
	jwk := func(k string, v any) mutation {
		return func(_ *testing.T, pp *proofParts, _ *Request) { pp.header["jwk"].(map[string]any)[k] = v }
	}
	rawHeader := func(h string) mutation {
		return raw(func(t *testing.T, pp proofParts) string {
			return signAlg(t, ec, "", []byte(h), mustJSON(t, pp.claims))
		})
	}
	rawClaims := func(c string) mutation {
		return raw(func(t *testing.T, pp proofParts) string {
			return signAlg(t, ec, "", mustJSON(t, pp.header), []byte(c))
		})
	}
	jwkJSON := func(t *testing.T) string { return string(mustJSON(t, publicJWK(t, ec))) }

	cases := []struct {
		name     string
		mutate   mutation
		sentinel error
		reason   mcpauth.Reason
	}{
		// Header presence (§4.3 step 1).
		{"no DPoP header", func(_ *testing.T, _ *proofParts, r *Request) { r.Proofs = nil }, ErrInvalidProof, ReasonMissing},
		{"two DPoP headers", func(t *testing.T, pp *proofParts, r *Request) {
			r.Proofs = []string{pp.sign(t, ec), pp.sign(t, ec)}
		}, ErrInvalidProof, ReasonMissing},
		// Syntax (step 2).
		{"too large", claim("pad", strings.Repeat("a", DefaultMaxProofBytes)), ErrInvalidProof, ReasonMalformed},
		{"two segments", raw(func(t *testing.T, pp proofParts) string {
			s := pp.sign(t, ec)
			return s[:strings.LastIndexByte(s, '.')]
		}), ErrInvalidProof, ReasonMalformed},
		{"four segments", raw(func(t *testing.T, pp proofParts) string { return pp.sign(t, ec) + ".x" }), ErrInvalidProof, ReasonMalformed},
		{"empty signature", raw(func(t *testing.T, pp proofParts) string {
			s := pp.sign(t, ec)
			return s[:strings.LastIndexByte(s, '.')+1]
		}), ErrInvalidProof, ReasonMalformed},
		{"padded base64", raw(func(t *testing.T, pp proofParts) string { return pp.sign(t, ec) + "==" }), ErrInvalidProof, ReasonMalformed},
		{"newline inside", raw(func(t *testing.T, pp proofParts) string {
			s := pp.sign(t, ec)
			return s[:10] + "\n" + s[10:]
		}), ErrInvalidProof, ReasonMalformed},
		{"header not JSON", rawHeader(`not json`), ErrInvalidProof, ReasonMalformed},
		{"header duplicate member", rawHeader(`{"typ":"dpop+jwt","alg":"ES256","alg":"ES256","jwk":` + `{}}`), ErrInvalidProof, ReasonMalformed},
		{"header invalid UTF-8", rawHeader("{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"x\":\"\xff\"}"), ErrInvalidProof, ReasonMalformed},
		{"claims duplicate member", rawClaims(`{"jti":"a","jti":"b"}`), ErrInvalidProof, ReasonMalformed},
		{"claims invalid UTF-8", rawClaims("{\"jti\":\"\xc3\x28\"}"), ErrInvalidProof, ReasonMalformed},
		// typ (step 4).
		{"typ missing", header("typ", nil), ErrInvalidProof, ReasonHeader},
		{"typ JWT", header("typ", "JWT"), ErrInvalidProof, ReasonHeader},
		{"typ at+jwt", header("typ", "at+jwt"), ErrInvalidProof, ReasonHeader},
		{"typ not a string", header("typ", 1), ErrInvalidProof, ReasonHeader},
		{"header name case variant", header("TYP", "dpop+jwt"), ErrInvalidProof, ReasonHeader},
		// alg (step 5).
		{"alg missing", header("alg", nil), ErrInvalidProof, ReasonAlgorithm},
		{"alg none", header("alg", "none"), ErrInvalidProof, ReasonAlgorithm},
		{"alg NoNe", header("alg", "NoNe"), ErrInvalidProof, ReasonAlgorithm},
		{"alg HS256 header", header("alg", "HS256"), ErrInvalidProof, ReasonAlgorithm},
		{"alg HS256 proof keyed by oct jwk", raw(func(t *testing.T, pp proofParts) string {
			secret := []byte("0123456789abcdef0123456789abcdef")
			h := mustJSON(t, map[string]any{"typ": "dpop+jwt", "alg": "HS256", "jwk": map[string]any{"kty": "oct", "k": enc64(secret)}})
			input := enc64(h) + "." + enc64(mustJSON(t, pp.claims))
			m := hmac.New(sha256.New, secret)
			m.Write([]byte(input))
			return input + "." + enc64(m.Sum(nil))
		}), ErrInvalidProof, ReasonAlgorithm},
		{"alg unknown", header("alg", "ES256K"), ErrInvalidProof, ReasonAlgorithm},
		{"alg for another key type", header("alg", "RS256"), ErrInvalidProof, ReasonAlgorithm},
		{"jwk alg names another algorithm", raw(func(t *testing.T, pp proofParts) string {
			pp.header = publicHeader(t, rsa, "PS256")
			pp.header["jwk"].(map[string]any)["alg"] = "RS256"
			return signAlg(t, rsa, "PS256", mustJSON(t, pp.header), mustJSON(t, pp.claims))
		}), ErrInvalidProof, ReasonAlgorithm},
		// Other header members.
		{"crit", header("crit", []string{"exp"}), ErrInvalidProof, ReasonHeader},
		{"jku", header("jku", "https://attacker.example/jwks"), ErrInvalidProof, ReasonHeader},
		{"x5u", header("x5u", "https://attacker.example/cert"), ErrInvalidProof, ReasonHeader},
		{"x5c", header("x5c", []string{"MIIB"}), ErrInvalidProof, ReasonHeader},
		{"enc", header("enc", "A256GCM"), ErrInvalidProof, ReasonHeader},
		{"zip", header("zip", "DEF"), ErrInvalidProof, ReasonHeader},
		{"cty", header("cty", "JWT"), ErrInvalidProof, ReasonHeader},
		{"b64 false", header("b64", false), ErrInvalidProof, ReasonHeader},
		// jwk (step 6).
		{"jwk missing", header("jwk", nil), ErrInvalidProof, ReasonHeader},
		{"jwk a string", func(t *testing.T, pp *proofParts, _ *Request) { pp.header["jwk"] = jwkJSON(t) }, ErrInvalidProof, ReasonHeader},
		{"jwk with private d", jwk("d", enc64(make([]byte, 32))), ErrInvalidProof, ReasonKey},
		{"jwk with private D (case variant)", jwk("D", enc64(make([]byte, 32))), ErrInvalidProof, ReasonKey},
		{"RSA jwk with private members", raw(func(t *testing.T, pp proofParts) string {
			h := publicHeader(t, rsa, "RS256")
			for _, m := range []string{"p", "q", "dp", "dq", "qi"} {
				h["jwk"].(map[string]any)[m] = enc64([]byte{1, 2, 3})
			}
			return signAlg(t, rsa, "RS256", mustJSON(t, h), mustJSON(t, pp.claims))
		}), ErrInvalidProof, ReasonKey},
		{"symmetric jwk", func(_ *testing.T, pp *proofParts, _ *Request) {
			pp.header["jwk"] = map[string]any{"kty": "oct", "k": enc64(make([]byte, 32))}
		}, ErrInvalidProof, ReasonKey},
		{"jwk kty unknown", jwk("kty", "XYZ"), ErrInvalidProof, ReasonKey},
		{"jwk kty missing", jwk("kty", nil), ErrInvalidProof, ReasonKey},
		{"jwk curve P-192", jwk("crv", "P-192"), ErrInvalidProof, ReasonKey},
		{"jwk point off curve", jwk("y", enc64(make([]byte, 32))), ErrInvalidProof, ReasonKey},
		{"jwk short coordinate", jwk("x", enc64(make([]byte, 31))), ErrInvalidProof, ReasonKey},
		{"jwk x padded", func(_ *testing.T, pp *proofParts, _ *Request) {
			j := pp.header["jwk"].(map[string]any)
			j["x"] = j["x"].(string) + "="
		}, ErrInvalidProof, ReasonKey},
		{"jwk use enc", jwk("use", "enc"), ErrInvalidProof, ReasonKey},
		{"jwk x5c", jwk("x5c", []string{"MIIB"}), ErrInvalidProof, ReasonKey},
		{"huge RSA jwk", raw(func(t *testing.T, pp proofParts) string {
			h := publicHeader(t, rsa, "RS256")
			n := new(big.Int).Lsh(big.NewInt(1), 9000)
			h["jwk"].(map[string]any)["n"] = enc64(n.Add(n, big.NewInt(1)).Bytes())
			return signAlg(t, rsa, "RS256", mustJSON(t, h), mustJSON(t, pp.claims))
		}), ErrInvalidProof, ReasonKey},
		{"weak RSA jwk", raw(func(t *testing.T, pp proofParts) string {
			h := publicHeader(t, rsa, "RS256")
			n := new(big.Int).Lsh(big.NewInt(1), 1023)
			h["jwk"].(map[string]any)["n"] = enc64(n.Add(n, big.NewInt(1)).Bytes())
			return signAlg(t, rsa, "RS256", mustJSON(t, h), mustJSON(t, pp.claims))
		}), ErrInvalidProof, ReasonKey},
		{"RSA jwk exponent 1", raw(func(t *testing.T, pp proofParts) string {
			h := publicHeader(t, rsa, "RS256")
			h["jwk"].(map[string]any)["e"] = enc64([]byte{1})
			return signAlg(t, rsa, "RS256", mustJSON(t, h), mustJSON(t, pp.claims))
		}), ErrInvalidProof, ReasonKey},
		{"Ed448 jwk", func(_ *testing.T, pp *proofParts, _ *Request) {
			pp.header["jwk"] = map[string]any{"kty": "OKP", "crv": "Ed448", "x": enc64(make([]byte, 57))}
		}, ErrInvalidProof, ReasonKey},
		// Signature (step 7).
		{"signed by another key", raw(func(t *testing.T, pp proofParts) string {
			return signAlg(t, otherECPair(t), "", mustJSON(t, pp.header), mustJSON(t, pp.claims))
		}), ErrInvalidProof, ReasonSignature},
		{"payload tampered", raw(func(t *testing.T, pp proofParts) string {
			s := pp.sign(t, ec)
			parts := strings.Split(s, ".")
			pp.claims["htm"] = "POST"
			pp.claims["jti"] = "other"
			parts[1] = enc64(mustJSON(t, pp.claims))
			return strings.Join(parts, ".")
		}), ErrInvalidProof, ReasonSignature},
		{"ECDSA r=s=0", raw(func(t *testing.T, pp proofParts) string {
			s := pp.sign(t, ec)
			return s[:strings.LastIndexByte(s, '.')+1] + enc64(make([]byte, 64))
		}), ErrInvalidProof, ReasonSignature},
		// Claims (steps 8-11).
		{"jti missing", claim("jti", nil), ErrInvalidProof, ReasonClaims},
		{"jti empty", claim("jti", ""), ErrInvalidProof, ReasonClaims},
		{"jti not a string", claim("jti", 7), ErrInvalidProof, ReasonClaims},
		{"jti too long", claim("jti", strings.Repeat("j", 257)), ErrInvalidProof, ReasonClaims},
		{"htm missing", claim("htm", nil), ErrInvalidProof, ReasonClaims},
		{"htu missing", claim("htu", nil), ErrInvalidProof, ReasonClaims},
		{"htu not a string", claim("htu", []string{testURI}), ErrInvalidProof, ReasonClaims},
		{"iat missing", claim("iat", nil), ErrInvalidProof, ReasonClaims},
		{"iat a string", claim("iat", "1800000000"), ErrInvalidProof, ReasonClaims},
		{"iat negative", claim("iat", -1), ErrInvalidProof, ReasonClaims},
		{"claim name case variant", claim("HTM", "POST"), ErrInvalidProof, ReasonClaims},
		{"htm another method", claim("htm", "GET"), ErrInvalidProof, ReasonMethod},
		{"htm lower case", claim("htm", "post"), ErrInvalidProof, ReasonMethod},
		{"htu another path", claim("htu", "https://mcp.example.com/other"), ErrInvalidProof, ReasonURI},
		{"htu another host", claim("htu", "https://evil.example.com/mcp"), ErrInvalidProof, ReasonURI},
		{"htu another scheme", claim("htu", "http://mcp.example.com/mcp"), ErrInvalidProof, ReasonURI},
		{"htu another port", claim("htu", "https://mcp.example.com:8443/mcp"), ErrInvalidProof, ReasonURI},
		{"htu with a trailing slash", claim("htu", "https://mcp.example.com/mcp/"), ErrInvalidProof, ReasonURI},
		{"htu relative", claim("htu", "/mcp"), ErrInvalidProof, ReasonURI},
		{"iat too old", claim("iat", testNow.Add(-DefaultMaxAge-time.Second).Unix()), ErrInvalidProof, ReasonIssuedAt},
		{"iat in the future", claim("iat", testNow.Add(DefaultMaxSkew+time.Second).Unix()), ErrInvalidProof, ReasonIssuedAt},
		{"iat far in the future", claim("iat", int64(253402300799)), ErrInvalidProof, ReasonIssuedAt},
		// Binding (§7.1, §6).
		{"ath missing", claim("ath", nil), ErrInvalidProof, ReasonTokenHash},
		{"ath of another token", claim("ath", TokenHash("another token")), ErrInvalidProof, ReasonTokenHash},
		{"ath not a string", claim("ath", 1), ErrInvalidProof, ReasonTokenHash},
		{"ath of the token, not base64url", claim("ath", func() string {
			s := sha256.Sum256([]byte(testToken))
			return string(s[:])
		}()), ErrInvalidProof, ReasonTokenHash},
		{"token bound to another key", func(t *testing.T, _ *proofParts, r *Request) {
			r.Thumbprint = otherECPair(t).KeyID()
		}, ErrInvalidProof, ReasonBinding},
		{"token not bound", func(_ *testing.T, _ *proofParts, r *Request) { r.Thumbprint = "" }, mcpauth.ErrInvalidToken, ReasonUnbound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := newTestVerifier(t, nil)
			pp := defaultParts(t, ec)
			req := request(ec)
			c.mutate(t, &pp, &req)
			if req.Proofs == nil && c.reason != ReasonMissing {
				req.Proofs = []string{pp.sign(t, ec)}
			}
			_, err := v.Verify(context.Background(), req)
			wantProofErr(t, err, c.sentinel, c.reason)
			if strings.Contains(err.Error(), testToken) {
				t.Fatalf("error quotes the token: %v", err)
			}
			for _, p := range req.Proofs {
				if len(p) > 20 && strings.Contains(err.Error(), p[:20]) {
					t.Fatalf("error quotes the proof: %v", err)
				}
			}
		})
	}
}

// publicHeader returns a valid proof header for p and alg.
func publicHeader(t *testing.T, p *testkeys.KeyPair, alg string) map[string]any {
	return map[string]any{"typ": "dpop+jwt", "alg": alg, "jwk": publicJWK(t, p)}
}

// TestVerifyAccepts lists proofs that differ from the usual form but are
// valid.
func TestVerifyAccepts(t *testing.T) {
	ec := testkeystest.SharedECKeyPair(t)
	cases := []struct {
		name   string
		mutate func(pp *proofParts, r *Request)
	}{
		{"typ in upper case", func(pp *proofParts, _ *Request) { pp.header["typ"] = "DPoP+JWT" }},
		{"htu with query and fragment", func(pp *proofParts, _ *Request) { pp.claims["htu"] = testURI + "?a=b#frag" }},
		{"request URI with query", func(_ *proofParts, r *Request) { r.URI = testURI + "?x=1" }},
		{"htu with upper-case scheme and host", func(pp *proofParts, _ *Request) { pp.claims["htu"] = "HTTPS://MCP.Example.COM/mcp" }},
		{"htu with default port", func(pp *proofParts, _ *Request) { pp.claims["htu"] = "https://mcp.example.com:443/mcp" }},
		{"htu with dot segments", func(pp *proofParts, _ *Request) { pp.claims["htu"] = "https://mcp.example.com/a/../mcp" }},
		{"htu with encoded unreserved", func(pp *proofParts, _ *Request) { pp.claims["htu"] = "https://mcp.example.com/%6Dcp" }},
		{"iat at the edge of the window", func(pp *proofParts, _ *Request) { pp.claims["iat"] = testNow.Add(-DefaultMaxAge).Unix() }},
		{"iat within the skew", func(pp *proofParts, _ *Request) { pp.claims["iat"] = testNow.Add(DefaultMaxSkew).Unix() }},
		{"fractional iat", func(pp *proofParts, _ *Request) { pp.claims["iat"] = json.Number("1800000000.5") }},
		{"jwk with kid, use and alg", func(pp *proofParts, _ *Request) {
			j := pp.header["jwk"].(map[string]any)
			j["kid"], j["use"], j["alg"] = "k1", "sig", "ES256"
		}},
		{"unknown header and claim members", func(pp *proofParts, _ *Request) {
			pp.header["kid"] = "k1"
			pp.claims["extra"] = map[string]any{"a": 1}
		}},
	}
	v := newTestVerifier(t, nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pp := defaultParts(t, ec)
			req := request(ec)
			c.mutate(&pp, &req)
			req.Proofs = []string{pp.sign(t, ec)}
			if _, err := v.Verify(context.Background(), req); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestVerifyAllowList refuses an algorithm the configuration leaves out.
func TestVerifyAllowList(t *testing.T) {
	ec := testkeystest.SharedECKeyPair(t)
	rsa := testkeystest.SharedRSAKeyPair(t)
	v := newTestVerifier(t, func(c *Config) { c.Algorithms = []string{"ES256"} })
	if _, err := v.Verify(context.Background(), request(ec, defaultParts(t, ec).sign(t, ec))); err != nil {
		t.Fatal(err)
	}
	_, err := v.Verify(context.Background(), request(rsa, defaultParts(t, rsa).sign(t, rsa)))
	wantProofErr(t, err, ErrInvalidProof, ReasonAlgorithm)
}

// TestVerifyReplay refuses a proof the second time, and a proof whose jti
// another proof of the same key used, but not the same jti under another
// key.
func TestVerifyReplay(t *testing.T) {
	ec, other := testkeystest.SharedECKeyPair(t), otherECPair(t)
	v := newTestVerifier(t, nil)
	ctx := context.Background()
	pp := defaultParts(t, ec)
	proof := pp.sign(t, ec)
	if _, err := v.Verify(ctx, request(ec, proof)); err != nil {
		t.Fatal(err)
	}
	_, err := v.Verify(ctx, request(ec, proof))
	wantProofErr(t, err, ErrInvalidProof, ReasonReplay)

	pp.claims["htm"] = testMethod // same jti, new signature bytes
	pp.claims["iat"] = testNow.Unix() - 1
	_, err = v.Verify(ctx, request(ec, pp.sign(t, ec)))
	wantProofErr(t, err, ErrInvalidProof, ReasonReplay)

	op := defaultParts(t, other)
	op.claims["jti"] = pp.claims["jti"]
	if _, err := v.Verify(ctx, request(other, op.sign(t, other))); err != nil {
		t.Fatalf("the same jti under another key: %v", err)
	}
}

// TestVerifyReplayAfterWindow: once the window has passed, the replayed
// proof is refused for its age, so the store may forget it.
func TestVerifyReplayAfterWindow(t *testing.T) {
	ec := testkeystest.SharedECKeyPair(t)
	now := testNow
	v := newTestVerifier(t, func(c *Config) { c.Clock = func() time.Time { return now } })
	proof := defaultParts(t, ec).sign(t, ec)
	if _, err := v.Verify(context.Background(), request(ec, proof)); err != nil {
		t.Fatal(err)
	}
	now = now.Add(DefaultMaxAge + time.Second)
	_, err := v.Verify(context.Background(), request(ec, proof))
	wantProofErr(t, err, ErrInvalidProof, ReasonIssuedAt)
}

// TestVerifyStoreDown fails closed when the replay store errs.
func TestVerifyStoreDown(t *testing.T) {
	ec := testkeystest.SharedECKeyPair(t)
	v := newTestVerifier(t, func(c *Config) { c.ReplayStore = failingStore{} })
	_, err := v.Verify(context.Background(), request(ec, defaultParts(t, ec).sign(t, ec)))
	if !errors.Is(err, ErrReplayStoreUnavailable) || errors.Is(err, ErrInvalidProof) || errors.Is(err, mcpauth.ErrInvalidToken) {
		t.Fatalf("err = %v; want only ErrReplayStoreUnavailable", err)
	}
}

// TestVerifyInvalidProofNotStored: a proof refused by another check does not
// use up its jti.
func TestVerifyInvalidProofNotStored(t *testing.T) {
	ec := testkeystest.SharedECKeyPair(t)
	v := newTestVerifier(t, nil)
	pp := defaultParts(t, ec)
	proof := pp.sign(t, ec)
	bad := request(ec, proof)
	bad.Method = "GET"
	if _, err := v.Verify(context.Background(), bad); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("err = %v", err)
	}
	if _, err := v.Verify(context.Background(), request(ec, proof)); err != nil {
		t.Fatalf("the proof was burnt by a refused request: %v", err)
	}
}
