package main

// observe.go wires the metrics and traces of serve, proxy and authz:
// MCPAUTH_METRICS_ADDR turns on a Prometheus endpoint on its own listener,
// the OTEL_* variables turn on OpenTelemetry traces (package
// internal/observe holds both).

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/cmd/mcpauth/internal/observe"
	"github.com/mcpauth/mcpauth/introspect"
	"github.com/mcpauth/mcpauth/jwks"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/verify"
)

// envMetricsAddr is the listen address of the Prometheus endpoint; unset,
// there is none.
const envMetricsAddr = "MCPAUTH_METRICS_ADDR"

// metricsPath is the only route of the metrics listener.
const metricsPath = "/metrics"

// otelPrefix is the prefix of the OpenTelemetry variables.
const otelPrefix = "OTEL_"

// observers are a server's metrics and tracer; either may be nil (off).
type observers struct {
	metrics *observe.Metrics
	tracer  *observe.Tracer
}

// newObservers builds the metrics (with MCPAUTH_METRICS_ADDR) over the
// verifiers' statistics and the tracer (with OTEL_*). jwt and iv are the
// verifiers newSite built, nil when absent.
func newObservers(ctx context.Context, cfg *serverConfig, jwt *verify.JWTVerifier, iv *introspect.Verifier) (*observers, error) {
	o := &observers{}
	if cfg.metricsAddr != "" {
		src := observe.Sources{Clock: cfg.now, Caches: map[string]func() (mcpauth.CacheStats, bool){}}
		if jwt != nil {
			src.KeySets = func() []jwks.Stats { return jwt.KeySetStats() }
			src.Caches["jwt"] = jwt.CacheStats
		}
		if iv != nil {
			src.Caches["introspection"] = iv.CacheStats
		}
		m, err := observe.NewMetrics(cfg.command, buildVersion(), src)
		if err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
		o.metrics = m
	}
	t, err := observe.NewTracer(ctx, cfg.tracing, buildVersion())
	if err != nil {
		return nil, configErrorf("%v", err)
	}
	o.tracer = t
	return o, nil
}

// observer returns the middleware.WithObserver hook: the outcome counter
// (logs), then the metrics and the span.
func (o *observers) observer(c *outcomeCounter) func(*http.Request, middleware.Outcome) {
	m, t := o.metrics, o.tracer
	return func(r *http.Request, out middleware.Outcome) {
		c.observe(r, out)
		if m != nil {
			m.Observe(r, out)
		}
		t.Observe(r, out)
	}
}

// protect returns authn with a server span around it (tracing on) for the
// route.
func (o *observers) protect(route string, authn func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	if o.tracer == nil {
		return authn
	}
	return func(h http.Handler) http.Handler { return o.tracer.Handler(route, authn(h)) }
}

// instrument makes the proxy's upstream requests client spans carrying
// traceparent, and counts its upstream errors.
func (o *observers) instrument(p *proxy) *proxy {
	p.rp.Transport = o.tracer.Transport(p.rp.Transport)
	if m := o.metrics; m != nil {
		answer := p.rp.ErrorHandler
		p.rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
			if reason := upstreamErrorReason(r, err); reason != "" {
				m.UpstreamError(reason)
			}
			answer(w, r, err)
		}
	}
	return p
}

// upstreamErrorReason classifies a failure to forward r, "" when the client
// went away (not the upstream's failure).
func upstreamErrorReason(r *http.Request, err error) string {
	var ne net.Error
	var oe *net.OpError
	switch {
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		return ""
	case errors.Is(err, errUpstreamSwitched):
		return observe.UpstreamProtocolSwitch
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return observe.UpstreamTimeout
	case errors.As(err, &oe) && oe.Op == "dial":
		return observe.UpstreamConnect
	}
	return observe.UpstreamOther
}

// metricsServer serves /metrics on its own listener, with the limits and
// the shutdown of the main server.
type metricsServer struct {
	srv  *http.Server
	errc chan error
	url  string
}

// startMetrics listens on cfg.metricsAddr and serves m there.
func startMetrics(cfg *serverConfig, m *observe.Metrics, logger *slog.Logger) (*metricsServer, error) {
	ln, err := net.Listen("tcp", cfg.metricsAddr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s %s: %w", envMetricsAddr, cfg.metricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+metricsPath, m.Handler())
	srv := &http.Server{
		Handler:        boundReads(mux),
		MaxHeaderBytes: minMaxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		// A scrape is one small response: no stream to keep open.
		WriteTimeout: 30 * time.Second,
	}
	setReadTimeouts(srv, cfg.readTimeouts)
	ms := &metricsServer{srv: srv, errc: make(chan error, 1), url: "http://" + dialableAddr(ln.Addr()) + metricsPath}
	go func() { ms.errc <- srv.Serve(ln) }()
	logger.Info("mcpauth: metrics listening", slog.String("url", ms.url))
	if cfg.metricsListening != nil {
		cfg.metricsListening(ms.url)
	}
	return ms, nil
}

// shutdown stops the metrics server gracefully within ctx, then closes
// what is left. A nil server is a no-op.
func (ms *metricsServer) shutdown(ctx context.Context) {
	if ms == nil {
		return
	}
	if err := ms.srv.Shutdown(ctx); err != nil {
		ms.srv.Close()
	}
}

// close stops the metrics server at once. A nil server is a no-op.
func (ms *metricsServer) close() {
	if ms != nil {
		ms.srv.Close()
	}
}

// tracingHelp documents the OpenTelemetry variables.
const tracingHelp = `
OpenTelemetry traces (off unless one of these asks for them): a span per
request to the protected route with a child "mcpauth.authenticate" span
(outcome, reason, enduser.id = client id, enduser.scope; never the token);
the proxy sends W3C traceparent to the upstream, continuing the client's.
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT   URL spans are sent to, as is
  OTEL_EXPORTER_OTLP_ENDPOINT          base URL; /v1/traces is appended (http)
  OTEL_TRACES_EXPORTER                 otlp (on, default endpoint localhost) or none
  OTEL_EXPORTER_OTLP[_TRACES]_PROTOCOL http/protobuf (default) or grpc
  OTEL_SDK_DISABLED                    true: off
  OTEL_PROPAGATORS                     tracecontext, baggage (default both) or none
  OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER[_ARG],
  OTEL_BSP_*, OTEL_EXPORTER_OTLP[_TRACES]_HEADERS, _TIMEOUT, _COMPRESSION,
  _CERTIFICATE, _CLIENT_KEY, _CLIENT_CERTIFICATE  read by the OpenTelemetry SDK
`
