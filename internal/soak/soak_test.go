//go:build soak

package soak

import (
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/testkeys"
)

var (
	soakDuration = flag.Duration("soak.duration", 15*time.Second, "time under load after the warm-up; rounded up to whole rotation cycles")
	soakWorkers  = flag.Int("soak.workers", 3, "valid-token workers per process (each sends one request at a time); half as many flood workers, at least one")
)

// Timings of the soak. The JWK Set is refreshed every refreshInterval;
// outages last outageIntervals refresh intervals.
const (
	refreshInterval = 2 * time.Second
	rateLimit       = time.Second
	fetchTimeout    = time.Second
	cacheMaxAge     = 2 * time.Second // the proxy's verified-token cache
	outageIntervals = 3
	margin          = time.Second // to apply a fetched JWK Set
	phase           = 3 * time.Second
)

// TestSoak is described in the package documentation.
func TestSoak(t *testing.T) {
	bin := buildBinary(t)
	attacker, err := testkeys.GenerateECKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	jw := newJWKSServer(2 * fetchTimeout)
	t.Cleanup(jw.srv.Close)
	keyNo := 0
	nextKey := func() *signingKey { keyNo++; return newSigningKey(t, keyNo-1, attacker) }
	publish := func(keys ...*signingKey) {
		set := testkeys.JWKSet{}
		var kids []string
		for _, k := range keys {
			set.Keys = append(set.Keys, k.jwk)
			kids = append(kids, k.kid)
		}
		doc, err := json.Marshal(set)
		if err != nil {
			t.Fatal(err)
		}
		jw.publish(doc, kids)
	}
	cur := nextKey()
	publish(cur)
	is := &issuer{}
	is.set(cur, cur)

	var upstreamHits atomic.Int64
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" || r.Header.Get("X-MCPAuth-Client-ID") == "" {
			http.Error(w, "token forwarded or identity missing", http.StatusTeapot)
			return
		}
		upstreamHits.Add(1)
		w.Write([]byte(upstreamBody))
	}))
	t.Cleanup(upstream.Close)

	env := func(name string, extra ...string) []string {
		return append([]string{
			"MCPAUTH_ADDR=127.0.0.1:0",
			"MCPAUTH_LOG_LEVEL=info",
			"MCPAUTH_JWT_JWKS_URI=" + jw.url(name),
			"MCPAUTH_JWT_ISSUER=" + issuerURL,
			"MCPAUTH_JWT_AUDIENCE=" + audience,
			"MCPAUTH_JWT_REQUIRED_SCOPES=" + scope,
			"MCPAUTH_JWT_JWKS_REFRESH_INTERVAL=" + refreshInterval.String(),
			"MCPAUTH_JWT_JWKS_REFRESH_RATE_LIMIT=" + rateLimit.String(),
			"MCPAUTH_JWT_JWKS_TIMEOUT=" + fetchTimeout.String(),
		}, extra...)
	}
	proxyEnv := func(name string) []string {
		return env(name, "MCPAUTH_UPSTREAM="+upstream.URL,
			"MCPAUTH_JWT_CACHE_SIZE=256", "MCPAUTH_JWT_CACHE_MAX_AGE="+cacheMaxAge.String())
	}
	// The soaked processes, and identical ones that only see a few
	// requests: their goroutine count is the baseline.
	procs := map[string]*process{
		"serve":       start(t, bin, "serve", "serve", env("serve")),
		"proxy":       start(t, bin, "proxy", "proxy", proxyEnv("proxy")),
		"serve-fresh": start(t, bin, "serve-fresh", "serve", env("serve-fresh")),
		"proxy-fresh": start(t, bin, "proxy-fresh", "proxy", proxyEnv("proxy-fresh")),
	}
	targets := map[string]*target{}
	for name, p := range procs {
		proxy := strings.HasPrefix(name, "proxy")
		hold := time.Duration(0)
		if proxy {
			hold = cacheMaxAge
		}
		targets[name] = newTarget(name, p.url, proxy, hold, &upstreamHits)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}
	client := &http.Client{Transport: tr, Timeout: 15 * time.Second}
	quiesce := func() {
		tr.CloseIdleConnections()
		upstream.CloseClientConnections()
		jw.srv.CloseClientConnections()
	}

	// Every process answers a valid token once it has fetched the key set.
	for name, tg := range targets {
		deadline := time.Now().Add(20 * time.Second)
		for {
			status, body, err := tg.send(client, cur.valid[0], false)
			if err == nil && tg.accepted(status, body) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never accepted a valid token: status %d, error %v, body %.300s", name, status, err, body)
			}
			time.Sleep(100 * time.Millisecond)
		}
		for range 4 {
			tg.send(client, cur.valid[1], false)
		}
	}
	soaked := []*target{targets["serve"], targets["proxy"]}
	cfg := loadConfig{validWorkers: *soakWorkers, floodWorkers: max(1, *soakWorkers/2), maxRequests: 20_000_000, margin: margin}
	newLoad := func() *load { return &load{cfg: cfg, client: client, jwks: jw, issuer: is, attacker: attacker} }

	// Warm-up, then the baseline.
	warm := newLoad()
	warm.run(t, soaked)
	time.Sleep(2 * phase)
	warm.halt()
	quiesce()
	time.Sleep(refreshInterval + 500*time.Millisecond)
	base := map[string]usage{}
	for _, tg := range soaked {
		base[tg.name] = procs[tg.name].usage(t)
		t.Logf("%s after warm-up: %v", tg.name, base[tg.name])
	}
	warmAccepted := upstreamHits.Load()

	// The soak: rotation cycles under load, counted afresh.
	for i, tg := range soaked {
		soaked[i] = newTarget(tg.name, procs[tg.name].url, tg.proxy, tg.hold, &upstreamHits)
	}
	ld := newLoad()
	ld.run(t, soaked)
	peak := map[string]usage{}
	sample := func() {
		for _, tg := range soaked {
			u := procs[tg.name].usage(t)
			p := peak[tg.name]
			p.rssKiB, p.fds, p.threads = max(p.rssKiB, u.rssKiB), max(p.fds, u.fds), max(p.threads, u.threads)
			peak[tg.name] = p
		}
	}
	began := time.Now()
	cycles := 0
	for cycles == 0 || time.Since(began) < *soakDuration {
		cycles++
		// Steady load, then a new key published beside the old one; the
		// issuer signs with it at once.
		time.Sleep(phase)
		sample()
		next := nextKey()
		publish(cur, next)
		is.set(next, cur, next)
		time.Sleep(phase)
		sample()
		// The old key is withdrawn; its tokens stay in circulation (and
		// must be refused) for a while.
		publish(next)
		time.Sleep(phase + margin + cacheMaxAge)
		sample()
		is.set(next, next)
		cur = next
		// Outage longer than the refresh interval, with the flood on.
		jw.setDown(true)
		time.Sleep(outageIntervals * refreshInterval)
		sample()
		jw.setDown(false)
		t.Logf("cycle %d done after %v; %d requests so far", cycles, time.Since(began).Round(time.Second), ld.sent.Load())
	}
	time.Sleep(phase)
	ld.halt()
	elapsed := time.Since(began)

	// Outcomes.
	for _, tg := range soaked {
		counts, failures := tg.snapshot()
		t.Logf("%s: %d requests in %v%s", tg.name, sum(counts, "sent")+sum(counts, "invalid: status"), elapsed.Round(time.Second), tg.report())
		for _, f := range failures {
			t.Errorf("%s: %s", tg.name, f)
		}
		if n := counts["FAILURES"]; n > 0 {
			t.Errorf("%s: %d failures", tg.name, n)
		}
		if counts["valid, key cached: sent"] == 0 || counts["valid, key removed: sent"] == 0 || counts["invalid: unknown kid"] == 0 {
			t.Errorf("%s: the load did not cover cached keys, removed keys and unknown kids", tg.name)
		}
	}
	pc, _ := soaked[1].snapshot()
	if got, want := upstreamHits.Load()-warmAccepted, pc["accepted"]; got != want {
		t.Errorf("the upstream received %d requests during the soak; the proxy accepted %d", got, want)
	}
	t.Logf("JWK Set: %d documents served to serve, %d to proxy, %d requests failed during %d outages",
		jw.served("serve"), jw.served("proxy"), jw.failures(), cycles)

	// Resources return to their baseline.
	quiesce()
	for _, tg := range soaked {
		p, b := procs[tg.name], base[tg.name]
		limit := b.rssKiB + max(b.rssKiB/4, 8<<10)
		var u usage
		deadline := time.Now().Add(30 * time.Second)
		for {
			u = p.usage(t)
			if (u.fds <= b.fds && u.rssKiB <= limit) || time.Now().After(deadline) {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		t.Logf("%s: baseline %v; peak %v; after the load %v", tg.name, b, peak[tg.name], u)
		if u.fds > b.fds {
			t.Errorf("%s: %d descriptors open after the load, %d after warm-up: descriptor leak", tg.name, u.fds, b.fds)
		}
		if u.rssKiB > limit {
			t.Errorf("%s: RSS %d KiB after the load, %d KiB after warm-up (limit %d KiB)", tg.name, u.rssKiB, b.rssKiB, limit)
		}
	}
	quiesce()
	time.Sleep(500 * time.Millisecond)
	for _, name := range []string{"serve", "proxy"} {
		all, dump := procs[name].goroutines(t)
		freshAll, freshDump := procs[name+"-fresh"].goroutines(t)
		kinds, freshKinds := goroutineKinds(dump), goroutineKinds(freshDump)
		t.Logf("%s: %d goroutines of the program (%d with the runtime's) after the soak; %d (%d) in the same process that served a few requests",
			name, total(kinds), all, total(freshKinds), freshAll)
		if total(kinds) > total(freshKinds) {
			t.Errorf("%s: goroutine leak: %v after the soak, %v in a fresh process", name, kinds, freshKinds)
		}
	}
}

// sum adds the counters whose names contain part.
func sum(counts map[string]int64, part string) int64 {
	var n int64
	for k, v := range counts {
		if strings.Contains(k, part) {
			n += v
		}
	}
	return n
}
