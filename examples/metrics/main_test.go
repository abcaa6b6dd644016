package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mcpauth/mcpauth/static"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
	"github.com/mcpauth/mcpauth/verify"
)

const audience = "https://api.example.com"

func TestDecisionsAreCounted(t *testing.T) {
	// Keep the middleware's rejection logs out of the test output.
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.DiscardHandler))
	t.Cleanup(func() { slog.SetDefault(prev) })

	key := testkeystest.SharedRSAKeyPair(t)
	v, err := verify.NewJWTVerifier(verify.Settings{
		PublicKey: key.PublicKeyPEM(),
		Issuers:   []string{testkeys.DefaultIssuer},
		Audiences: []string{audience},
	})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	h, err := newHandler(v, reg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	mint := func(change func(*testkeys.TokenOptions)) string {
		o := testkeys.TokenOptions{Audience: []string{audience}, Scopes: []string{scopeRead}}
		if change != nil {
			change(&o)
		}
		tok, err := key.CreateToken(o)
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + tok
	}
	requests := []struct {
		authorization string
		times         int
		wantStatus    int
	}{
		{mint(nil), 3, 200},
		{"", 2, 401},
		{"Bearer ", 1, 400},
		{mint(func(o *testkeys.TokenOptions) { o.ExpiresIn = -time.Hour }), 1, 401},
		{mint(func(o *testkeys.TokenOptions) { o.Audience = []string{"https://other.example.com"} }), 1, 401},
		{mint(func(o *testkeys.TokenOptions) { o.Scopes = nil }), 2, 403},
	}
	for _, r := range requests {
		for range r.times {
			req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/hello", nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.authorization != "" {
				req.Header.Set("Authorization", r.authorization)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != r.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, r.wantStatus)
			}
		}
	}

	// The counter, exactly: one series per (outcome, reason).
	const want = `
# HELP mcpauth_requests_total Requests decided by the authentication middleware, by outcome (accepted, rejected) and rejection reason (empty when accepted).
# TYPE mcpauth_requests_total counter
mcpauth_requests_total{outcome="accepted",reason=""} 3
mcpauth_requests_total{outcome="rejected",reason="audience"} 1
mcpauth_requests_total{outcome="rejected",reason="expired"} 1
mcpauth_requests_total{outcome="rejected",reason="insufficient_scope"} 2
mcpauth_requests_total{outcome="rejected",reason="invalid_request"} 1
mcpauth_requests_total{outcome="rejected",reason="no_credentials"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "mcpauth_requests_total"); err != nil {
		t.Fatal(err)
	}

	// The histogram: one observation per decision, split by outcome.
	counts := map[string]uint64{}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "mcpauth_verification_duration_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			counts[m.GetLabel()[0].GetValue()] += m.GetHistogram().GetSampleCount()
		}
	}
	if counts["accepted"] != 3 || counts["rejected"] != 7 || len(counts) != 2 {
		t.Fatalf("histogram sample counts %v, want accepted:3 rejected:7", counts)
	}

	// /metrics serves the same, in the text format, without a token.
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics status %d", resp.StatusCode)
	}
	for _, line := range []string{
		`mcpauth_requests_total{outcome="rejected",reason="expired"} 1`,
		`mcpauth_requests_total{outcome="accepted",reason=""} 3`,
		`mcpauth_verification_duration_seconds_count{outcome="rejected"} 7`,
		`mcpauth_verification_duration_seconds_count{outcome="accepted"} 3`,
	} {
		if !strings.Contains(string(body), line+"\n") {
			t.Errorf("/metrics lacks %s", line)
		}
	}
}

// TestStaticVerifierReasons checks the development configuration's labels:
// an unknown static token is counted as unknown_token.
func TestStaticVerifierReasons(t *testing.T) {
	v, err := static.NewTokenVerifier(map[string]static.Token{"dev-token": {ClientID: "dev", Scopes: []string{scopeRead}}})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	h, err := newHandler(v, reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"dev-token", "wrong-token"} {
		req := httptest.NewRequest(http.MethodGet, "/api/hello", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	const want = `
# HELP mcpauth_requests_total Requests decided by the authentication middleware, by outcome (accepted, rejected) and rejection reason (empty when accepted).
# TYPE mcpauth_requests_total counter
mcpauth_requests_total{outcome="accepted",reason=""} 1
mcpauth_requests_total{outcome="rejected",reason="unknown_token"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "mcpauth_requests_total"); err != nil {
		t.Fatal(err)
	}
}

func TestNewHandlerErrors(t *testing.T) {
	v, err := static.NewTokenVerifier(map[string]static.Token{"t": {ClientID: "c"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newHandler(nil, prometheus.NewRegistry()); err == nil {
		t.Error("nil verifier accepted")
	}
	if _, err := newHandler(v, nil); err == nil {
		t.Error("nil registry accepted")
	}
	// Registering twice with one registry is a configuration error, not a
	// panic.
	reg := prometheus.NewRegistry()
	if _, err := newHandler(v, reg); err != nil {
		t.Fatal(err)
	}
	if _, err := newHandler(v, reg); err == nil {
		t.Error("second registration accepted")
	}
}
