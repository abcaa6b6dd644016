package middleware_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/chain"
	"github.com/mcpauth/mcpauth/dpop"
	"github.com/mcpauth/mcpauth/introspect"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

const (
	introBase     = "https://mcp.example.com"
	introURL      = introBase + "/mcp"
	introAudience = "https://mcp.example.com/mcp"
)

// introspectionEndpoint answers the bound token as DPoP-bound to jkt
// (cnf.jkt, token_type DPoP, RFC 9449 §6.2), the plain token as an
// unbound bearer token, anything else as inactive. It counts its calls.
func introspectionEndpoint(t *testing.T, jkt string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		answer := map[string]any{"active": true, "aud": introAudience, "client_id": "client-i", "scope": "read"}
		switch r.PostForm.Get("token") {
		case "bound-opaque":
			answer["cnf"], answer["token_type"] = map[string]any{"jkt": jkt}, "DPoP"
		case "plain-opaque":
			answer["token_type"] = "Bearer"
		default:
			answer = map[string]any{"active": false}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(answer)
	}))
	t.Cleanup(s.Close)
	return s, &calls
}

func introspectionVerifier(t *testing.T, endpoint string, bound bool) *introspect.Verifier {
	t.Helper()
	v, err := introspect.New(introspect.Config{
		Endpoint: endpoint, Audiences: []string{introAudience},
		ClientID: "rs", ClientSecret: "rs-secret", CacheSize: 16, DPoPBound: bound,
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestDPoPIntrospectedToken: a token the introspection endpoint reports as
// DPoP-bound (cnf.jkt) is accepted with the DPoP scheme and a proof by
// that key, on the first request (endpoint called) and on later ones
// (answered from the cache, which keeps cnf); it is refused with the
// Bearer scheme (downgrade), with a proof by another key and without a
// proof. An unbound introspected token still works as Bearer.
func TestDPoPIntrospectedToken(t *testing.T) {
	key := testkeystest.SharedECKeyPair(t)
	pk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, err := testkeys.NewECKeyPair(pk)
	if err != nil {
		t.Fatal(err)
	}
	as, calls := introspectionEndpoint(t, key.KeyID())
	dv, err := dpop.NewVerifier(dpop.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var got *mcpauth.AccessToken
	h, err := middleware.NewChecked(introspectionVerifier(t, as.URL, true), middleware.WithDPoP(dv, introBase))
	if err != nil {
		t.Fatal(err)
	}
	srv := h(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = middleware.AccessTokenFrom(r.Context())
		w.WriteHeader(http.StatusNoContent)
	}))
	send := func(authz string, proofs ...string) *httptest.ResponseRecorder {
		got = nil
		r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
		r.Header.Set("Authorization", authz)
		for _, p := range proofs {
			r.Header.Add("DPoP", p)
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		return w
	}
	proof := func(k *testkeys.KeyPair, tok string) string {
		p, err := testkeys.CreateDPoPProof(k, testkeys.DPoPProofOptions{Method: http.MethodPost, URL: introURL, AccessToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	wantRefused := func(w *httptest.ResponseRecorder, code string) {
		t.Helper()
		if w.Code != http.StatusUnauthorized || got != nil {
			t.Fatalf("status %d, token %v; want 401", w.Code, got)
		}
		if c := strings.Join(w.Result().Header.Values("WWW-Authenticate"), "\n"); !strings.Contains(c, `error="`+code+`"`) {
			t.Fatalf("challenges %q; want error=%q", c, code)
		}
	}

	for i := range 2 { // the endpoint, then the cache
		w := send("DPoP bound-opaque", proof(key, "bound-opaque"))
		if w.Code != http.StatusNoContent || got == nil || got.DPoPThumbprint != key.KeyID() || !got.SenderConstrained() {
			t.Fatalf("request %d: status %d, token %+v; want accepted with the key's thumbprint", i+1, w.Code, got)
		}
		if n := calls.Load(); n != 1 {
			t.Fatalf("request %d: %d endpoint calls; want 1 (then the cache)", i+1, n)
		}
	}
	wantRefused(send("Bearer bound-opaque"), "invalid_token")
	wantRefused(send("DPoP bound-opaque", proof(other, "bound-opaque")), "invalid_dpop_proof")
	wantRefused(send("DPoP bound-opaque"), "invalid_dpop_proof")
	wantRefused(send("DPoP bound-opaque", proof(key, "plain-opaque")), "invalid_dpop_proof") // ath of another token
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d endpoint calls; want 1: the refusals were answered from the cache", n)
	}
	if w := send("Bearer plain-opaque"); w.Code != http.StatusNoContent || got == nil || got.SenderConstrained() {
		t.Fatalf("unbound introspected token as Bearer: status %d, token %+v", w.Code, got)
	}
	wantRefused(send("DPoP plain-opaque", proof(key, "plain-opaque")), "invalid_token") // not bound
}

// TestDPoPBoundVerifierNeedsDPoP: a verifier that defers DPoP binding
// (introspect Config.DPoPBound, directly or in a chain) cannot be used
// without WithDPoP in mode allow or require, where its bound tokens would
// pass as bearer tokens.
func TestDPoPBoundVerifierNeedsDPoP(t *testing.T) {
	as, _ := introspectionEndpoint(t, testkeystest.SharedECKeyPair(t).KeyID())
	bound := introspectionVerifier(t, as.URL, true)
	chained, err := chain.FirstSuccess([]chain.Step{{Name: "introspection", Verifier: bound}})
	if err != nil {
		t.Fatal(err)
	}
	off, err := dpop.NewVerifier(dpop.Config{Mode: dpop.Off})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []mcpauth.TokenVerifier{bound, chained} {
		for name, opts := range map[string][]middleware.Option{
			"without WithDPoP": nil,
			"with DPoP off":    {middleware.WithDPoP(off, introBase)},
		} {
			if _, err := middleware.NewChecked(v, opts...); !errors.Is(err, mcpauth.ErrInvalidConfig) || !strings.Contains(err.Error(), "WithDPoP") {
				t.Errorf("%T %s: %v; want a configuration error naming WithDPoP", v, name, err)
			}
		}
		for _, mode := range []dpop.Mode{dpop.Allow, dpop.Require} {
			dv, err := dpop.NewVerifier(dpop.Config{Mode: mode})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := middleware.NewChecked(v, middleware.WithDPoP(dv, introBase)); err != nil {
				t.Errorf("%T with DPoP %s: %v", v, mode, err)
			}
		}
	}
	if _, err := middleware.NewChecked(introspectionVerifier(t, as.URL, false)); err != nil {
		t.Errorf("a verifier that refuses bound tokens needs no DPoP: %v", err)
	}
}
