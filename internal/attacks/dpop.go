package attacks

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/dpop"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/testkeys"
)

// DPoP identifiers of the fixture. A resource with DPoP enabled is reached
// at DPoPBaseURL, its public base URL (configuration, never the request's
// Host or X-Forwarded-* headers), and serves DPoPPath; proofs name DPoPURI.
const (
	DPoPBaseURL = "https://mcp.example.com"
	DPoPPath    = "/mcp"
	DPoPURI     = DPoPBaseURL + DPoPPath
	// DPoPNonceSecret keys the server nonces of a [DPoPServer] with Nonce
	// set, so that the table can hold current, previous, stale and forged
	// nonces.
	DPoPNonceSecret = "mcpauth attack table: DPoP nonce secret (32+ bytes)"
)

// DPoPServer is the DPoP configuration of the resource a [DPoPCase] is sent
// to. Each distinct value is its own resource with its own replay store.
type DPoPServer struct {
	// Mode is MCPAUTH_DPOP: allow (the zero value), require or off.
	Mode dpop.Mode
	// Nonce makes the resource require server nonces (RFC 9449 §8) keyed
	// with DPoPNonceSecret; every answer then carries a DPoP-Nonce header.
	Nonce bool
	// StoreDown gives the resource a replay store that cannot answer.
	StoreDown bool
}

// String names the server for subtest and log messages.
func (s DPoPServer) String() string {
	n := s.Mode.String()
	if s.Nonce {
		n += "+nonce"
	}
	if s.StoreDown {
		n += "+store-down"
	}
	return n
}

// Config returns the dpop.Config of s on clock now, in-memory replay store
// (or one that is down).
func (s DPoPServer) Config(now func() time.Time) dpop.Config {
	c := dpop.Config{Mode: s.Mode, Clock: now}
	if s.Nonce {
		c.RequireNonce, c.NonceSecret = true, []byte(DPoPNonceSecret)
	}
	if s.StoreDown {
		c.ReplayStore = downStore{}
	}
	return c
}

// downStore is a replay store whose backend is unreachable.
type downStore struct{}

func (downStore) Seen(context.Context, string, time.Time) (bool, error) {
	return false, errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
}

// Fixed descriptions of the middleware's DPoP answers (package middleware),
// which name the rule of the refusals that carry no verifier error.
const (
	descDowngrade = "the access token is DPoP-bound: send it with the DPoP scheme and a DPoP proof"
	descRequired  = "a DPoP-bound access token with the DPoP scheme and a DPoP proof is required"
	descUnbound   = "the access token is not DPoP-bound; send it with the Bearer scheme"
)

// Challenge expectations of a [DPoPCase]: the error parameter a challenge
// must carry, or one of these.
const (
	// NoChallenge: the scheme's challenge must be absent.
	NoChallenge = "-"
	// NoError: the challenge must be present without an error parameter.
	NoError = ""
)

// DPoPCase is one request to a resource that verifies DPoP proofs (RFC
// 9449) with the verifier of variant PEM, and the middleware's exact
// answer.
type DPoPCase struct {
	// Name is unique among the DPoP cases.
	Name string
	// Server is the resource's DPoP configuration.
	Server DPoPServer
	// Method is the request method; empty means POST.
	Method string
	// Path is the request path; empty means DPoPPath.
	Path string
	// Query is the raw query string ("" for none).
	Query string
	// Host, when set, is sent as the Host header instead of the server's
	// address.
	Host string
	// Header holds further request headers (forwarding headers).
	Header http.Header
	// Authorization is the Authorization header; empty sends none.
	Authorization string
	// Proofs are the DPoP header lines, in order.
	Proofs []string
	// Prior are DPoP header values sent first, one request each, with the
	// same method, URI and Authorization; each must be accepted (200). A
	// replay case sends its proof once here.
	Prior []string

	// WantStatus is the HTTP status (200: passed through).
	WantStatus int
	// WantReason is the Outcome reason of the middleware ("" when
	// accepted): which rule refused the request.
	WantReason mcpauth.Reason
	// WantLog is a substring of the middleware's log of a refusal that
	// names the rule which decided: the verifier's detail, or the fixed
	// description of the answer. Empty for accepted requests.
	WantLog string
	// WantBearer and WantDPoP are the error parameters of the Bearer and
	// DPoP challenges, or NoChallenge, or NoError. Ignored when WantStatus
	// is 200 (no challenge at all).
	WantBearer, WantDPoP string
	// WantBound, for an accepted request, says whether the handler sees a
	// sender-constrained token whose DPoPThumbprint is Thumbprint.
	WantBound bool
	// Thumbprint is the thumbprint of the proof key of an accepted
	// sender-constrained request.
	Thumbprint string
	// Secrets must appear neither in the response nor in the logs: the
	// access token and the proofs.
	Secrets []string
	// Note explains an outcome that is not the obvious one.
	Note string
}

// because sets the note.
func (c DPoPCase) because(note string) DPoPCase {
	c.Note = note
	return c
}

// on sets the server.
func (c DPoPCase) on(s DPoPServer) DPoPCase {
	c.Server = s
	c.WantBearer = bearerWant(s, c.WantBearer)
	if s.Mode == dpop.Require && c.WantStatus != http.StatusOK {
		c.WantBearer = NoChallenge
	}
	return c
}

// bearerWant is the Bearer challenge expectation on s.
func bearerWant(s DPoPServer, want string) string {
	if s.Mode == dpop.Require {
		return NoChallenge
	}
	return want
}

