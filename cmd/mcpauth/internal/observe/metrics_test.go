package observe

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/jwks"
	"github.com/mcpauth/mcpauth/middleware"
)

func TestSourcesAtScrapeTime(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	sets := []jwks.Stats{
		{Source: "https://a.example.com/jwks", Fetches: 3, FetchFailures: 1, Keys: 2, LastRefresh: now.Add(-90 * time.Second)},
		{Source: "https://b.example.com", FetchFailures: 4},         // never fetched
		{Source: "https://a.example.com/jwks", Fetches: 9, Keys: 9}, // a duplicate source: first one wins
	}
	m, err := NewMetrics("serve", "v1.2.3", Sources{
		KeySets: func() []jwks.Stats { return sets },
		Caches: map[string]func() (mcpauth.CacheStats, bool){
			"jwt": func() (mcpauth.CacheStats, bool) {
				return mcpauth.CacheStats{Hits: 5, Misses: 6, Evictions: 7, Entries: 8, Capacity: 9}, true
			},
			"introspection": func() (mcpauth.CacheStats, bool) { return mcpauth.CacheStats{}, false },
		},
		Clock: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	m.Observe(nil, middleware.Outcome{Accepted: true, Duration: time.Millisecond})
	m.Observe(nil, middleware.Outcome{Status: 401, Reason: mcpauth.ReasonExpired, Duration: time.Millisecond})
	m.UpstreamError(UpstreamConnect) // serve has no upstream: ignored
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, line := range []string{
		`mcpauth_jwks_fetches_total{result="success",source="https://a.example.com/jwks"} 3`,
		`mcpauth_jwks_fetches_total{result="failure",source="https://a.example.com/jwks"} 1`,
		`mcpauth_jwks_keys{source="https://a.example.com/jwks"} 2`,
		`mcpauth_jwks_key_set_age_seconds{source="https://a.example.com/jwks"} 90`,
		`mcpauth_jwks_last_success_timestamp_seconds{source="https://a.example.com/jwks"} 1.79999991e+09`,
		`mcpauth_jwks_key_set_age_seconds{source="https://b.example.com"} +Inf`,
		`mcpauth_jwks_last_success_timestamp_seconds{source="https://b.example.com"} 0`,
		`mcpauth_jwks_fetches_total{result="failure",source="https://b.example.com"} 4`,
		`mcpauth_token_cache_hits_total{verifier="jwt"} 5`,
		`mcpauth_token_cache_misses_total{verifier="jwt"} 6`,
		`mcpauth_token_cache_evictions_total{verifier="jwt"} 7`,
		`mcpauth_token_cache_entries{verifier="jwt"} 8`,
		`mcpauth_token_cache_capacity{verifier="jwt"} 9`,
		`mcpauth_requests_total{outcome="accepted",reason=""} 1`,
		`mcpauth_requests_total{outcome="rejected",reason="expired"} 1`,
		`mcpauth_build_info{command="serve",version="v1.2.3"} 1`,
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("no %s in\n%s", line, body)
		}
	}
	for _, absent := range []string{`verifier="introspection"`, "mcpauth_proxy_upstream_errors_total", `keys{source="https://a.example.com/jwks"} 9`} {
		if strings.Contains(body, absent) {
			t.Errorf("%s in the scrape", absent)
		}
	}
}

// BenchmarkObserve is the cost the metrics add to each authenticated
// request.
func BenchmarkObserve(b *testing.B) {
	m, err := NewMetrics("proxy", "bench", Sources{})
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("POST", "/mcp", nil)
	for _, bc := range []struct {
		name string
		o    middleware.Outcome
	}{
		{"accepted", middleware.Outcome{Accepted: true, ClientID: "app", Duration: 3 * time.Microsecond}},
		{"rejected", middleware.Outcome{Status: 401, Reason: mcpauth.ReasonExpired, Duration: 40 * time.Microsecond}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.Observe(r, bc.o)
			}
		})
	}
}
