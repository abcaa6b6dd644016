package main

import (
	"bufio"
	"context"
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

var (
	sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
	labelPair  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
)

// metrics is one scrape.
type metrics struct {
	samples []sample
	text    string
}

// scrape GETs a metrics URL and parses the text format.
func scrape(t *testing.T, url string) metrics {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scraping %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("scrape: %d %q\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	m := metrics{text: string(body)}
	sc := bufio.NewScanner(strings.NewReader(m.text))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		g := sampleLine.FindStringSubmatch(line)
		if g == nil {
			t.Fatalf("not a sample line: %q", line)
		}
		v, err := strconv.ParseFloat(g[3], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		s := sample{name: g[1], labels: map[string]string{}, value: v}
		for _, p := range labelPair.FindAllStringSubmatch(g[2], -1) {
			s.labels[p[1]] = p[2]
		}
		m.samples = append(m.samples, s)
	}
	return m
}

// get returns the value of the sample with exactly these labels (pairs),
// and whether there is one.
func (m metrics) get(name string, labels ...string) (float64, bool) {
	for _, s := range m.samples {
		if s.name != name || len(s.labels) != len(labels)/2 {
			continue
		}
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			if v, ok := s.labels[labels[i]]; !ok || v != labels[i+1] {
				match = false
			}
		}
		if match {
			return s.value, true
		}
	}
	return 0, false
}

// value is get for a sample that must exist.
func (m metrics) value(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	v, ok := m.get(name, labels...)
	if !ok {
		t.Fatalf("no sample %s%q in the scrape:\n%s", name, labels, m.text)
	}
	return v
}

// startWithMetrics starts command with MCPAUTH_METRICS_ADDR on a free
// port and returns the server and its metrics URL.
func startWithMetrics(t *testing.T, command string, vars map[string]string, adjust ...func(*serverConfig)) (*testServer, string) {
	t.Helper()
	vars[envMetricsAddr] = "127.0.0.1:0"
	urls := make(chan string, 1)
	ts := startServer(t, command, vars, append(adjust, func(c *serverConfig) {
		c.metricsListening = func(u string) { urls <- u }
	})...)
	select {
	case u := <-urls:
		return ts, u
	default:
		t.Fatal("the server is ready but its metrics listener is not")
		return nil, ""
	}
}

// TestProxyMetricsMove drives mcpauth proxy through every counted event and
// checks each metric moves: outcomes and reasons, latency, JWKS fetches
// (a success, then a failure), key count and age, the token cache (miss,
// hit, eviction, size) and upstream errors.
func TestProxyMetricsMove(t *testing.T) {
	kp1, kp2 := testkeystest.SharedRSAKeyPair(t), testkeystest.SharedECKeyPair(t)
	jwks := testkeystest.NewJWKSServer(t, kp1)
	up := newFakeUpstream(t)
	clock := &testClock{}
	vars := jwksVars(jwks, envUpstream, up.srv.URL+"/up/mcp", "MCPAUTH_JWT_CACHE_SIZE", "1")
	ts, murl := startWithMetrics(t, "proxy", vars, func(c *serverConfig) { c.now = clock.now })

	m := scrape(t, murl)
	if v, ok := m.get("mcpauth_requests_total", "outcome", "accepted", "reason", ""); ok && v != 0 {
		t.Fatalf("accepted before any request: %v", v)
	}
	for _, name := range []string{"mcpauth_build_info", "go_goroutines", "process_cpu_seconds_total"} {
		if !strings.Contains(m.text, "\n"+name) {
			t.Errorf("no %s in the scrape", name)
		}
	}
	if m.value(t, "mcpauth_proxy_upstream_errors_total", "reason", "connect") != 0 {
		t.Error("upstream errors before any request")
	}

	// No token: a rejection with its reason.
	if resp, _ := do(t, http.MethodPost, ts.mcp(), "", `{}`); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: %d", resp.StatusCode)
	}
	// A good token twice: a cache miss (the first verification fetches
	// the keys), then a hit.
	tok1 := mintFor(t, kp1, ts, testkeys.TokenOptions{Subject: "alice"})
	for range 2 {
		if resp, body := do(t, http.MethodPost, ts.mcp(), tok1, `{}`); resp.StatusCode != http.StatusOK {
			t.Fatalf("good token: %d %s", resp.StatusCode, body)
		}
	}
	m = scrape(t, murl)
	source := jwks.URL()
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"mcpauth_requests_total", []string{"outcome", "rejected", "reason", "no_credentials"}, 1},
		{"mcpauth_requests_total", []string{"outcome", "accepted", "reason", ""}, 2},
		{"mcpauth_verification_duration_seconds_count", []string{"outcome", "accepted"}, 2},
		{"mcpauth_verification_duration_seconds_count", []string{"outcome", "rejected"}, 1},
		{"mcpauth_token_cache_misses_total", []string{"verifier", "jwt"}, 1},
		{"mcpauth_token_cache_hits_total", []string{"verifier", "jwt"}, 1},
		{"mcpauth_token_cache_evictions_total", []string{"verifier", "jwt"}, 0},
		{"mcpauth_token_cache_entries", []string{"verifier", "jwt"}, 1},
		{"mcpauth_token_cache_capacity", []string{"verifier", "jwt"}, 1},
		{"mcpauth_jwks_fetches_total", []string{"source", source, "result", "success"}, 1},
		{"mcpauth_jwks_fetches_total", []string{"source", source, "result", "failure"}, 0},
		{"mcpauth_jwks_keys", []string{"source", source}, 1},
	} {
		if got := m.value(t, c.name, c.labels...); got != c.want {
			t.Errorf("%s%q = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if sum := m.value(t, "mcpauth_verification_duration_seconds_sum", "outcome", "accepted"); sum <= 0 {
		t.Errorf("accepted latency sum %v", sum)
	}
	last := m.value(t, "mcpauth_jwks_last_success_timestamp_seconds", "source", source)
	if d := clock.now().Sub(time.Unix(0, int64(last*1e9))); d < 0 || d > time.Minute {
		t.Errorf("last good key set %v ago", d)
	}
	age := m.value(t, "mcpauth_jwks_key_set_age_seconds", "source", source)

	// Another token: the one-entry cache evicts the first.
	tok2 := mintFor(t, kp1, ts, testkeys.TokenOptions{Subject: "bob"})
	if resp, _ := do(t, http.MethodPost, ts.mcp(), tok2, `{}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("second token: %d", resp.StatusCode)
	}
	// The identity provider goes down; a token with an unknown kid makes
	// the proxy refetch, which fails.
	jwks.SetDown(true)
	clock.advance(time.Minute) // past the unknown-kid refresh rate limit
	if resp, _ := do(t, http.MethodPost, ts.mcp(), mintFor(t, kp2, ts, testkeys.TokenOptions{}), `{}`); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unknown key during the outage: %d", resp.StatusCode)
	}
	// The upstream goes away: the cached token is accepted, the request
	// cannot be forwarded.
	up.srv.Close()
	if resp, _ := do(t, http.MethodPost, ts.mcp(), tok2, `{}`); resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("upstream down: %d", resp.StatusCode)
	}
	m = scrape(t, murl)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"mcpauth_requests_total", []string{"outcome", "accepted", "reason", ""}, 4},
		{"mcpauth_requests_total", []string{"outcome", "rejected", "reason", "unknown_key"}, 1},
		{"mcpauth_token_cache_evictions_total", []string{"verifier", "jwt"}, 1},
		{"mcpauth_token_cache_hits_total", []string{"verifier", "jwt"}, 2},
		{"mcpauth_token_cache_entries", []string{"verifier", "jwt"}, 1},
		{"mcpauth_jwks_fetches_total", []string{"source", source, "result", "success"}, 1},
		{"mcpauth_jwks_fetches_total", []string{"source", source, "result", "failure"}, 1},
		{"mcpauth_jwks_keys", []string{"source", source}, 1}, // the last good set is kept
		{"mcpauth_proxy_upstream_errors_total", []string{"reason", "connect"}, 1},
	} {
		if got := m.value(t, c.name, c.labels...); got != c.want {
			t.Errorf("%s%q = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if got := m.value(t, "mcpauth_jwks_key_set_age_seconds", "source", source); got < age+60 || math.IsInf(got, 0) {
		t.Errorf("key set age %v after a minute, was %v", got, age)
	}
	if got := m.value(t, "mcpauth_jwks_last_success_timestamp_seconds", "source", source); got != last {
		t.Errorf("the failed fetch moved the last success from %v to %v", last, got)
	}
	if strings.Contains(m.text, tok1) || strings.Contains(m.text, tok2) {
		t.Error("a token appears in the metrics")
	}
}

func TestMetricsAddrValidated(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	for _, tt := range []struct{ value, want string }{
		{"9090", `MCPAUTH_METRICS_ADDR "9090" is not host:port`},
		{"127.0.0.1:metrics", `MCPAUTH_METRICS_ADDR "127.0.0.1:metrics": port "metrics" is not a number`},
		{"127.0.0.1:70000", `port "70000" is not a number from 0 to 65535`},
		{"http://127.0.0.1:9090", `MCPAUTH_METRICS_ADDR "http://127.0.0.1:9090"`},
		{"127.0.0.1:8080", "is the listen address of the server"},
	} {
		_, err := configFromEnv("serve", pemVars(kp, envMetricsAddr, tt.value), "127.0.0.1:8080", "")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s=%q: error %v, want %q", envMetricsAddr, tt.value, err, tt.want)
		}
	}
	cfg, err := configFromEnv("authz", pemVars(kp, envMetricsAddr, " 127.0.0.1:9090 ", envBaseURL, "https://mcp.example.com"), "", "")
	if err != nil || cfg.metricsAddr != "127.0.0.1:9090" {
		t.Fatalf("valid address: %v, %q", err, cfg.metricsAddr)
	}
}

// TestServeAndAuthzExposeMetrics: serve and authz count their decisions
// on their own metrics listener, which serves nothing else; the main
// listener does not serve the metrics.
func TestServeAndAuthzExposeMetrics(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	for _, command := range []string{"serve", "authz"} {
		t.Run(command, func(t *testing.T) {
			vars := pemVars(kp)
			if command == "authz" {
				vars[envBaseURL] = "https://mcp.example.com"
			}
			ts, murl := startWithMetrics(t, command, vars)
			target := ts.mcp()
			if command == "authz" {
				target = ts.url + "/check"
			}
			if resp, _ := do(t, http.MethodPost, target, "not-a-jwt", whoamiBody); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("bad token: %d", resp.StatusCode)
			}
			m := scrape(t, murl)
			if got := m.value(t, "mcpauth_requests_total", "outcome", "rejected", "reason", "malformed"); got != 1 {
				t.Errorf("rejected malformed = %v, want 1", got)
			}
			if got := m.value(t, "mcpauth_build_info", "command", command, "version", buildVersion()); got != 1 {
				t.Errorf("build info %v", got)
			}
			if _, ok := m.get("mcpauth_proxy_upstream_errors_total", "reason", "connect"); ok {
				t.Errorf("%s reports proxy upstream errors", command)
			}
			if _, ok := m.get("mcpauth_token_cache_hits_total", "verifier", "jwt"); ok {
				t.Error("cache metrics without a cache")
			}
			if resp, body := do(t, http.MethodGet, strings.TrimSuffix(murl, metricsPath)+healthPath, "", ""); resp.StatusCode != http.StatusNotFound {
				t.Errorf("metrics listener answers %s: %d %s", healthPath, resp.StatusCode, body)
			}
			if _, body := do(t, http.MethodGet, ts.url+metricsPath, "", ""); strings.Contains(body, "mcpauth_requests_total") {
				t.Error("the main listener serves the metrics")
			}
		})
	}
}

// TestMetricsListenerLifecycle: the metrics listener stops with the server,
// and one that cannot listen stops the server from starting with an error
// naming MCPAUTH_METRICS_ADDR.
func TestMetricsListenerLifecycle(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	cfg, err := configFromEnv("serve", pemVars(kp, envMetricsAddr, "127.0.0.1:0"), "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	cfg.metricsListening = func(u string) { urls <- u }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- serve(ctx, cfg, ready) }()
	<-ready
	murl := <-urls
	scrape(t, murl)

	// Another server asking for the same metrics address fails to start.
	busy, err := configFromEnv("serve", pemVars(kp, envMetricsAddr, strings.TrimSuffix(strings.TrimPrefix(murl, "http://"), metricsPath)), "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	err = serve(context.Background(), busy, nil)
	if err == nil || !strings.Contains(err.Error(), "listening on "+envMetricsAddr) {
		t.Errorf("second server on the same metrics address: %v", err)
	}

	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(murl); err == nil {
		t.Error("the metrics listener still answers after shutdown")
	}
}
