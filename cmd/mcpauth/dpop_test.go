package main

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc/codes"

	"github.com/mcpauth/mcpauth/dpop"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// proofFor mints a DPoP proof by key for method and htu, bound to tok.
func proofFor(t *testing.T, key *testkeys.KeyPair, method, htu, tok string, o ...func(*testkeys.DPoPProofOptions)) string {
	t.Helper()
	opts := testkeys.DPoPProofOptions{Method: method, URL: htu, AccessToken: tok}
	for _, f := range o {
		f(&opts)
	}
	p, err := testkeys.CreateDPoPProof(key, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// boundTo returns token options whose token is bound to key (cnf.jkt).
func boundTo(key *testkeys.KeyPair, o testkeys.TokenOptions) testkeys.TokenOptions {
	o.AdditionalClaims = map[string]any{"cnf": testkeys.DPoPConfirmation(key)}
	return o
}

// doDPoP sends a request with Authorization: DPoP tok and, unless proof is
// empty, a DPoP header.
func doDPoP(t *testing.T, method, url, tok, proof, body string, header ...string) (*http.Response, string) {
	t.Helper()
	h := []string{"Authorization", "DPoP " + tok}
	if proof != "" {
		h = append(h, "DPoP", proof)
	}
	return do(t, method, url, "", body, append(h, header...)...)
}

// challenges returns the WWW-Authenticate values of resp, one per scheme.
func challenges(resp *http.Response) []string { return resp.Header.Values("WWW-Authenticate") }

// hasChallenge reports whether one of resp's challenges starts with scheme
// and contains every part.
func hasChallenge(resp *http.Response, scheme string, parts ...string) bool {
	return slices.ContainsFunc(challenges(resp), func(c string) bool {
		if !strings.HasPrefix(c, scheme+" ") {
			return false
		}
		for _, p := range parts {
			if !strings.Contains(c, p) {
				return false
			}
		}
		return true
	})
}

func TestDPoPConfigErrors(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	base := []string{"MCPAUTH_JWT_PUBLIC_KEY=" + kp.PublicKeyPEM(), "MCPAUTH_JWT_ISSUER=" + iss}
	const secret = "0123456789abcdef0123456789abcdef"
	tests := []struct {
		name    string
		command string
		environ []string
		want    string
	}{
		{"unknown mode", "serve", []string{"MCPAUTH_DPOP=maybe"}, `MCPAUTH_DPOP "maybe" is not one of allow (the default), require, off`},
		{"unknown mode for proxy", "proxy", []string{"MCPAUTH_UPSTREAM=http://127.0.0.1:1/mcp", "MCPAUTH_DPOP=required"}, `MCPAUTH_DPOP "required" is not one of allow (the default), require, off`},
		{"unknown mode for authz", "authz", []string{"MCPAUTH_JWT_BASE_URL=https://mcp.example.com", "MCPAUTH_DPOP=bearer"}, `MCPAUTH_DPOP "bearer" is not one of allow (the default), require, off`},
		{"setting with off", "serve", []string{"MCPAUTH_DPOP=off", "MCPAUTH_DPOP_MAX_AGE=30s"}, "MCPAUTH_DPOP_MAX_AGE has no effect with MCPAUTH_DPOP=off"},
		{"max age not a duration", "serve", []string{"MCPAUTH_DPOP_MAX_AGE=soon"}, `MCPAUTH_DPOP_MAX_AGE "soon" is not a Go duration`},
		{"max age zero", "serve", []string{"MCPAUTH_DPOP_MAX_AGE=0s"}, "MCPAUTH_DPOP_MAX_AGE must be greater than 0s"},
		{"max age too long", "serve", []string{"MCPAUTH_DPOP_MAX_AGE=2h"}, "MCPAUTH_DPOP_MAX_AGE 2h0m0s is outside 1s..1h0m0s"},
		{"negative skew", "serve", []string{"MCPAUTH_DPOP_MAX_SKEW=-1s"}, "MCPAUTH_DPOP_MAX_SKEW -1s is outside"},
		{"symmetric algorithm", "serve", []string{"MCPAUTH_DPOP_ALGORITHMS=ES256,HS256"}, "MCPAUTH_DPOP_ALGORITHMS: HS256 is symmetric"},
		{"none", "serve", []string{"MCPAUTH_DPOP_ALGORITHMS=none"}, "MCPAUTH_DPOP_ALGORITHMS: none is never accepted"},
		{"empty algorithm", "serve", []string{"MCPAUTH_DPOP_ALGORITHMS=ES256,,"}, "MCPAUTH_DPOP_ALGORITHMS has an empty item"},
		{"nonce not a bool", "serve", []string{"MCPAUTH_DPOP_NONCE=please"}, `MCPAUTH_DPOP_NONCE "please" is not true or false`},
		{"short nonce secret", "serve", []string{"MCPAUTH_DPOP_NONCE=true", "MCPAUTH_DPOP_NONCE_SECRET=hunter2"}, "MCPAUTH_DPOP_NONCE_SECRET has 7 bytes; at least 32 are required"},
		{"secret without nonces", "serve", []string{"MCPAUTH_DPOP_NONCE_SECRET=" + secret}, "MCPAUTH_DPOP_NONCE_SECRET is set but MCPAUTH_DPOP_NONCE is not true"},
		{"lifetime without nonces", "serve", []string{"MCPAUTH_DPOP_NONCE_LIFETIME=1m"}, "MCPAUTH_DPOP_NONCE_LIFETIME is set but MCPAUTH_DPOP_NONCE is not true"},
		{"lifetime too long", "serve", []string{"MCPAUTH_DPOP_NONCE=true", "MCPAUTH_DPOP_NONCE_LIFETIME=48h"}, "MCPAUTH_DPOP_NONCE_LIFETIME 48h0m0s is outside 1s..24h"},
		{"typo", "serve", []string{"MCPAUTH_DPOP_MAXAGE=1m"}, "did you mean MCPAUTH_DPOP_MAX_AGE?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			environ := append([]string{"PATH=/usr/bin"}, tt.environ...)
			if tt.command != "serve" {
				environ = append(environ, base...)
			}
			code, stdout, stderr := runCmd(t, "", environ, tt.command)
			if code != exitUsage || stdout != "" {
				t.Fatalf("exit %d, stdout %q, want %d; stderr: %s", code, stdout, exitUsage, stderr)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr = %q, want one line containing %q", stderr, tt.want)
			}
			if strings.Contains(stderr, "hunter2") || strings.Contains(stderr, secret) {
				t.Errorf("stderr echoes the nonce secret: %q", stderr)
			}
		})
	}
}

func TestDPoPConfigValues(t *testing.T) {
	get := func(vars map[string]string) func(string) string {
		return func(k string) string { return strings.TrimSpace(vars[k]) }
	}
	for raw, want := range map[string]dpop.Mode{"": dpop.Allow, "allow": dpop.Allow, "Require": dpop.Require, " OFF ": dpop.Off} {
		s, err := dpopFromEnv(get(map[string]string{envDPoP: raw}))
		if err != nil || s.config.Mode != want {
			t.Errorf("%s=%q: %v, %v; want %v", envDPoP, raw, s, err, want)
		}
	}
	s, err := dpopFromEnv(get(map[string]string{envDPoPMaxAge: "30s", envDPoPMaxSkew: "0s", envDPoPAlgorithms: "ES256, EdDSA",
		envDPoPNonce: "true", envDPoPNonceSecret: strings.Repeat("k", 32), envDPoPNonceLifetime: "2m"}))
	if err != nil {
		t.Fatal(err)
	}
	c := s.config
	if c.MaxAge != 30*time.Second || c.MaxSkew != time.Nanosecond || strings.Join(c.Algorithms, " ") != "ES256 EdDSA" ||
		!c.RequireNonce || string(c.NonceSecret) != strings.Repeat("k", 32) || c.NonceLifetime != 2*time.Minute {
		t.Errorf("config %+v", c)
	}
}

// TestServeDPoP: serve verifies DPoP in the default mode (allow): bound
// tokens only with a proof for the configured URL, unbound Bearer tokens as
// before.
func TestServeDPoP(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	client := testkeystest.SharedECKeyPair(t)
	ts := startServer(t, "serve", pemVars(kp))
	bound := mintFor(t, kp, ts, boundTo(client, testkeys.TokenOptions{}))

	_, body := do(t, http.MethodGet, ts.url+"/.well-known/oauth-protected-resource/mcp", "", "")
	var doc map[string]any
	if err := json.Unmarshal([]byte(body), &doc); err != nil || doc["dpop_signing_alg_values_supported"] == nil || doc["dpop_bound_access_tokens_required"] != nil {
		t.Errorf("metadata = %s", body)
	}

	if status, _, _ := callWhoami(t, ts.mcp(), mintFor(t, kp, ts, testkeys.TokenOptions{})); status != http.StatusOK {
		t.Errorf("unbound Bearer token: %d", status)
	}
	proof := proofFor(t, client, http.MethodPost, ts.mcp(), bound)
	resp, body := doDPoP(t, http.MethodPost, ts.mcp(), bound, proof, whoamiBody)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"jkt":"`+client.KeyID()+`"`) {
		t.Fatalf("bound token with its proof: %d %s", resp.StatusCode, body)
	}
	resp, _ = doDPoP(t, http.MethodPost, ts.mcp(), bound, proof, whoamiBody)
	if resp.StatusCode != http.StatusUnauthorized || !hasChallenge(resp, "DPoP", `error="invalid_dpop_proof"`) {
		t.Errorf("replayed proof: %d %q", resp.StatusCode, challenges(resp))
	}
	status, challenge, _ := callWhoami(t, ts.mcp(), bound)
	if status != http.StatusUnauthorized || !strings.HasPrefix(challenge, "Bearer ") {
		t.Errorf("bound token as Bearer: %d %q", status, challenge)
	}
	resp, _ = doDPoP(t, http.MethodPost, ts.mcp(), bound, "", whoamiBody)
	if resp.StatusCode != http.StatusUnauthorized || !hasChallenge(resp, "DPoP", `error="invalid_dpop_proof"`) || !hasChallenge(resp, "Bearer") {
		t.Errorf("no proof: %d %q, want both challenges", resp.StatusCode, challenges(resp))
	}
	resp, _ = doDPoP(t, http.MethodPost, ts.mcp(), bound, proofFor(t, client, http.MethodGet, ts.mcp(), bound), whoamiBody)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("proof for another method: %d", resp.StatusCode)
	}

	// htu is the listen URL (no BASE_URL): never the Host or the
	// X-Forwarded-* headers the client sends.
	for _, tc := range []struct {
		name, htu string
		header    []string
	}{
		{"Host", "http://mcp.evil.example/mcp", []string{"Host", "mcp.evil.example"}},
		{"X-Forwarded-Host", "https://mcp.evil.example/mcp", []string{"X-Forwarded-Host", "mcp.evil.example", "X-Forwarded-Proto", "https"}},
		{"Forwarded", "https://mcp.evil.example/mcp", []string{"Forwarded", "host=mcp.evil.example;proto=https"}},
	} {
		resp, _ := doDPoP(t, http.MethodPost, ts.mcp(), bound, proofFor(t, client, http.MethodPost, tc.htu, bound), whoamiBody, tc.header...)
		if resp.StatusCode != http.StatusUnauthorized || !hasChallenge(resp, "DPoP", `error="invalid_dpop_proof"`) {
			t.Errorf("htu from %s: %d %q", tc.name, resp.StatusCode, challenges(resp))
		}
	}
}

// TestServeDPoPBaseURL: behind a reverse proxy, proofs name the configured
// public base URL and its path, whatever address the request reached.
func TestServeDPoPBaseURL(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	client := testkeystest.SharedECKeyPair(t)
	const base = "https://mcp.example.com/tenant-1"
	ts := startServer(t, "serve", pemVars(kp, envBaseURL, base))
	tok := mint(t, kp, boundTo(client, testkeys.TokenOptions{Audience: []string{base + "/mcp"}}))
	endpoint := ts.url + "/tenant-1/mcp"
	if resp, body := doDPoP(t, http.MethodPost, endpoint, tok, proofFor(t, client, http.MethodPost, base+"/mcp", tok), whoamiBody); resp.StatusCode != http.StatusOK {
		t.Errorf("proof for the public URL: %d %s", resp.StatusCode, body)
	}
	// Normalised as RFC 3986 §6 says: scheme and host case, default port.
	if resp, body := doDPoP(t, http.MethodPost, endpoint, tok, proofFor(t, client, http.MethodPost, "HTTPS://MCP.example.com:443/tenant-1/mcp", tok), whoamiBody); resp.StatusCode != http.StatusOK {
		t.Errorf("proof for the normalised public URL: %d %s", resp.StatusCode, body)
	}
	for _, htu := range []string{endpoint, "https://mcp.example.com/mcp", "http://mcp.example.com/tenant-1/mcp"} {
		if resp, _ := doDPoP(t, http.MethodPost, endpoint, tok, proofFor(t, client, http.MethodPost, htu, tok), whoamiBody); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("proof for %s: %d, want 401", htu, resp.StatusCode)
		}
	}
}

func TestServeDPoPRequire(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	client := testkeystest.SharedECKeyPair(t)
	ts := startServer(t, "serve", pemVars(kp, envDPoP, "require", envDPoPAlgorithms, "ES256"))
	_, body := do(t, http.MethodGet, ts.url+"/.well-known/oauth-protected-resource/mcp", "", "")
	if !strings.Contains(body, `"dpop_bound_access_tokens_required":true`) || !strings.Contains(body, `"dpop_signing_alg_values_supported":["ES256"]`) {
		t.Errorf("metadata = %s", body)
	}
	resp, _ := do(t, http.MethodPost, ts.mcp(), mintFor(t, kp, ts, testkeys.TokenOptions{}), whoamiBody)
	if resp.StatusCode != http.StatusUnauthorized || hasChallenge(resp, "Bearer") || !hasChallenge(resp, "DPoP", `algs="ES256"`) {
		t.Errorf("unbound Bearer token: %d %q, want only a DPoP challenge", resp.StatusCode, challenges(resp))
	}
	bound := mintFor(t, kp, ts, boundTo(client, testkeys.TokenOptions{}))
	if resp, body := doDPoP(t, http.MethodPost, ts.mcp(), bound, proofFor(t, client, http.MethodPost, ts.mcp(), bound), whoamiBody); resp.StatusCode != http.StatusOK {
		t.Errorf("bound token with its proof: %d %s", resp.StatusCode, body)
	}
	ed := testkeystest.SharedEd25519KeyPair(t)
	edBound := mintFor(t, kp, ts, boundTo(ed, testkeys.TokenOptions{}))
	if resp, _ := doDPoP(t, http.MethodPost, ts.mcp(), edBound, proofFor(t, ed, http.MethodPost, ts.mcp(), edBound), whoamiBody); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("proof with an algorithm outside MCPAUTH_DPOP_ALGORITHMS: %d, want 401", resp.StatusCode)
	}
}

func TestServeDPoPOff(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	client := testkeystest.SharedECKeyPair(t)
	ts := startServer(t, "serve", pemVars(kp, envDPoP, "off"))
	_, body := do(t, http.MethodGet, ts.url+"/.well-known/oauth-protected-resource/mcp", "", "")
	if strings.Contains(body, "dpop") {
		t.Errorf("metadata = %s", body)
	}
	bound := mintFor(t, kp, ts, boundTo(client, testkeys.TokenOptions{}))
	resp, _ := doDPoP(t, http.MethodPost, ts.mcp(), bound, proofFor(t, client, http.MethodPost, ts.mcp(), bound), whoamiBody)
	if resp.StatusCode != http.StatusUnauthorized || hasChallenge(resp, "DPoP") {
		t.Errorf("DPoP scheme with DPoP off: %d %q", resp.StatusCode, challenges(resp))
	}
	if status, _, _ := callWhoami(t, ts.mcp(), bound); status != http.StatusOK {
		t.Errorf("bound token as Bearer with DPoP off: %d", status)
	}
}

// TestServeDPoPNonce: with nonces, a proof without one gets use_dpop_nonce
// and a DPoP-Nonce header; replicas sharing the secret accept each other's
// nonces.
func TestServeDPoPNonce(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	client := testkeystest.SharedECKeyPair(t)
	vars := func() map[string]string {
		return pemVars(kp, envDPoP, "require", envDPoPNonce, "true", envDPoPNonceSecret, strings.Repeat("s", 40),
			envBaseURL, "https://mcp.example.com", envDPoPNonceLifetime, "1m")
	}
	a, b := startServer(t, "serve", vars()), startServer(t, "serve", vars())
	const htu = "https://mcp.example.com/mcp"
	tok := mint(t, kp, boundTo(client, testkeys.TokenOptions{Audience: []string{htu}}))
	resp, _ := doDPoP(t, http.MethodPost, a.mcp(), tok, proofFor(t, client, http.MethodPost, htu, tok), whoamiBody)
	nonce := resp.Header.Get("DPoP-Nonce")
	if resp.StatusCode != http.StatusUnauthorized || nonce == "" || !hasChallenge(resp, "DPoP", `error="use_dpop_nonce"`) {
		t.Fatalf("proof without a nonce: %d %q, DPoP-Nonce %q", resp.StatusCode, challenges(resp), nonce)
	}
	withNonce := func(o *testkeys.DPoPProofOptions) { o.Nonce = nonce }
	for _, ts := range []*testServer{a, b} {
		resp, body := doDPoP(t, http.MethodPost, ts.mcp(), tok, proofFor(t, client, http.MethodPost, htu, tok, withNonce), whoamiBody)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("DPoP-Nonce") == "" {
			t.Errorf("proof with the nonce: %d %s (DPoP-Nonce %q)", resp.StatusCode, body, resp.Header.Get("DPoP-Nonce"))
		}
	}
	stale := func(o *testkeys.DPoPProofOptions) { o.Nonce = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }
	if resp, _ := doDPoP(t, http.MethodPost, b.mcp(), tok, proofFor(t, client, http.MethodPost, htu, tok, stale), whoamiBody); !hasChallenge(resp, "DPoP", `error="use_dpop_nonce"`) {
		t.Errorf("unknown nonce: %d %q", resp.StatusCode, challenges(resp))
	}
}

// TestProxyDPoP: the proxy verifies the proof, forwards the thumbprint and
// never the proof or the token.
func TestProxyDPoP(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	client := testkeystest.SharedECKeyPair(t)
	up := newFakeUpstream(t)
	ts := startProxy(t, up.srv.URL+"/up/mcp", pemVars(kp))
	tok := mintFor(t, kp, ts, boundTo(client, testkeys.TokenOptions{}))
	proof := proofFor(t, client, http.MethodPost, ts.mcp(), tok)
	resp, body := doDPoP(t, http.MethodPost, ts.mcp(), tok, proof, `{}`, "X-MCPAuth-DPoP-JKT", "spoofed")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("bound token with its proof: %d %s", resp.StatusCode, body)
	}
	r := up.lastRequest()
	if got := r.Header.Values(headerDPoPJKT); len(got) != 1 || got[0] != client.KeyID() {
		t.Errorf("upstream %s = %q, want [%q]", headerDPoPJKT, got, client.KeyID())
	}
	for name, v := range r.Header {
		if strings.EqualFold(name, "DPoP") || strings.EqualFold(name, "Authorization") {
			t.Errorf("upstream got %s", name)
		}
		for _, s := range v {
			if strings.Contains(s, proof) || strings.Contains(s, tok) {
				t.Errorf("the proof or the token reached the upstream in %s", name)
			}
		}
	}
	hits := up.hits.Load()
	if resp, _ := doDPoP(t, http.MethodPost, ts.mcp(), tok, proof, `{}`); resp.StatusCode != http.StatusUnauthorized || up.hits.Load() != hits {
		t.Errorf("replayed proof: %d, upstream hits %d -> %d", resp.StatusCode, hits, up.hits.Load())
	}
}

// TestAuthzDPoP: authz checks the proof against the original method and
// URI a trusted gateway forwards, with the configured base URL, and gives
// the gateway the challenges and DPoP-Nonce to return.
func TestAuthzDPoP(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	client := testkeystest.SharedECKeyPair(t)
	ts := startAuthz(t, pemVars(kp, envDPoPNonce, "true"))
	const htu = authzBase + "/mcp"
	tok := mintAuthz(t, kp, boundTo(client, testkeys.TokenOptions{}))
	orig := []string{"X-Original-Method", "POST", "X-Original-URI", "/mcp?session=1"}

	resp, _ := doDPoP(t, http.MethodGet, ts.url+"/check", tok, proofFor(t, client, http.MethodPost, htu, tok), "", orig...)
	nonce := resp.Header.Get("DPoP-Nonce")
	if resp.StatusCode != http.StatusUnauthorized || nonce == "" || !hasChallenge(resp, "DPoP", `error="use_dpop_nonce"`) || !hasChallenge(resp, "Bearer", wantMetadata) {
		t.Fatalf("proof without a nonce: %d %q, DPoP-Nonce %q", resp.StatusCode, challenges(resp), nonce)
	}
	withNonce := func(o *testkeys.DPoPProofOptions) { o.Nonce = nonce }
	resp, body := doDPoP(t, http.MethodGet, ts.url+"/check", tok, proofFor(t, client, http.MethodPost, htu, tok, withNonce), "", orig...)
	if resp.StatusCode != http.StatusOK || resp.Header.Get(headerDPoPJKT) != client.KeyID() || resp.Header.Get("DPoP-Nonce") == "" {
		t.Fatalf("proof with the nonce: %d %s, headers %v", resp.StatusCode, body, resp.Header)
	}
	if rm := resp.Header.Get(envoyHeadersToRemove); !strings.HasPrefix(rm, "authorization, dpop") || strings.Contains(rm, "x-mcpauth-dpop-jkt") {
		t.Errorf("%s = %q", envoyHeadersToRemove, rm)
	}
	for _, tc := range []struct {
		name   string
		method string
		htu    string
		header []string
	}{
		{"the check request's own method", http.MethodGet, htu, orig},
		{"the check request's own URI", http.MethodPost, authzBase + "/check", orig},
		{"a forwarded host", http.MethodPost, "https://gateway.evil.example/mcp", append(slices.Clone(orig), "X-Forwarded-Host", "gateway.evil.example")},
		{"another path", http.MethodPost, authzBase + "/other", orig},
	} {
		resp, _ := doDPoP(t, http.MethodGet, ts.url+"/check", tok, proofFor(t, client, tc.method, tc.htu, tok, withNonce), "", tc.header...)
		if resp.StatusCode != http.StatusUnauthorized || !hasChallenge(resp, "DPoP", `error="invalid_dpop_proof"`) {
			t.Errorf("proof for %s: %d %q", tc.name, resp.StatusCode, challenges(resp))
		}
	}

	// Envoy's gRPC check: both challenges and the nonce on a refusal; the
	// thumbprint upstream and the nonce to the client on approval.
	g := extAuthzClient(t, ts)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	denied, err := g.Check(ctx, checkRequest("POST", "/mcp", false, "authorization", "DPoP "+tok, "dpop", proofFor(t, client, http.MethodPost, htu, tok)))
	if err != nil {
		t.Fatal(err)
	}
	h := headerOptions(denied.GetDeniedResponse().GetHeaders())
	if denied.GetStatus().GetCode() != int32(codes.Unauthenticated) || h["dpop-nonce"] == "" ||
		!strings.HasPrefix(h["www-authenticate"], "Bearer ") || !strings.Contains(h["www-authenticate"], ` | DPoP algs="`) ||
		!strings.Contains(h["www-authenticate"], `error="use_dpop_nonce"`) {
		t.Errorf("gRPC refusal headers %v", h)
	}
	var ok *authv3.CheckResponse
	if ok, err = g.Check(ctx, checkRequest("POST", "/mcp", true, "authorization", "DPoP "+tok, "dpop", proofFor(t, client, http.MethodPost, htu, tok, withNonce))); err != nil {
		t.Fatal(err)
	}
	if got := headerOptions(ok.GetOkResponse().GetHeaders()); got[strings.ToLower(headerDPoPJKT)] != client.KeyID() {
		t.Errorf("gRPC approval headers %v (%v)", got, ok)
	}
	if got := headerOptions(ok.GetOkResponse().GetResponseHeadersToAdd()); got["dpop-nonce"] == "" {
		t.Errorf("gRPC approval response headers %v", got)
	}
	if rm := ok.GetOkResponse().GetHeadersToRemove(); !slices.Contains(rm, "dpop") || !slices.Contains(rm, "authorization") {
		t.Errorf("gRPC approval headers to remove %q", rm)
	}
}

func TestDPoPHelp(t *testing.T) {
	for _, command := range []string{"serve", "proxy", "authz"} {
		code, _, stderr := runCmd(t, "", nil, command, "-h")
		if code != exitOK {
			t.Fatalf("%s -h: exit %d", command, code)
		}
		for _, name := range dpopVars {
			if !strings.Contains(stderr, name+" ") {
				t.Errorf("%s -h does not document %s", command, name)
			}
		}
		if !strings.Contains(helpLine(stderr, envDPoP), "allow (default") {
			t.Errorf("%s -h: %s line %q", command, envDPoP, helpLine(stderr, envDPoP))
		}
	}
}

// TestIntrospectedDPoP: a token the introspection endpoint reports as
// DPoP-bound (cnf.jkt, token_type DPoP) works with the DPoP scheme and a
// proof by that key through serve (alone and chained with JWT) and proxy,
// also when answered from the introspection cache; it is refused as
// Bearer, with a proof by another key and without a proof; with
// MCPAUTH_DPOP=off it is refused whatever the scheme.
func TestIntrospectedDPoP(t *testing.T) {
	client := testkeystest.SharedECKeyPair(t)
	other := testkeystest.SharedEd25519KeyPair(t)
	kp := testkeystest.SharedRSAKeyPair(t)
	up := newFakeUpstream(t)
	for _, tc := range []struct {
		name  string
		start func(vars map[string]string) *testServer
		jwt   bool
	}{
		{"serve", func(vars map[string]string) *testServer { return startServer(t, "serve", vars) }, false},
		{"serve with JWT", func(vars map[string]string) *testServer {
			vars["MCPAUTH_JWT_PUBLIC_KEY"], vars["MCPAUTH_JWT_ISSUER"] = kp.PublicKeyPEM(), iss
			return startServer(t, "serve", vars)
		}, true},
		{"proxy", func(vars map[string]string) *testServer { return startProxy(t, up.srv.URL+"/up/mcp", vars) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			as := newFakeAS(t, "opaque-plain")
			as.bind("opaque-bound", client.KeyID())
			ts := tc.start(as.vars(envIntrospectionCacheAge, "30s"))
			as.setAudience(ts.mcp())
			body := whoamiBody
			for i := range 2 { // the endpoint, then the cache
				resp, out := doDPoP(t, http.MethodPost, ts.mcp(), "opaque-bound", proofFor(t, client, http.MethodPost, ts.mcp(), "opaque-bound"), body)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("request %d: bound token with its proof: %d %s", i+1, resp.StatusCode, out)
				}
				if tc.name != "proxy" && !strings.Contains(out, `"jkt":"`+client.KeyID()+`"`) {
					t.Fatalf("request %d: whoami lacks the thumbprint: %s", i+1, out)
				}
				if n := as.calls.Load(); n != 1 {
					t.Fatalf("request %d: %d endpoint calls; want 1", i+1, n)
				}
			}
			if tc.name == "proxy" {
				if got := up.lastRequest().Header.Values(headerDPoPJKT); len(got) != 1 || got[0] != client.KeyID() {
					t.Errorf("upstream %s = %q, want [%q]", headerDPoPJKT, got, client.KeyID())
				}
			}
			resp, _ := do(t, http.MethodPost, ts.mcp(), "opaque-bound", body)
			if resp.StatusCode != http.StatusUnauthorized || !hasChallenge(resp, "DPoP", `error="invalid_token"`) {
				t.Errorf("bound token as Bearer: %d %q", resp.StatusCode, challenges(resp))
			}
			resp, _ = doDPoP(t, http.MethodPost, ts.mcp(), "opaque-bound", proofFor(t, other, http.MethodPost, ts.mcp(), "opaque-bound"), body)
			if resp.StatusCode != http.StatusUnauthorized || !hasChallenge(resp, "DPoP", `error="invalid_dpop_proof"`) {
				t.Errorf("proof by another key: %d %q", resp.StatusCode, challenges(resp))
			}
			resp, _ = doDPoP(t, http.MethodPost, ts.mcp(), "opaque-bound", "", body)
			if resp.StatusCode != http.StatusUnauthorized || !hasChallenge(resp, "DPoP", `error="invalid_dpop_proof"`) {
				t.Errorf("no proof: %d %q", resp.StatusCode, challenges(resp))
			}
			if resp, _ := do(t, http.MethodPost, ts.mcp(), "opaque-plain", body); resp.StatusCode != http.StatusOK {
				t.Errorf("unbound introspected token as Bearer: %d", resp.StatusCode)
			}
			if tc.jwt {
				bound := mintFor(t, kp, ts, boundTo(client, testkeys.TokenOptions{}))
				if resp, out := doDPoP(t, http.MethodPost, ts.mcp(), bound, proofFor(t, client, http.MethodPost, ts.mcp(), bound), body); resp.StatusCode != http.StatusOK {
					t.Errorf("bound JWT beside introspection: %d %s", resp.StatusCode, out)
				}
			}
		})
	}
	t.Run("off", func(t *testing.T) {
		as := newFakeAS(t)
		as.bind("opaque-bound", client.KeyID())
		ts := startServer(t, "serve", as.vars("MCPAUTH_DPOP", "off"))
		as.setAudience(ts.mcp())
		if status, _, _ := callWhoami(t, ts.mcp(), "opaque-bound"); status != http.StatusUnauthorized {
			t.Errorf("bound token as Bearer with DPoP off: %d", status)
		}
		resp, _ := doDPoP(t, http.MethodPost, ts.mcp(), "opaque-bound", proofFor(t, client, http.MethodPost, ts.mcp(), "opaque-bound"), whoamiBody)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("bound token with a proof and DPoP off: %d", resp.StatusCode)
		}
	})
}