// DPoPCases returns the DPoP section of the attack table: every check of
// RFC 9449 §4.3, §7.1, §8 and §11 as a request with its exact answer, and
// the accepted baselines each check is measured against. Proofs are minted
// around f.Now with fresh keys; a resource must use f.Now as its clock, or
// the real clock within a minute of f.Now.
func DPoPCases(tb testing.TB, f *Fixture) []DPoPCase {
	tb.Helper()
	client, clientEd, attacker := f.DPoPKey, f.DPoPEdKey, f.AttackerEC
	bind := func(kp *testkeys.KeyPair, extra map[string]any) string {
		c := map[string]any{"cnf": testkeys.DPoPConfirmation(kp)}
		for k, v := range extra {
			c[k] = v
		}
		return f.mint(tb, f.RSA, nil, c)
	}
	bound := bind(client, nil)
	boundEd := bind(clientEd, nil)
	boundNoScope := bind(client, map[string]any{"scope": "write"})
	unbound := f.Valid
	badCnf := f.mint(tb, f.RSA, nil, map[string]any{"cnf": "jkt"})
	shortJKT := f.mint(tb, f.RSA, nil, map[string]any{"cnf": map[string]any{"jkt": client.KeyID()[:20]}})
	selfSigned := signCompact(tb, attacker, "ES256", `{"alg":"ES256","typ":"JWT"}`,
		f.claims(tb, map[string]any{"cnf": testkeys.DPoPConfirmation(attacker)}))

	proof := func(kp *testkeys.KeyPair, token string, mod func(o *testkeys.DPoPProofOptions)) string {
		tb.Helper()
		o := testkeys.DPoPProofOptions{Method: http.MethodPost, URL: DPoPURI, AccessToken: token, IssuedAt: f.Now}
		if mod != nil {
			mod(&o)
		}
		p, err := testkeys.CreateDPoPProof(kp, o)
		if err != nil {
			tb.Fatal(err)
		}
		return p
	}
	good := func(mod func(o *testkeys.DPoPProofOptions)) string { return proof(client, bound, mod) }
	publicJWK := func(kp *testkeys.KeyPair) map[string]any {
		var m map[string]any
		if err := json.Unmarshal([]byte(mustJSON(tb, kp.JWK())), &m); err != nil {
			tb.Fatal(err)
		}
		delete(m, "kid")
		return m
	}
	jwkWith := func(edit func(m map[string]any)) map[string]any {
		m := publicJWK(client)
		edit(m)
		return m
	}
	// raw signs a header and claims given as JSON text with the client key.
	raw := func(header, claims string) string {
		return signCompact(tb, client, "ES256", header, claims)
	}
	hdrJSON := func(jwk any) string {
		return `{"typ":"dpop+jwt","alg":"ES256","jwk":` + mustJSON(tb, jwk) + `}`
	}
	claimsJSON := func(extra string) string {
		return `{"jti":"` + randomID(tb) + `","htm":"POST","htu":"` + DPoPURI + `","iat":` +
			big.NewInt(f.Now.Unix()).String() + `,"ath":"` + dpop.TokenHash(bound) + `"` + extra + `}`
	}
	noncesAt := func(t time.Time, secret string) string {
		v, err := dpop.NewVerifier(dpop.Config{RequireNonce: true, NonceSecret: []byte(secret), Clock: func() time.Time { return t }})
		if err != nil {
			tb.Fatal(err)
		}
		return v.Nonce()
	}

	require := DPoPServer{Mode: dpop.Require}
	off := DPoPServer{Mode: dpop.Off}
	nonce := DPoPServer{Nonce: true}
	down := DPoPServer{StoreDown: true}

	scheme := func(token string) string { return "DPoP " + token }
	// ok is an accepted DPoP request.
	ok := func(name, token string, kp *testkeys.KeyPair, proofs ...string) DPoPCase {
		return DPoPCase{Name: "dpop: " + name, Authorization: scheme(token), Proofs: proofs,
			WantStatus: http.StatusOK, WantBound: true, Thumbprint: kp.KeyID(), Secrets: append([]string{token}, proofs...)}
	}
	// refused is a request refused with invalid_dpop_proof for reason r.
	refused := func(name string, r mcpauth.Reason, detail, token string, proofs ...string) DPoPCase {
		return DPoPCase{Name: "dpop: " + name, Authorization: scheme(token), Proofs: proofs,
			WantStatus: http.StatusUnauthorized, WantReason: r, WantLog: detail, WantBearer: NoError, WantDPoP: "invalid_dpop_proof",
			Secrets: append([]string{token}, proofs...)}
	}
	bad := func(name string, r mcpauth.Reason, detail string, proofs ...string) DPoPCase {
		return refused(name, r, detail, bound, proofs...)
	}
	// token is a request refused with invalid_token in the DPoP challenge
	// only (the token's binding, not the proof, is at fault).
	token := func(name string, r mcpauth.Reason, detail, authz, secret string, proofs ...string) DPoPCase {
		return DPoPCase{Name: "dpop: " + name, Authorization: authz, Proofs: proofs,
			WantStatus: http.StatusUnauthorized, WantReason: r, WantLog: detail, WantBearer: NoError, WantDPoP: "invalid_token",
			Secrets: append([]string{secret}, proofs...)}
	}
	useNonce := func(name, detail string, proofs ...string) DPoPCase {
		c := refused(name, dpop.ReasonNonce, detail, bound, proofs...)
		c.WantDPoP = "use_dpop_nonce"
		return c.on(nonce)
	}

	replayed := good(nil)
	jti := "attack-table-same-jti-" + randomID(tb)
	sameJTI := good(func(o *testkeys.DPoPProofOptions) { o.JTI = jti })
	sameJTIAgain := good(func(o *testkeys.DPoPProofOptions) { o.JTI, o.IssuedAt = jti, f.Now.Add(-time.Second) })
	forged := f.mint(tb, f.AttackerRSA, nil, map[string]any{"cnf": testkeys.DPoPConfirmation(client)})
	forwarded := func(c DPoPCase, h ...string) DPoPCase {
		c.Header = http.Header{}
		for i := 0; i+1 < len(h); i += 2 {
			c.Header.Add(h[i], h[i+1])
		}
		return c
	}
	htu := func(u string) string { return good(func(o *testkeys.DPoPProofOptions) { o.URL = u }) }
	ecPriv, isEC := client.Private().(*ecdsa.PrivateKey)
	if !isEC {
		tb.Fatal("attacks: the DPoP client key is not ECDSA")
	}
	d, err := ecPriv.Bytes()
	if err != nil {
		tb.Fatal(err)
	}
	hugeN := make([]byte, 2048) // a 16384-bit modulus: twice the largest accepted
	if _, err := rand.Read(hugeN); err != nil {
		tb.Fatal(err)
	}
	hugeN[0] |= 0x80
	hugeN[len(hugeN)-1] |= 1
	wk, err := weakKeys()
	if err != nil {
		tb.Fatal(err)
	}
	rsaJWK := func(n []byte) map[string]any {
		return map[string]any{"kty": "RSA", "e": "AQAB", "n": enc(n)}
	}
	rsaHeader := func(jwk map[string]any) string {
		return `{"typ":"dpop+jwt","alg":"RS256","jwk":` + mustJSON(tb, jwk) + `}`
	}
	goodParts := strings.Split(good(nil), ".")
	sig := mustDecode(tb, goodParts[2])
	sig[10] ^= 0x01

	cases := []DPoPCase{
		// Accepted baselines: each refusal below differs from one of them
		// in one respect.
		ok("valid ES256 proof", bound, client, good(nil)),
		ok("valid EdDSA proof", boundEd, clientEd, proof(clientEd, boundEd, nil)),
		func() DPoPCase {
			c := ok("scheme in lower case", bound, client, good(nil))
			c.Authorization = "dpop " + bound
			return c
		}(),
		ok("typ in upper case (media types ignore case)", bound, client, good(func(o *testkeys.DPoPProofOptions) {
			o.Header = map[string]any{"typ": "DPOP+JWT"}
		})),
		ok("iat within the allowed skew in the future", bound, client, good(func(o *testkeys.DPoPProofOptions) {
			o.IssuedAt = f.Now.Add(dpop.DefaultMaxSkew - 2*time.Second)
		})),
		ok("iat near the end of the window", bound, client, good(func(o *testkeys.DPoPProofOptions) {
			o.IssuedAt = f.Now.Add(-dpop.DefaultMaxAge + 20*time.Second)
		})),
		ok("htu with a query and a fragment (ignored)", bound, client, htu(DPoPURI+"?session=1#frag")),
		func() DPoPCase {
			c := ok("request with a query string, htu without", bound, client, good(nil))
			c.Query = "session=1"
			return c
		}(),
		ok("htu with scheme and host in upper case", bound, client, htu("HTTPS://MCP.EXAMPLE.COM"+DPoPPath)),
		ok("htu with the default port", bound, client, htu(DPoPBaseURL+":443"+DPoPPath)),
		ok("htu with a percent-encoded unreserved character", bound, client, htu(DPoPBaseURL+"/%6Dcp")),
		ok("htu with a dot segment", bound, client, htu(DPoPBaseURL+"/tools/.."+DPoPPath)),
		forwarded(ok("forwarding headers ignored: proof of the public URL", bound, client, good(nil)),
			"X-Forwarded-Host", "evil.example.com", "X-Forwarded-Proto", "http", "Forwarded", "host=evil.example.com;proto=http").
			because("htu is compared with the configured public base URL; the forwarding headers change nothing"),
		func() DPoPCase {
			c := DPoPCase{Name: "dpop: unbound Bearer token beside a DPoP header", Authorization: "Bearer " + unbound,
				Proofs: []string{proof(client, unbound, nil)}, WantStatus: http.StatusOK, Secrets: []string{unbound}}
			return c.because("a Bearer token that is not DPoP-bound is a bearer token: the proof neither helps nor hurts, and the handler does not see a sender-constrained token")
		}(),

		// The DPoP header (§4.3 steps 1 and 2).
		bad("no DPoP header", dpop.ReasonMissing, "the DPoP header is missing"),
		bad("two DPoP headers", dpop.ReasonMissing, "more than one DPoP header", good(nil), good(nil)),
		bad("two proofs in one DPoP header", dpop.ReasonMalformed, "the DPoP proof is not a compact JWS with three segments", good(nil)+", "+good(nil)),
		bad("empty DPoP header", dpop.ReasonMalformed, "the DPoP proof is not a compact JWS with three segments", ""),
		bad("proof of two segments", dpop.ReasonMalformed, "the DPoP proof is not a compact JWS with three segments", goodParts[0]+"."+goodParts[1]),
		bad("proof of four segments", dpop.ReasonMalformed, "the DPoP proof is not a compact JWS with three segments", good(nil)+"."+goodParts[2]),
		bad("padded base64url", dpop.ReasonMalformed, "the DPoP proof has characters outside the base64url alphabet", goodParts[0]+"."+goodParts[1]+"."+goodParts[2]+"=="),
		bad("signature with non-zero trailing bits", dpop.ReasonMalformed, "the DPoP proof signature is not unpadded base64url", goodParts[0]+"."+goodParts[1]+"."+flipLast(goodParts[2])),
		bad("oversize proof", dpop.ReasonMalformed, "the DPoP proof exceeds the size limit", good(func(o *testkeys.DPoPProofOptions) {
			o.AdditionalClaims = map[string]any{"pad": strings.Repeat("p", dpop.DefaultMaxProofBytes)}
		})),
		bad("duplicate header member (second jwk)", dpop.ReasonMalformed, "JSON object has a duplicate member name",
			raw(`{"typ":"dpop+jwt","alg":"ES256","jwk":`+mustJSON(tb, publicJWK(attacker))+`,"jwk":`+mustJSON(tb, publicJWK(client))+`}`, claimsJSON(""))),
		bad("duplicate claim (second htu)", dpop.ReasonMalformed, "JSON object has a duplicate member name",
			raw(hdrJSON(publicJWK(client)), strings.Replace(claimsJSON(""), `"htu":`, `"htu":"https://evil.example.com/mcp","htu":`, 1))),
		bad("invalid UTF-8 in a claim", dpop.ReasonMalformed, "JSON is not valid UTF-8",
			raw(hdrJSON(publicJWK(client)), claimsJSON(`,"x":"`+"\xff"+`"`))),

		// The JOSE header (§4.3 steps 4 to 6).
		bad("typ JWT", dpop.ReasonHeader, "the DPoP proof typ header is not dpop+jwt", good(func(o *testkeys.DPoPProofOptions) { o.Header = map[string]any{"typ": "JWT"} })),
		bad("typ at+jwt", dpop.ReasonHeader, "the DPoP proof typ header is not dpop+jwt", good(func(o *testkeys.DPoPProofOptions) { o.Header = map[string]any{"typ": "at+jwt"} })),
		bad("typ missing", dpop.ReasonHeader, "the DPoP proof typ header is not dpop+jwt", good(func(o *testkeys.DPoPProofOptions) { o.OmitHeader = []string{"typ"} })),
		bad("header name differing in letter case (TYP)", dpop.ReasonHeader, "a DPoP proof header member name differs from a registered name only in letter case", good(func(o *testkeys.DPoPProofOptions) {
			o.Header = map[string]any{"TYP": "JWT"}
		})),
		bad("alg none without a signature", dpop.ReasonMalformed, "a DPoP proof segment is empty",
			enc([]byte(`{"typ":"dpop+jwt","alg":"none","jwk":`+mustJSON(tb, publicJWK(client))+`}`))+"."+goodParts[1]+"."),
		bad("alg none with a signature", dpop.ReasonAlgorithm, "unsigned DPoP proofs (alg none) are never accepted",
			enc([]byte(`{"typ":"dpop+jwt","alg":"none","jwk":`+mustJSON(tb, publicJWK(client))+`}`))+"."+goodParts[1]+"."+goodParts[2]),
		bad("HS256 keyed with the public jwk", dpop.ReasonAlgorithm, "symmetric algorithms (HS*) cannot prove possession of a key",
			hmacToken("HS256", []byte(mustJSON(tb, publicJWK(client))), hdrJSONAlg(tb, "HS256", publicJWK(client)), claimsJSON(""))),
		bad("HS256 with a symmetric jwk", dpop.ReasonAlgorithm, "symmetric algorithms (HS*) cannot prove possession of a key",
			hmacToken("HS256", []byte("0123456789abcdef0123456789abcdef"), hdrJSONAlg(tb, "HS256", map[string]any{"kty": "oct", "k": enc([]byte("0123456789abcdef0123456789abcdef"))}), claimsJSON(""))),
		bad("alg missing", dpop.ReasonAlgorithm, "the DPoP proof alg header is missing or not a string", good(func(o *testkeys.DPoPProofOptions) { o.OmitHeader = []string{"alg"} })),
		bad("alg unsupported (ES256K)", dpop.ReasonAlgorithm, "the DPoP proof algorithm is not in the allow-list",
			signCompact(tb, client, "ES256", hdrJSONAlg(tb, "ES256K", publicJWK(client)), claimsJSON(""))),
		bad("RS256 claimed for an EC jwk", dpop.ReasonAlgorithm, "the DPoP proof algorithm does not suit its jwk",
			signCompact(tb, client, "ES256", hdrJSONAlg(tb, "RS256", publicJWK(client)), claimsJSON(""))),
		bad("ES384 claimed for a P-256 jwk", dpop.ReasonAlgorithm, "the DPoP proof algorithm does not suit its jwk",
			signCompact(tb, client, "ES256", hdrJSONAlg(tb, "ES384", publicJWK(client)), claimsJSON(""))),
		bad("crit header", dpop.ReasonHeader, "the DPoP proof requires a critical header extension this verifier does not understand", good(func(o *testkeys.DPoPProofOptions) {
			o.Header = map[string]any{"crit": []string{"exp"}, "exp": 1}
		})),
		bad("jku beside the jwk", dpop.ReasonHeader, "the DPoP proof names its key with jku, x5u or x5c; only the jwk header is accepted", good(func(o *testkeys.DPoPProofOptions) {
			o.Header = map[string]any{"jku": "https://attacker.example/jwks.json"}
		})),
		bad("x5c beside the jwk", dpop.ReasonHeader, "the DPoP proof names its key with jku, x5u or x5c; only the jwk header is accepted", good(func(o *testkeys.DPoPProofOptions) {
			o.Header = map[string]any{"x5c": []string{"MIIB"}}
		})),
		bad("jwk missing (kid only)", dpop.ReasonHeader, "the DPoP proof jwk header is missing or not an object", good(func(o *testkeys.DPoPProofOptions) {
			o.OmitHeader, o.Header = []string{"jwk"}, map[string]any{"kid": client.KeyID()}
		})),
		bad("jwk as a string", dpop.ReasonHeader, "the DPoP proof jwk header is missing or not an object", good(func(o *testkeys.DPoPProofOptions) {
			o.Header = map[string]any{"jwk": mustJSON(tb, publicJWK(client))}
		})),
		bad("private key in the jwk (d)", dpop.ReasonKey, "the JWK holds private or symmetric key material (member d)", good(func(o *testkeys.DPoPProofOptions) {
			o.Header = map[string]any{"jwk": jwkWith(func(m map[string]any) { m["d"] = enc(d) })}
		})).because("the proof is otherwise valid and signed by that very key: a client that publishes its private key is refused"),
		bad("symmetric jwk (kty oct) with ES256", dpop.ReasonKey, "the JWK holds private or symmetric key material (member k)", good(func(o *testkeys.DPoPProofOptions) {
			o.Header = map[string]any{"jwk": map[string]any{"kty": "oct", "k": enc([]byte("0123456789abcdef0123456789abcdef"))}}
		})),
		bad("kty oct without key material", dpop.ReasonKey, "the JWK is a symmetric key (kty oct)", good(func(o *testkeys.DPoPProofOptions) {
			o.Header = map[string]any{"jwk": map[string]any{"kty": "oct"}}
		})),
		bad("huge jwk (16384-bit RSA modulus)", dpop.ReasonKey, "the RSA JWK modulus is larger than 8192 bits",
			signCompact(tb, f.AttackerRSA, "RS256", rsaHeader(rsaJWK(hugeN)), claimsJSON(""))),
		bad("weak jwk (1024-bit RSA modulus)", dpop.ReasonKey, "RSA key has 1024 bits; at least 2048 are required",
			signCompact(tb, f.AttackerRSA, "RS256", rsaHeader(rsaJWK(wk.rsa.N.Bytes())), claimsJSON(""))),
		bad("jwk point not on the curve", dpop.ReasonKey, "the EC JWK point is not on its curve", good(func(o *testkeys.DPoPProofOptions) {
			o.Header = map[string]any{"jwk": jwkWith(func(m map[string]any) { m["y"] = m["x"] })}
		})),
		bad("degenerate Ed25519 jwk (identity)", dpop.ReasonKey, "Ed25519 key is a point of small order (all-zero, identity or another degenerate key); it cannot be trusted to verify signatures",
			signCompact(tb, clientEd, "EdDSA", hdrJSONAlg(tb, "EdDSA", map[string]any{"kty": "OKP", "crv": "Ed25519", "x": enc(append([]byte{1}, make([]byte, 31)...))}), claimsJSON(""))),
		bad("jwk with use enc", dpop.ReasonKey, "the JWK use member is not ", good(func(o *testkeys.DPoPProofOptions) {
			o.Header = map[string]any{"jwk": jwkWith(func(m map[string]any) { m["use"] = "enc" })}
		})),
		bad("jwk member name differing in letter case (KTY)", dpop.ReasonKey, "a JWK member name differs from a registered name only in letter case", good(func(o *testkeys.DPoPProofOptions) {
			o.Header = map[string]any{"jwk": jwkWith(func(m map[string]any) { m["KTY"] = "oct" })}
		})),

		// The signature (§4.3 step 7).
		bad("signature altered", dpop.ReasonSignature, "the DPoP proof signature does not verify with its jwk", goodParts[0]+"."+goodParts[1]+"."+enc(sig)),
		bad("signed by another key than its jwk", dpop.ReasonSignature, "the DPoP proof signature does not verify with its jwk", proof(attacker, bound, func(o *testkeys.DPoPProofOptions) {
			o.Header = map[string]any{"jwk": publicJWK(client)}
		})).because("the attacker copies the client's public jwk into a proof signed with its own key"),
		bad("claims swapped under a valid signature", dpop.ReasonSignature, "the DPoP proof signature does not verify with its jwk",
			goodParts[0]+"."+strings.Split(htu("https://evil.example.com/mcp"), ".")[1]+"."+goodParts[2]),

		// The claims (§4.3 steps 8 to 12).
		bad("htm GET for a POST", dpop.ReasonMethod, "the DPoP proof htm claim is not the request method", good(func(o *testkeys.DPoPProofOptions) { o.Method = http.MethodGet })),
		bad("htm in lower case", dpop.ReasonMethod, "the DPoP proof htm claim is not the request method", good(func(o *testkeys.DPoPProofOptions) { o.Method = "post" })),
		bad("htm missing", dpop.ReasonClaims, "the DPoP proof htm claim is missing, not a string or empty", good(func(o *testkeys.DPoPProofOptions) { o.OmitClaims = []string{"htm"} })),
		bad("htu of another host", dpop.ReasonURI, "the DPoP proof htu claim is not the request URI", htu("https://evil.example.com"+DPoPPath)),
		bad("htu of another path", dpop.ReasonURI, "the DPoP proof htu claim is not the request URI", htu(DPoPBaseURL+"/admin")),
		bad("htu with a trailing slash", dpop.ReasonURI, "the DPoP proof htu claim is not the request URI", htu(DPoPURI+"/")),
		bad("htu path in another letter case", dpop.ReasonURI, "the DPoP proof htu claim is not the request URI", htu(DPoPBaseURL+"/MCP")),
		bad("htu over http", dpop.ReasonURI, "the DPoP proof htu claim is not the request URI", htu("http://mcp.example.com"+DPoPPath)),
		bad("htu with another port", dpop.ReasonURI, "the DPoP proof htu claim is not the request URI", htu(DPoPBaseURL+":8443"+DPoPPath)),
		bad("htu with user information", dpop.ReasonURI, "the DPoP proof htu claim is not the request URI", htu("https://user@mcp.example.com"+DPoPPath)),
		bad("htu relative", dpop.ReasonURI, "the DPoP proof htu claim is not the request URI", htu(DPoPPath)),
		bad("htu with a dot segment leaving the path", dpop.ReasonURI, "the DPoP proof htu claim is not the request URI", htu(DPoPURI+"/../admin")),
		bad("htu with a malformed percent-encoding", dpop.ReasonURI, "the DPoP proof htu claim is not the request URI", htu(DPoPBaseURL+"/%6")),
		bad("htu missing", dpop.ReasonClaims, "the DPoP proof htu claim is missing, not a string, empty or too long", good(func(o *testkeys.DPoPProofOptions) { o.OmitClaims = []string{"htu"} })),
		bad("htu not a string", dpop.ReasonClaims, "the DPoP proof htu claim is missing, not a string, empty or too long", good(func(o *testkeys.DPoPProofOptions) {
			o.AdditionalClaims = map[string]any{"htu": []string{DPoPURI}}
		})),
		func() DPoPCase {
			c := bad("htu of the Host header", dpop.ReasonURI, "the DPoP proof htu claim is not the request URI", htu("https://evil.example.com"+DPoPPath))
			c.Host = "evil.example.com"
			return c.because("the request names evil.example.com in Host; the public base URL decides")
		}(),
		forwarded(bad("htu of X-Forwarded-Host and X-Forwarded-Proto", dpop.ReasonURI, "the DPoP proof htu claim is not the request URI", htu("http://evil.example.com"+DPoPPath)),
			"X-Forwarded-Host", "evil.example.com", "X-Forwarded-Proto", "http"),
		forwarded(bad("htu of a Forwarded header", dpop.ReasonURI, "the DPoP proof htu claim is not the request URI", htu("http://evil.example.com"+DPoPPath)),
			"Forwarded", "host=evil.example.com;proto=http"),
		forwarded(bad("htu of X-Forwarded-Prefix", dpop.ReasonURI, "the DPoP proof htu claim is not the request URI", htu(DPoPBaseURL+"/tenant"+DPoPPath)),
			"X-Forwarded-Prefix", "/tenant"),
		forwarded(bad("htu of X-Forwarded-Port", dpop.ReasonURI, "the DPoP proof htu claim is not the request URI", htu(DPoPBaseURL+":8443"+DPoPPath)),
			"X-Forwarded-Port", "8443"),
		bad("iat far in the future", dpop.ReasonIssuedAt, "the DPoP proof was issued in the future (iat)", good(func(o *testkeys.DPoPProofOptions) { o.IssuedAt = f.Now.AddDate(1, 0, 0) })),
		bad("iat beyond the allowed skew", dpop.ReasonIssuedAt, "the DPoP proof was issued in the future (iat)", good(func(o *testkeys.DPoPProofOptions) {
			o.IssuedAt = f.Now.Add(dpop.DefaultMaxSkew + 5*time.Second)
		})),
		bad("iat too old", dpop.ReasonIssuedAt, "the DPoP proof is too old (iat)", good(func(o *testkeys.DPoPProofOptions) {
			o.IssuedAt = f.Now.Add(-dpop.DefaultMaxAge - 5*time.Second)
		})),
		bad("iat missing", dpop.ReasonClaims, "the DPoP proof iat claim is missing", good(func(o *testkeys.DPoPProofOptions) { o.OmitClaims = []string{"iat"} })),
		bad("iat as a string", dpop.ReasonClaims, "the DPoP proof iat claim is not a valid NumericDate", good(func(o *testkeys.DPoPProofOptions) {
			o.AdditionalClaims = map[string]any{"iat": big.NewInt(f.Now.Unix()).String()}
		})),
		bad("jti missing", dpop.ReasonClaims, "the DPoP proof jti claim is missing, not a string, empty or too long", good(func(o *testkeys.DPoPProofOptions) { o.OmitClaims = []string{"jti"} })),
		bad("jti not a string", dpop.ReasonClaims, "the DPoP proof jti claim is missing, not a string, empty or too long", good(func(o *testkeys.DPoPProofOptions) { o.AdditionalClaims = map[string]any{"jti": 7} })),
		bad("jti of 257 bytes", dpop.ReasonClaims, "the DPoP proof jti claim is missing, not a string, empty or too long", good(func(o *testkeys.DPoPProofOptions) { o.JTI = strings.Repeat("j", 257) })),
		bad("claim name differing in letter case (HTU)", dpop.ReasonClaims, "a DPoP proof claim name differs from a registered name only in letter case", good(func(o *testkeys.DPoPProofOptions) {
			o.AdditionalClaims = map[string]any{"HTU": "https://evil.example.com/mcp"}
		})),
		func() DPoPCase {
			c := bad("replayed proof", dpop.ReasonReplay, "the DPoP proof was used before (jti)", replayed)
			c.Prior = []string{replayed}
			return c
		}(),
		func() DPoPCase {
			c := bad("jti reused in a new proof", dpop.ReasonReplay, "the DPoP proof was used before (jti)", sameJTIAgain)
			c.Prior = []string{sameJTI}
			return c.because("the second proof differs (iat) but repeats the jti of an accepted one")
		}(),
		bad("ath missing", dpop.ReasonTokenHash, "the DPoP proof has no ath claim", good(func(o *testkeys.DPoPProofOptions) { o.AccessToken = "" })),
		bad("ath of another token", dpop.ReasonTokenHash, "the DPoP proof ath claim is not the hash of the access token", proof(client, unbound, nil)),
		bad("ath not a string", dpop.ReasonTokenHash, "the DPoP proof ath claim is not a string", good(func(o *testkeys.DPoPProofOptions) {
			o.AdditionalClaims = map[string]any{"ath": 1}
		})),
		bad("ath of the token in hex", dpop.ReasonTokenHash, "the DPoP proof ath claim is not the hash of the access token", good(func(o *testkeys.DPoPProofOptions) {
			o.AdditionalClaims = map[string]any{"ath": hexSHA256(bound)}
		})),

		// The binding (§6, §7.1).
		bad("proof of another key (jkt mismatch)", dpop.ReasonBinding, "the DPoP proof key is not the key the access token is bound to (cnf.jkt)", proof(attacker, bound, nil)).
			because("a valid proof by the attacker's own key, for the stolen token"),
		bad("proof of the key of another bound token", dpop.ReasonBinding, "the DPoP proof key is not the key the access token is bound to (cnf.jkt)", proof(clientEd, bound, nil)),
		token("bound token as Bearer (downgrade)", dpop.ReasonDowngrade, descDowngrade, "Bearer "+bound, bound),
		token("bound token as Bearer with a valid proof", dpop.ReasonDowngrade, descDowngrade, "Bearer "+bound, bound, good(nil)).
			because("RFC 9449 §7.1: a DPoP-bound token must be sent with the DPoP scheme; the extra DPoP header does not make the Bearer scheme acceptable"),
		token("unbound token with the DPoP scheme", dpop.ReasonUnbound, descUnbound, scheme(unbound), unbound, proof(client, unbound, nil)),
		func() DPoPCase {
			c := token("malformed cnf (a string)", dpop.ReasonUnbound, "the cnf claim is not an object", scheme(badCnf), badCnf, proof(client, badCnf, nil))
			c.WantBearer = "invalid_token"
			return c
		}(),
		func() DPoPCase {
			c := token("cnf.jkt not a SHA-256 thumbprint", dpop.ReasonUnbound, "the cnf.jkt claim is not a base64url SHA-256 thumbprint", scheme(shortJKT), shortJKT, proof(client, shortJKT, nil))
			c.WantBearer = "invalid_token"
			return c
		}(),
		func() DPoPCase {
			c := token("access token signed by the proof key", mcpauth.ReasonAlgorithm, "the algorithm is not in the allow-list", scheme(selfSigned), selfSigned, proof(attacker, selfSigned, nil))
			c.WantBearer = "invalid_token"
			return c.because("the proof's key never verifies anything but its own proof: the token is checked with the resource's keys first")
		}(),
		func() DPoPCase {
			c := token("forged token with a valid proof", mcpauth.ReasonSignature, "the signature does not verify", scheme(forged), forged, proof(client, forged, nil))
			c.WantBearer = "invalid_token"
			return c.because("the token, bound to the client's key, is signed by the attacker: the proof cannot rescue it")
		}(),
		func() DPoPCase {
			c := DPoPCase{Name: "dpop: proven token lacking the required scope", Authorization: scheme(boundNoScope),
				Proofs: []string{proof(client, boundNoScope, nil)}, WantStatus: http.StatusForbidden, WantReason: mcpauth.ReasonInsufficientScope, WantLog: "insufficient scope: missing " + RequiredScope,
				WantBearer: "insufficient_scope", WantDPoP: "insufficient_scope", Secrets: []string{boundNoScope}}
			return c
		}(),
		func() DPoPCase {
			c := refused("replay store down", mcpauth.ReasonUnavailable, "DPoP replay store unavailable", bound, good(nil))
			c.WantStatus, c.WantBearer, c.WantDPoP = http.StatusServiceUnavailable, NoChallenge, NoChallenge
			return c.on(down).because("the store cannot say whether the jti is fresh: fail closed with 503, never accept")
		}(),

		// Modes.
		ok("require: bound token with a valid proof", bound, client, good(nil)).on(require),
		token("require: unbound token as Bearer", dpop.ReasonDowngrade, descRequired, "Bearer "+unbound, unbound).on(require),
		token("require: bound token as Bearer", dpop.ReasonDowngrade, descRequired, "Bearer "+bound, bound).on(require),
		token("require: unbound token with the DPoP scheme", dpop.ReasonUnbound, descUnbound, scheme(unbound), unbound, proof(client, unbound, nil)).on(require),
		func() DPoPCase {
			c := DPoPCase{Name: "dpop: require: no credentials", WantStatus: http.StatusUnauthorized,
				WantReason: middleware.ReasonNoCredentials, WantLog: descRequired, WantDPoP: NoError}
			return c.on(require)
		}(),
		bad("require: proof of another key", dpop.ReasonBinding, "the DPoP proof key is not the key the access token is bound to (cnf.jkt)", proof(attacker, bound, nil)).on(require),
		func() DPoPCase {
			c := DPoPCase{Name: "dpop: off: DPoP scheme with a valid proof", Authorization: scheme(bound), Proofs: []string{good(nil)},
				WantStatus: http.StatusUnauthorized, WantReason: middleware.ReasonNoCredentials, WantLog: "send an access token in the Authorization header with the Bearer scheme", WantBearer: NoError, WantDPoP: NoChallenge,
				Secrets: []string{bound}}
			return c.on(off).because("with DPoP off the DPoP scheme is an unknown scheme: no credentials, Bearer challenge only")
		}(),
		func() DPoPCase {
			c := DPoPCase{Name: "dpop: off: bound token as Bearer", Authorization: "Bearer " + bound,
				WantStatus: http.StatusOK, Secrets: []string{bound}}
			return c.on(off).because("off means the resource does not understand DPoP: the token is a bearer token (RFC 9449 §7.2)")
		}(),

		// Server nonces (§8, §9).
		func() DPoPCase {
			c := ok("nonce: current nonce", bound, client, good(func(o *testkeys.DPoPProofOptions) { o.Nonce = noncesAt(f.Now, DPoPNonceSecret) }))
			return c.on(nonce)
		}(),
		func() DPoPCase {
			c := ok("nonce: previous nonce (one rotation ago)", bound, client, good(func(o *testkeys.DPoPProofOptions) {
				o.Nonce = noncesAt(f.Now.Add(-dpop.DefaultNonceLifetime), DPoPNonceSecret)
			}))
			return c.on(nonce)
		}(),
		useNonce("nonce: missing", "the DPoP proof has no nonce; use the one in the DPoP-Nonce header", good(nil)),
		useNonce("nonce: stale (two rotations ago)", "the DPoP proof nonce is unknown or stale; use the one in the DPoP-Nonce header", good(func(o *testkeys.DPoPProofOptions) {
			o.Nonce = noncesAt(f.Now.Add(-2*dpop.DefaultNonceLifetime), DPoPNonceSecret)
		})),
		useNonce("nonce: from another server's secret", "the DPoP proof nonce is unknown or stale; use the one in the DPoP-Nonce header", good(func(o *testkeys.DPoPProofOptions) {
			o.Nonce = noncesAt(f.Now, strings.Repeat("another secret ", 3))
		})),
		useNonce("nonce: not base64url", "the DPoP proof nonce is unknown or stale; use the one in the DPoP-Nonce header", good(func(o *testkeys.DPoPProofOptions) { o.Nonce = "not a nonce!" })),
		bad("nonce: not a string", dpop.ReasonNonce, "the DPoP proof nonce claim is not a non-empty string", good(func(o *testkeys.DPoPProofOptions) {
			o.AdditionalClaims = map[string]any{"nonce": 1}
		})).on(nonce),
		bad("nonce: proof of another key with the current nonce", dpop.ReasonBinding, "the DPoP proof key is not the key the access token is bound to (cnf.jkt)", proof(attacker, bound, func(o *testkeys.DPoPProofOptions) {
			o.Nonce = noncesAt(f.Now, DPoPNonceSecret)
		})).on(nonce),
	}
	return cases
}

