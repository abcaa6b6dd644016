package observe

import (
	"math"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/jwks"
	"github.com/mcpauth/mcpauth/middleware"
)

// Outcome label values of mcpauth_requests_total and
// mcpauth_verification_duration_seconds.
const (
	OutcomeAccepted = "accepted"
	OutcomeRejected = "rejected"
)

// Reasons of mcpauth_proxy_upstream_errors_total.
const (
	UpstreamConnect        = "connect"         // the upstream could not be reached
	UpstreamTimeout        = "timeout"         // no answer in time
	UpstreamProtocolSwitch = "protocol_switch" // a 101 answer, refused
	UpstreamOther          = "other"           // any other failure before the response
)

// durationBuckets span a cache hit (microseconds) to a JWKS fetch or an
// introspection call that times out (seconds).
var durationBuckets = []float64{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Sources are where the scrape-time metrics come from: the verifier's key
// sets and caches. Nil functions are skipped.
type Sources struct {
	// KeySets returns the JWK Sets the verifier fetches keys from
	// (verify.JWTVerifier.KeySetStats).
	KeySets func() []jwks.Stats
	// Caches maps a verifier name ("jwt", "introspection"), the value of
	// the verifier label, to its CacheStats method.
	Caches map[string]func() (mcpauth.CacheStats, bool)
	// Clock is the clock of the key sets' LastRefresh; nil means time.Now.
	Clock func() time.Time
}

// Metrics holds the collectors of one server and the registry that serves
// them. Create it with [NewMetrics]; its methods are safe for concurrent
// use.
type Metrics struct {
	reg            *prometheus.Registry
	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	accepted       prometheus.Counter  // requests{outcome="accepted"}
	acceptedTime   prometheus.Observer // duration{outcome="accepted"}
	rejectedTime   prometheus.Observer // duration{outcome="rejected"}
	upstreamErrors *prometheus.CounterVec
}

// NewMetrics returns the metrics of one server: command is "serve",
// "proxy" or "authz" (the proxy alone has upstream errors), version the
// build's version. The registry also has the Go runtime and process
// collectors.
func NewMetrics(command, version string, src Sources) (*Metrics, error) {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mcpauth_requests_total",
			Help: "Requests decided by the authentication middleware, by outcome (accepted, rejected) and rejection reason (empty when accepted).",
		}, []string{"outcome", "reason"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mcpauth_verification_duration_seconds",
			Help:    "Time taken by authentication decisions, token verification included (a JWKS fetch or an introspection call when one is needed), by outcome.",
			Buckets: durationBuckets,
		}, []string{"outcome"}),
	}
	m.accepted = m.requests.WithLabelValues(OutcomeAccepted, "")
	m.acceptedTime = m.duration.WithLabelValues(OutcomeAccepted)
	m.rejectedTime = m.duration.WithLabelValues(OutcomeRejected)
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "mcpauth_build_info",
		Help: "Always 1: the version of mcpauth and the command running.",
	}, []string{"version", "command"})
	build.WithLabelValues(version, command).Set(1)
	cs := []prometheus.Collector{
		m.requests, m.duration, build,
		&sourceCollector{src: src},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	}
	if command == "proxy" {
		m.upstreamErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mcpauth_proxy_upstream_errors_total",
			Help: "Accepted requests the proxy could not forward, answered 502, by reason: connect, timeout, protocol_switch, other. Clients that went away are not counted.",
		}, []string{"reason"})
		for _, r := range []string{UpstreamConnect, UpstreamTimeout, UpstreamProtocolSwitch, UpstreamOther} {
			m.upstreamErrors.WithLabelValues(r) // present at 0 from the start
		}
		cs = append(cs, m.upstreamErrors)
	}
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Observe counts one authentication decision; it is a
// middleware.WithObserver hook.
func (m *Metrics) Observe(_ *http.Request, o middleware.Outcome) {
	if o.Accepted {
		m.accepted.Inc()
		m.acceptedTime.Observe(o.Duration.Seconds())
		return
	}
	m.requests.WithLabelValues(OutcomeRejected, string(o.Reason)).Inc()
	m.rejectedTime.Observe(o.Duration.Seconds())
}

// UpstreamError counts a request the proxy could not forward, with one of
// the Upstream* reasons.
func (m *Metrics) UpstreamError(reason string) {
	if m.upstreamErrors != nil {
		m.upstreamErrors.WithLabelValues(reason).Inc()
	}
}

