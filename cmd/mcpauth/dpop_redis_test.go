package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/internal/redistest"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// TestDPoPReplayAcrossReplicas: two serve processes and a proxy share one
// real redis-server (with a password): a proof accepted by one replica is
// refused by the others; with Redis stopped, proofs get 503, a replay
// included, and nothing logs the password.
func TestDPoPReplayAcrossReplicas(t *testing.T) {
	const password = "s3cret-redis-pw"
	srv := redistest.Start(t, "--requirepass", password)
	kp := testkeystest.SharedRSAKeyPair(t)
	client := testkeystest.SharedECKeyPair(t)
	const base = "https://mcp.example.com"
	const htu = base + "/mcp"
	vars := func(extra ...string) map[string]string {
		return pemVars(kp, append([]string{envBaseURL, base,
			envDPoPRedisURL, "redis://:" + password + "@" + srv.Addr + "/0",
			envDPoPReplayTimeout, "300ms"}, extra...)...)
	}
	a, b := startServer(t, "serve", vars()), startServer(t, "serve", vars())
	up := newFakeUpstream(t)
	p := startProxy(t, up.srv.URL+"/up/mcp", vars())
	tok := mint(t, kp, boundTo(client, testkeys.TokenOptions{Audience: []string{htu}}))
	proof := func() string { return proofFor(t, client, http.MethodPost, htu, tok) }

	first := proof()
	if resp, body := doDPoP(t, http.MethodPost, a.mcp(), tok, first, whoamiBody); resp.StatusCode != http.StatusOK {
		t.Fatalf("replica a, fresh proof: %d %s", resp.StatusCode, body)
	}
	for name, ts := range map[string]*testServer{"replica a": a, "replica b": b, "proxy": p} {
		resp, _ := doDPoP(t, http.MethodPost, ts.mcp(), tok, first, whoamiBody)
		if resp.StatusCode != http.StatusUnauthorized || !hasChallenge(resp, "DPoP", `error="invalid_dpop_proof"`) {
			t.Errorf("%s, the proof replica a accepted: %d %q", name, resp.StatusCode, challenges(resp))
		}
	}
	if !strings.Contains(b.logs.String(), "reason=dpop_replay") {
		t.Errorf("replica b did not log a replay:\n%s", b.logs.String())
	}
	if resp, body := doDPoP(t, http.MethodPost, b.mcp(), tok, proof(), whoamiBody); resp.StatusCode != http.StatusOK {
		t.Errorf("replica b, fresh proof: %d %s", resp.StatusCode, body)
	}
	second := proof()
	if resp, _ := doDPoP(t, http.MethodPost, p.mcp(), tok, second, `{}`); resp.StatusCode != http.StatusOK {
		t.Errorf("proxy, fresh proof: %d", resp.StatusCode)
	}

	// A hung Redis: 503 within the replay timeout, not a hang.
	srv.Pause()
	start := time.Now()
	resp, _ := doDPoP(t, http.MethodPost, a.mcp(), tok, proof(), whoamiBody)
	if resp.StatusCode != http.StatusServiceUnavailable || time.Since(start) > 5*time.Second {
		t.Errorf("hung Redis: %d after %v, want 503 after about 300ms", resp.StatusCode, time.Since(start))
	}
	srv.Resume()

	srv.Stop()
	for name, tc := range map[string]struct {
		ts    *testServer
		proof string
		body  string
	}{
		"replica a, fresh proof":     {a, proof(), whoamiBody},
		"replica b, replayed proof":  {b, second, whoamiBody},
		"proxy, replayed proof":      {p, first, `{}`},
		"replica a, proof of before": {a, second, whoamiBody},
	} {
		hits := up.hits.Load()
		resp, body := doDPoP(t, http.MethodPost, tc.ts.mcp(), tok, tc.proof, tc.body)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s with Redis stopped: %d %s, want 503 with Retry-After", name, resp.StatusCode, body)
		}
		if up.hits.Load() != hits {
			t.Errorf("%s with Redis stopped reached the upstream", name)
		}
	}
	// Bearer tokens do not need the replay store.
	if status, _, _ := callWhoami(t, a.mcp(), mint(t, kp, testkeys.TokenOptions{Audience: []string{htu}})); status != http.StatusOK {
		t.Errorf("unbound Bearer token with Redis stopped: %d", status)
	}
	for name, ts := range map[string]*testServer{"a": a, "b": b, "proxy": p} {
		logs := ts.logs.String()
		if strings.Contains(logs, password) {
			t.Errorf("%s logs the Redis password", name)
		}
		if !strings.Contains(logs, "redis=redis://:xxxxx@"+srv.Addr) {
			t.Errorf("%s does not log the redacted Redis URL:\n%s", name, logs)
		}
	}
	if !strings.Contains(a.logs.String(), "status=503") || !strings.Contains(a.logs.String(), "DPoP replay store unavailable") {
		t.Errorf("replica a did not log the 503s:\n%s", a.logs.String())
	}
}

