package observe

import (
	"reflect"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/middleware"
)

func TestTracingFromEnv(t *testing.T) {
	for _, tt := range []struct {
		name string
		vars map[string]string
		want *TracingConfig
		err  string
	}{
		{"nothing set: off", nil, nil, ""},
		{"only a service name: off", map[string]string{"OTEL_SERVICE_NAME": "auth"}, nil, ""},
		{"endpoint: on, traces path appended", map[string]string{EnvEndpoint: "http://collector:4318/"},
			&TracingConfig{Protocol: "http/protobuf", Endpoint: "http://collector:4318/v1/traces", Baggage: true}, ""},
		{"traces endpoint used as is, over the generic one", map[string]string{EnvEndpoint: "http://a:4318", EnvTracesEndpoint: "https://b/otlp/traces"},
			&TracingConfig{Protocol: "http/protobuf", Endpoint: "https://b/otlp/traces", Baggage: true}, ""},
		{"grpc: endpoint as is", map[string]string{EnvEndpoint: "http://collector:4317", EnvProtocol: "grpc"},
			&TracingConfig{Protocol: "grpc", Endpoint: "http://collector:4317", Baggage: true}, ""},
		{"traces protocol over the generic one", map[string]string{EnvEndpoint: "http://c:4317", EnvProtocol: "http/protobuf", EnvTracesProtocol: "grpc"},
			&TracingConfig{Protocol: "grpc", Endpoint: "http://c:4317", Baggage: true}, ""},
		{"exporter otlp alone: the default endpoint", map[string]string{EnvTracesExporter: "otlp"},
			&TracingConfig{Protocol: "http/protobuf", Endpoint: "http://localhost:4318/v1/traces", Baggage: true}, ""},
		{"exporter otlp, grpc: the default grpc endpoint", map[string]string{EnvTracesExporter: "OTLP", EnvProtocol: "grpc"},
			&TracingConfig{Protocol: "grpc", Endpoint: "http://localhost:4317", Baggage: true}, ""},
		{"exporter none wins over an endpoint", map[string]string{EnvTracesExporter: "none", EnvEndpoint: "http://c:4318"}, nil, ""},
		{"SDK disabled wins", map[string]string{EnvSDKDisabled: "TRUE", EnvEndpoint: "http://c:4318"}, nil, ""},
		{"SDK disabled=false", map[string]string{EnvSDKDisabled: "false", EnvEndpoint: "http://c:4318"},
			&TracingConfig{Protocol: "http/protobuf", Endpoint: "http://c:4318/v1/traces", Baggage: true}, ""},
		{"tracecontext only", map[string]string{EnvPropagators: "tracecontext", EnvEndpoint: "http://c:4318"},
			&TracingConfig{Protocol: "http/protobuf", Endpoint: "http://c:4318/v1/traces"}, ""},
		{"SDK disabled not a boolean", map[string]string{EnvSDKDisabled: "1"}, nil, `OTEL_SDK_DISABLED="1": want true or false`},
		{"console exporter", map[string]string{EnvTracesExporter: "console"}, nil, `OTEL_TRACES_EXPORTER="console"`},
		{"two exporters", map[string]string{EnvTracesExporter: "otlp,console"}, nil, `OTEL_TRACES_EXPORTER="otlp,console"`},
		{"http/json", map[string]string{EnvEndpoint: "http://c:4318", EnvTracesProtocol: "http/json"}, nil, `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL="http/json"`},
		{"endpoint without scheme", map[string]string{EnvEndpoint: "collector:4318"}, nil, "OTEL_EXPORTER_OTLP_ENDPOINT"},
		{"endpoint without host", map[string]string{EnvTracesEndpoint: "http:///v1/traces"}, nil, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT \"http:///v1/traces\" has no host"},
		{"endpoint with credentials", map[string]string{EnvEndpoint: "https://user:secret@c:4318"}, nil, "credentials go in OTEL_EXPORTER_OTLP_HEADERS"},
		{"endpoint with a query", map[string]string{EnvEndpoint: "https://c:4318?x=1"}, nil, "must not have a query"},
		{"b3 propagator", map[string]string{EnvPropagators: "b3", EnvEndpoint: "http://c:4318"}, nil, `"b3" is not supported`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := TracingFromEnv(tt.vars)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Errorf("the error shows the password: %v", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("TracingFromEnv = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestNilTracerIsOff(t *testing.T) {
	var tr *Tracer
	if tr.Transport(nil) != nil || tr.Handler("/mcp", nil) != nil || tr.Shutdown() != nil {
		t.Error("a nil Tracer wraps or fails")
	}
	tr.Observe(nil, middleware.Outcome{}) // no span, no panic
}