// hexSHA256 is the SHA-256 of s in hex: not the base64url ath encoding.
func hexSHA256(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// hdrJSONAlg is a proof header with alg and jwk.
func hdrJSONAlg(tb testing.TB, alg string, jwk any) string {
	tb.Helper()
	return `{"typ":"dpop+jwt","alg":"` + alg + `","jwk":` + mustJSON(tb, jwk) + `}`
}

// randomID returns 16 random bytes, base64url.
func randomID(tb testing.TB) string {
	tb.Helper()
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	return enc(b[:])
}

// NewRequest builds the request of c against the server at baseURL with the
// given body and DPoP header lines: the case's method (POST when empty),
// path (DPoPPath when empty), query, Host, further headers, Authorization
// and, in order, one DPoP header per proof.
func (c DPoPCase) NewRequest(baseURL string, body io.Reader, proofs []string) (*http.Request, error) {
	method, path := c.Method, c.Path
	if method == "" {
		method = http.MethodPost
	}
	if path == "" {
		path = DPoPPath
	}
	target := baseURL + path
	if c.Query != "" {
		target += "?" + c.Query
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		return nil, err
	}
	if c.Host != "" {
		req.Host = c.Host
	}
	for k, vs := range c.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if c.Authorization != "" {
		req.Header.Set("Authorization", c.Authorization)
	}
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	return req, nil
}

// challengeParam matches one auth-param of a challenge, name="value".
var challengeParam = regexp.MustCompile(`([a-z_]+)="([^"]*)"`)

// CheckChallenges checks the WWW-Authenticate values of a refusal of c:
// each is a Bearer or a DPoP challenge; each scheme has none
// (NoChallenge) or exactly one, without an error parameter (NoError) or
// with error=WantBearer / WantDPoP, no parameter twice, and a
// resource_metadata parameter (equal to resourceMetadata unless that is
// empty); the DPoP challenge starts with the default algs.
func (c DPoPCase) CheckChallenges(values []string, resourceMetadata string) error {
	var bearer, dp []string
	for _, ch := range values {
		switch {
		case strings.HasPrefix(ch, "Bearer "):
			bearer = append(bearer, ch)
		case strings.HasPrefix(ch, "DPoP "):
			dp = append(dp, ch)
		default:
			return fmt.Errorf("challenge %q of another scheme", ch)
		}
	}
	for _, s := range []struct {
		scheme, want string
		got          []string
	}{{"Bearer", c.WantBearer, bearer}, {"DPoP", c.WantDPoP, dp}} {
		if err := checkChallenge(s.scheme, s.got, s.want, resourceMetadata); err != nil {
			return err
		}
	}
	if len(dp) == 1 && !strings.HasPrefix(dp[0], `DPoP algs="`+strings.Join(dpop.DefaultAlgorithms(), " ")+`"`) {
		return fmt.Errorf("DPoP challenge %q does not start with algs", dp[0])
	}
	return nil
}

// checkChallenge checks the challenges got of one scheme (see
// CheckChallenges).
func checkChallenge(scheme string, got []string, want, resourceMetadata string) error {
	if want == NoChallenge {
		if len(got) != 0 {
			return fmt.Errorf("%s challenge %q; want none", scheme, got)
		}
		return nil
	}
	if len(got) != 1 {
		return fmt.Errorf("%s challenges %q; want exactly one", scheme, got)
	}
	params := map[string]string{}
	for _, m := range challengeParam.FindAllStringSubmatch(got[0], -1) {
		if _, dup := params[m[1]]; dup {
			return fmt.Errorf("challenge %q repeats %s", got[0], m[1])
		}
		params[m[1]] = m[2]
	}
	if e, ok := params["error"]; e != want || ok != (want != NoError) {
		return fmt.Errorf("%s challenge %q: error=%q (present %v); want %q", scheme, got[0], e, ok, want)
	}
	if rm, ok := params["resource_metadata"]; !ok || resourceMetadata != "" && rm != resourceMetadata {
		return fmt.Errorf("%s challenge %q: resource_metadata missing or wrong", scheme, got[0])
	}
	return nil
}