// TestDPoPReplayFallback: MCPAUTH_DPOP_REPLAY_FALLBACK=local accepts fresh
// proofs while Redis is down, logs each fallback at level error, and still
// refuses a replay to the same process.
func TestDPoPReplayFallback(t *testing.T) {
	srv := redistest.Start(t)
	kp := testkeystest.SharedRSAKeyPair(t)
	client := testkeystest.SharedECKeyPair(t)
	ts := startServer(t, "serve", pemVars(kp, envDPoPRedisURL, srv.URL(), envDPoPFallback, "local", envDPoPReplayTimeout, "300ms"))
	tok := mintFor(t, kp, ts, boundTo(client, testkeys.TokenOptions{}))
	if !strings.Contains(ts.logs.String(), "can be replayed to other replicas") {
		t.Errorf("start-up does not warn about the fallback:\n%s", ts.logs.String())
	}
	srv.Stop()
	proof := proofFor(t, client, http.MethodPost, ts.mcp(), tok)
	if resp, body := doDPoP(t, http.MethodPost, ts.mcp(), tok, proof, whoamiBody); resp.StatusCode != http.StatusOK {
		t.Fatalf("fresh proof, Redis down, fallback on: %d %s", resp.StatusCode, body)
	}
	logs := ts.logs.String()
	if !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "using the local fallback store") {
		t.Errorf("the fallback is not logged at level error:\n%s", logs)
	}
	if resp, _ := doDPoP(t, http.MethodPost, ts.mcp(), tok, proof, whoamiBody); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("replay to the same process, Redis down: %d, want 401", resp.StatusCode)
	}
}

func TestDPoPReplayConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		environ []string
		want    string
	}{
		{"scheme", []string{"MCPAUTH_DPOP_REPLAY_REDIS_URL=http://:pw-123@127.0.0.1:6379/0"}, "MCPAUTH_DPOP_REPLAY_REDIS_URL: the scheme is not redis or rediss"},
		{"no scheme", []string{"MCPAUTH_DPOP_REPLAY_REDIS_URL=127.0.0.1:6379"}, "MCPAUTH_DPOP_REPLAY_REDIS_URL: not a URL; want redis://"},
		{"database", []string{"MCPAUTH_DPOP_REPLAY_REDIS_URL=redis://:pw-123@127.0.0.1:6379/zero"}, "MCPAUTH_DPOP_REPLAY_REDIS_URL: the path is not a database number"},
		{"query", []string{"MCPAUTH_DPOP_REPLAY_REDIS_URL=redis://:pw-123@127.0.0.1:6379/0?dial_timeout=1s"}, "MCPAUTH_DPOP_REPLAY_REDIS_URL: a query or fragment is not supported"},
		{"with off", []string{"MCPAUTH_DPOP=off", "MCPAUTH_DPOP_REPLAY_REDIS_URL=redis://127.0.0.1:6379/0"}, "MCPAUTH_DPOP_REPLAY_REDIS_URL has no effect with MCPAUTH_DPOP=off"},
		{"fallback without Redis", []string{"MCPAUTH_DPOP_REPLAY_FALLBACK=local"}, "MCPAUTH_DPOP_REPLAY_FALLBACK is set without MCPAUTH_DPOP_REPLAY_REDIS_URL"},
		{"unknown fallback", []string{"MCPAUTH_DPOP_REPLAY_REDIS_URL=redis://127.0.0.1:6379/0", "MCPAUTH_DPOP_REPLAY_FALLBACK=memory"}, `MCPAUTH_DPOP_REPLAY_FALLBACK "memory" is not local`},
		{"timeout without Redis", []string{"MCPAUTH_DPOP_REPLAY_TIMEOUT=1s"}, "MCPAUTH_DPOP_REPLAY_TIMEOUT is set without MCPAUTH_DPOP_REPLAY_REDIS_URL"},
		{"timeout too long", []string{"MCPAUTH_DPOP_REPLAY_REDIS_URL=redis://127.0.0.1:6379/0", "MCPAUTH_DPOP_REPLAY_TIMEOUT=2m"}, "MCPAUTH_DPOP_REPLAY_TIMEOUT 2m0s is outside 1ms..1m"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, "", append([]string{"PATH=/usr/bin"}, tc.environ...), "serve")
			if code != exitUsage || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, exitUsage, tc.want)
			}
			if strings.Contains(stderr, "pw-123") {
				t.Errorf("the error quotes the password: %q", stderr)
			}
		})
	}
}
