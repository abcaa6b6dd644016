package observe

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/mcpauth/mcpauth/middleware"
)

// OpenTelemetry variables read by [TracingFromEnv]. The exporter and the
// SDK read the others (headers, timeout, compression, certificates,
// sampler, batch processor, resource attributes, service name) from the
// process environment themselves.
const (
	EnvSDKDisabled       = "OTEL_SDK_DISABLED"
	EnvTracesExporter    = "OTEL_TRACES_EXPORTER"
	EnvEndpoint          = "OTEL_EXPORTER_OTLP_ENDPOINT"
	EnvTracesEndpoint    = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	EnvProtocol          = "OTEL_EXPORTER_OTLP_PROTOCOL"
	EnvTracesProtocol    = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	EnvPropagators       = "OTEL_PROPAGATORS"
	protocolHTTP         = "http/protobuf"
	protocolGRPC         = "grpc"
	defaultHTTPEndpoint  = "http://localhost:4318/v1/traces"
	defaultGRPCEndpoint  = "http://localhost:4317"
	tracesPath           = "/v1/traces"
	exportShutdownBudget = 5 * time.Second
)

// TracingConfig is a validated tracing configuration. The zero value is
// not usable; a nil *TracingConfig means tracing is off.
type TracingConfig struct {
	// Protocol is "http/protobuf" or "grpc".
	Protocol string
	// Endpoint is the URL the spans are sent to: for http/protobuf the
	// full URL (…/v1/traces), for grpc the collector's http or https URL.
	Endpoint string
	// Baggage also propagates the W3C baggage header (OTEL_PROPAGATORS).
	Baggage bool
}

// TracingFromEnv decides from the OTEL_* variables (upper-case names) whether
// tracing is on and how spans are exported. It returns nil, nil when
// tracing is off: OTEL_SDK_DISABLED=true, OTEL_TRACES_EXPORTER=none, or
// neither OTEL_TRACES_EXPORTER=otlp nor an OTLP endpoint variable set.
// Every value it cannot honour is an error naming the variable.
func TracingFromEnv(vars map[string]string) (*TracingConfig, error) {
	get := func(k string) string { return strings.TrimSpace(vars[k]) }
	switch strings.ToLower(get(EnvSDKDisabled)) {
	case "true":
		return nil, nil
	case "", "false":
	default:
		return nil, fmt.Errorf("%s=%q: want true or false", EnvSDKDisabled, get(EnvSDKDisabled))
	}
	prop, err := propagators(get(EnvPropagators))
	if err != nil {
		return nil, err
	}
	explicit := false
	switch e := strings.ToLower(get(EnvTracesExporter)); e {
	case "none":
		return nil, nil
	case "otlp":
		explicit = true
	case "":
	default:
		return nil, fmt.Errorf("%s=%q: mcpauth exports traces with otlp only (or none)", EnvTracesExporter, get(EnvTracesExporter))
	}
	cfg := &TracingConfig{Protocol: protocolHTTP, Baggage: prop}
	protoVar := EnvProtocol
	if get(EnvTracesProtocol) != "" {
		protoVar = EnvTracesProtocol
	}
	switch p := get(protoVar); p {
	case "", protocolHTTP:
	case protocolGRPC:
		cfg.Protocol = protocolGRPC
	default:
		return nil, fmt.Errorf("%s=%q: want http/protobuf or grpc (the Go exporter has no http/json)", protoVar, p)
	}
	switch {
	case get(EnvTracesEndpoint) != "":
		if cfg.Endpoint, err = checkEndpoint(EnvTracesEndpoint, get(EnvTracesEndpoint)); err != nil {
			return nil, err
		}
	case get(EnvEndpoint) != "":
		if cfg.Endpoint, err = checkEndpoint(EnvEndpoint, get(EnvEndpoint)); err != nil {
			return nil, err
		}
		if cfg.Protocol == protocolHTTP {
			// The base URL of all signals: the traces path is appended.
			cfg.Endpoint = strings.TrimSuffix(cfg.Endpoint, "/") + tracesPath
		}
	case !explicit:
		return nil, nil // nothing asks for traces
	case cfg.Protocol == protocolGRPC:
		cfg.Endpoint = defaultGRPCEndpoint
	default:
		cfg.Endpoint = defaultHTTPEndpoint
	}
	return cfg, nil
}