// Handler serves the metrics in the Prometheus text (or OpenMetrics)
// format. Errors gathering a metric are answered 500.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, ErrorHandling: promhttp.HTTPErrorOnError})
}

// Descriptions of the scrape-time metrics.
var (
	descFetches = prometheus.NewDesc("mcpauth_jwks_fetches_total",
		"Completed fetches of a JWK Set (discovery included), by source (the JWK Set URL or the issuer, password redacted) and result (success, failure).",
		[]string{"source", "result"}, nil)
	descLastSuccess = prometheus.NewDesc("mcpauth_jwks_last_success_timestamp_seconds",
		"Unix time of the last successful fetch of the JWK Set, 0 before the first.",
		[]string{"source"}, nil)
	descAge = prometheus.NewDesc("mcpauth_jwks_key_set_age_seconds",
		"Seconds since the key set in use was fetched; +Inf before the first successful fetch.",
		[]string{"source"}, nil)
	descKeys = prometheus.NewDesc("mcpauth_jwks_keys",
		"Usable keys in the key set in use (0 before the first successful fetch).",
		[]string{"source"}, nil)
	descHits = prometheus.NewDesc("mcpauth_token_cache_hits_total",
		"Verifications answered from the verified-token cache, by verifier (jwt, introspection).",
		[]string{"verifier"}, nil)
	descMisses = prometheus.NewDesc("mcpauth_token_cache_misses_total",
		"Verifications the verified-token cache could not answer (absent or expired entries), by verifier.",
		[]string{"verifier"}, nil)
	descEvictions = prometheus.NewDesc("mcpauth_token_cache_evictions_total",
		"Entries dropped from a full verified-token cache to make room, by verifier.",
		[]string{"verifier"}, nil)
	descEntries = prometheus.NewDesc("mcpauth_token_cache_entries",
		"Entries in the verified-token cache, by verifier.",
		[]string{"verifier"}, nil)
	descCapacity = prometheus.NewDesc("mcpauth_token_cache_capacity",
		"Most entries the verified-token cache holds, by verifier.",
		[]string{"verifier"}, nil)
)

// sourceCollector reads the key sets' and caches' statistics at scrape
// time.
type sourceCollector struct{ src Sources }

// Describe implements prometheus.Collector.
func (c *sourceCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descFetches, descLastSuccess, descAge, descKeys, descHits, descMisses, descEvictions, descEntries, descCapacity} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *sourceCollector) Collect(ch chan<- prometheus.Metric) {
	now := time.Now
	if c.src.Clock != nil {
		now = c.src.Clock
	}
	if c.src.KeySets != nil {
		seen := make(map[string]bool)
		for _, st := range c.src.KeySets() {
			if seen[st.Source] {
				continue // one series per source; a duplicate would fail the scrape
			}
			seen[st.Source] = true
			ch <- prometheus.MustNewConstMetric(descFetches, prometheus.CounterValue, float64(st.Fetches), st.Source, "success")
			ch <- prometheus.MustNewConstMetric(descFetches, prometheus.CounterValue, float64(st.FetchFailures), st.Source, "failure")
			ch <- prometheus.MustNewConstMetric(descKeys, prometheus.GaugeValue, float64(st.Keys), st.Source)
			last, age := 0.0, math.Inf(1)
			if !st.LastRefresh.IsZero() {
				last = float64(st.LastRefresh.UnixNano()) / 1e9
				age = max(0, now().Sub(st.LastRefresh).Seconds())
			}
			ch <- prometheus.MustNewConstMetric(descLastSuccess, prometheus.GaugeValue, last, st.Source)
			ch <- prometheus.MustNewConstMetric(descAge, prometheus.GaugeValue, age, st.Source)
		}
	}
	for name, stats := range c.src.Caches {
		st, ok := stats()
		if !ok {
			continue
		}
		ch <- prometheus.MustNewConstMetric(descHits, prometheus.CounterValue, float64(st.Hits), name)
		ch <- prometheus.MustNewConstMetric(descMisses, prometheus.CounterValue, float64(st.Misses), name)
		ch <- prometheus.MustNewConstMetric(descEvictions, prometheus.CounterValue, float64(st.Evictions), name)
		ch <- prometheus.MustNewConstMetric(descEntries, prometheus.GaugeValue, float64(st.Entries), name)
		ch <- prometheus.MustNewConstMetric(descCapacity, prometheus.GaugeValue, float64(st.Capacity), name)
	}
}