// propagators validates OTEL_PROPAGATORS and reports whether baggage is
// among them. W3C trace context is always propagated.
func propagators(v string) (baggage bool, err error) {
	if v == "" {
		return true, nil // the specification's default: tracecontext,baggage
	}
	for _, p := range strings.Split(v, ",") {
		switch strings.TrimSpace(p) {
		case "tracecontext", "none":
		case "baggage":
			baggage = true
		default:
			return false, fmt.Errorf("%s=%q: %q is not supported (tracecontext, baggage or none)", EnvPropagators, v, strings.TrimSpace(p))
		}
	}
	return baggage, nil
}

// checkEndpoint accepts an absolute http or https URL with a host and
// without user information or fragment.
func checkEndpoint(name, raw string) (string, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "", fmt.Errorf("%s is not a URL", name)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("%s %q: want an http or https URL such as http://collector:4318", name, u.Redacted())
	case u.Host == "":
		return "", fmt.Errorf("%s %q has no host", name, u.Redacted())
	case u.User != nil:
		return "", fmt.Errorf("%s %q: credentials go in OTEL_EXPORTER_OTLP_HEADERS, not in the URL", name, u.Redacted())
	case u.Fragment != "" || u.RawQuery != "":
		return "", fmt.Errorf("%s %q must not have a query or fragment", name, u.Redacted())
	}
	return raw, nil
}

// Tracer makes the spans of one server. A nil *Tracer is tracing off:
// its methods return what they are given and record nothing.
type Tracer struct {
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
}

// NewTracer starts the exporter and the batch span processor of cfg (nil
// means off and returns nil). service.name is OTEL_SERVICE_NAME, else
// "mcpauth"; version is service.version. No connection is made here.
func NewTracer(ctx context.Context, cfg *TracingConfig, version string) (*Tracer, error) {
	if cfg == nil {
		return nil, nil
	}
	var (
		exp sdktrace.SpanExporter
		err error
	)
	if cfg.Protocol == protocolGRPC {
		exp, err = otlptracegrpc.New(ctx, otlptracegrpc.WithEndpointURL(cfg.Endpoint))
	} else {
		exp, err = otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(cfg.Endpoint))
	}
	if err != nil {
		return nil, fmt.Errorf("OpenTelemetry exporter: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "mcpauth"), attribute.String("service.version", version)),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
		resource.WithTelemetrySDK(),
	)
	if err != nil {
		_ = exp.Shutdown(ctx)
		return nil, fmt.Errorf("OpenTelemetry resource (%s): %w", "OTEL_RESOURCE_ATTRIBUTES", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	props := []propagation.TextMapPropagator{propagation.TraceContext{}}
	if cfg.Baggage {
		props = append(props, propagation.Baggage{})
	}
	return &Tracer{
		tp:     tp,
		tracer: tp.Tracer("github.com/mcpauth/mcpauth/cmd/mcpauth", trace.WithInstrumentationVersion(version)),
		prop:   propagation.NewCompositeTextMapPropagator(props...),
	}, nil
}

// Shutdown exports the spans not yet sent, within a few seconds, and
// stops the exporter.
func (t *Tracer) Shutdown() error {
	if t == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), exportShutdownBudget)
	defer cancel()
	return t.tp.Shutdown(ctx)
}

// knownMethods are the span names of HTTP methods; any other is _OTHER
// (OpenTelemetry HTTP semantic conventions), so that a client cannot
// create span names at will.
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodDelete: true, http.MethodOptions: true, http.MethodPatch: true,
	http.MethodConnect: true, http.MethodTrace: true,
}

func methodName(m string) string {
	if knownMethods[m] {
		return m
	}
	return "_OTHER"
}

// Handler wraps next in a server span that continues the caller's trace
// (a W3C traceparent header). route, when not empty, is the http.route
// attribute and part of the span name. The span records the method, the
// path and the status, never a header value or the query.
func (t *Tracer) Handler(route string, next http.Handler) http.Handler {
	if t == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := t.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		method := methodName(r.Method)
		name := method
		attrs := []attribute.KeyValue{attribute.String("http.request.method", method)}
		if route != "" {
			name += " " + route
			attrs = append(attrs, attribute.String("http.route", route))
		}
		if r.URL != nil {
			attrs = append(attrs, attribute.String("url.path", r.URL.Path))
		}
		ctx, span := t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
		defer span.End()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(ctx))
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if status >= 500 {
			span.SetStatus(codes.Error, "")
		}
	})
}

// Observe records one authentication decision as a span
// ("mcpauth.authenticate") in the request's trace; it is a
// middleware.WithObserver hook. The span has the outcome
// (mcpauth.outcome), the rejection reason (mcpauth.reason) and status,
// the client id (enduser.id) and the scopes (enduser.scope,
// space-separated); never the token.
func (t *Tracer) Observe(r *http.Request, o middleware.Outcome) {
	if t == nil {
		return
	}
	end := time.Now()
	attrs := make([]attribute.KeyValue, 0, 5)
	if o.Accepted {
		attrs = append(attrs, attribute.String("mcpauth.outcome", OutcomeAccepted))
	} else {
		attrs = append(attrs, attribute.String("mcpauth.outcome", OutcomeRejected),
			attribute.String("mcpauth.reason", string(o.Reason)),
			attribute.Int("http.response.status_code", o.Status))
	}
	if o.ClientID != "" {
		attrs = append(attrs, attribute.String("enduser.id", o.ClientID))
	}
	if len(o.Scopes) > 0 {
		attrs = append(attrs, attribute.String("enduser.scope", strings.Join(o.Scopes, " ")))
	}
	_, span := t.tracer.Start(r.Context(), "mcpauth.authenticate",
		trace.WithTimestamp(end.Add(-o.Duration)), trace.WithAttributes(attrs...))
	if o.Status >= 500 {
		span.SetStatus(codes.Error, string(o.Reason))
	}
	span.End(trace.WithTimestamp(end))
}

// Transport wraps rt so that each request is a client span whose W3C
// traceparent (and baggage) is sent with the request, replacing any the
// request had: the upstream continues the trace of the request being
// forwarded.
func (t *Tracer) Transport(rt http.RoundTripper) http.RoundTripper {
	if t == nil {
		return rt
	}
	return &tracedTransport{t: t, next: rt}
}

type tracedTransport struct {
	t    *Tracer
	next http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (tt *tracedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	method := methodName(req.Method)
	attrs := []attribute.KeyValue{attribute.String("http.request.method", method)}
	if req.URL != nil {
		attrs = append(attrs, attribute.String("server.address", req.URL.Hostname()), attribute.String("url.path", req.URL.Path))
	}
	ctx, span := tt.t.tracer.Start(req.Context(), method, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	defer span.End()
	out := req.Clone(ctx)
	tt.t.prop.Inject(ctx, propagation.HeaderCarrier(out.Header))
	resp, err := tt.next.RoundTrip(out)
	if err != nil {
		kind := "error"
		if errors.Is(err, context.Canceled) {
			kind = "canceled"
		}
		span.SetStatus(codes.Error, kind)
		return resp, err
	}
	span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	if resp.StatusCode >= 500 {
		span.SetStatus(codes.Error, "")
	}
	return resp, nil
}

// statusWriter records the status of a response. It flushes (SSE) and
// unwraps for http.ResponseController.
type statusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader implements http.ResponseWriter.
func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush implements http.Flusher.
func (w *statusWriter) Flush() { _ = http.NewResponseController(w.ResponseWriter).Flush() }

// FlushError flushes, returning the error (http.ResponseController).
func (w *statusWriter) FlushError() error {
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap returns the wrapped writer (http.ResponseController).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
