package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/mcpauth/mcpauth/cmd/mcpauth/internal/observe"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// otlpReceiver is an OTLP trace receiver on loopback, over HTTP
// (protobuf) or gRPC, keeping every export it receives.
type otlpReceiver struct {
	coltracepb.UnimplementedTraceServiceServer
	endpoint string // for TracingConfig.Endpoint

	mu      sync.Mutex
	raw     [][]byte // the exported bytes (decompressed)
	service []string // service.name of each resource
	spans   []*tracepb.Span
}

func (rc *otlpReceiver) record(raw []byte, req *coltracepb.ExportTraceServiceRequest) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.raw = append(rc.raw, raw)
	for _, rs := range req.GetResourceSpans() {
		rc.service = append(rc.service, attrs(rs.GetResource().GetAttributes())["service.name"])
		for _, ss := range rs.GetScopeSpans() {
			rc.spans = append(rc.spans, ss.GetSpans()...)
		}
	}
}

// Export implements the gRPC TraceService.
func (rc *otlpReceiver) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	raw, err := proto.Marshal(req)
	if err != nil {
		return nil, err
	}
	rc.record(raw, req)
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// newOTLPReceiver starts a receiver for protocol ("http/protobuf" or
// "grpc") that lives as long as the test.
func newOTLPReceiver(t *testing.T, protocol string) *otlpReceiver {
	t.Helper()
	rc := &otlpReceiver{}
	if protocol == "grpc" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s := grpc.NewServer()
		coltracepb.RegisterTraceServiceServer(s, rc)
		go s.Serve(ln)
		t.Cleanup(s.Stop)
		rc.endpoint = "http://" + ln.Addr().String()
		return rc
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("OTLP request %s %s %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
			http.Error(w, "unexpected", http.StatusBadRequest)
			return
		}
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		raw, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req := &coltracepb.ExportTraceServiceRequest{}
		if err := proto.Unmarshal(raw, req); err != nil {
			t.Errorf("OTLP body is not an ExportTraceServiceRequest: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rc.record(raw, req)
		resp, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(resp)
	}))
	t.Cleanup(srv.Close)
	rc.endpoint = srv.URL + "/v1/traces"
	return rc
}

// received returns the spans and raw exports so far.
func (rc *otlpReceiver) received() ([]*tracepb.Span, [][]byte, []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]*tracepb.Span(nil), rc.spans...), append([][]byte(nil), rc.raw...), append([]string(nil), rc.service...)
}

// attrs flattens span or resource attributes to strings.
func attrs(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		switch v := kv.GetValue().GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			m[kv.GetKey()] = v.StringValue
		case *commonpb.AnyValue_IntValue:
			m[kv.GetKey()] = fmt.Sprint(v.IntValue)
		default:
			m[kv.GetKey()] = fmt.Sprint(kv.GetValue())
		}
	}
	return m
}

// runUntilStopped runs serve with cfg; stop shuts it down and waits, so
// that every span has been exported when it returns.
func runUntilStopped(t *testing.T, cfg *serverConfig) (url string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- serve(ctx, cfg, ready) }()
	select {
	case url = <-ready:
	case err := <-errc:
		cancel()
		t.Fatalf("serve: %v", err)
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not stop")
		}
	}
	t.Cleanup(stop)
	return url, stop
}

// traceparentRecorder is an upstream that records the traceparent of each
// request by path.
type traceparentRecorder struct {
	srv *httptest.Server
	mu  sync.Mutex
	got map[string]string
}

func newTraceparentRecorder(t *testing.T) *traceparentRecorder {
	u := &traceparentRecorder{got: map[string]string{}}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.got[r.URL.Path] = r.Header.Get("Traceparent")
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{}`)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *traceparentRecorder) traceparent(path string) string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.got[path]
}

const (
	clientTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	clientSpanID  = "00f067aa0ba902b7"
)

// TestProxyTraces runs mcpauth proxy with OpenTelemetry tracing to a real
// OTLP receiver (HTTP and gRPC) and checks the spans of accepted and
// refused requests, the traceparent the upstream receives, and that no
// exported byte carries a token.
func TestProxyTraces(t *testing.T) {
	for _, protocol := range []string{"http/protobuf", "grpc"} {
		t.Run(protocol, func(t *testing.T) { testProxyTraces(t, protocol) })
	}
}

func testProxyTraces(t *testing.T, protocol string) {
	kp := testkeystest.SharedRSAKeyPair(t)
	rc := newOTLPReceiver(t, protocol)
	up := newTraceparentRecorder(t)
	cfg, err := configFromEnv("proxy", pemVars(kp, envScopes, "mcp:tools", envUpstream, up.srv.URL+"/up/mcp"), "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	cfg.shutdownTimeout = 5 * time.Second
	cfg.tracing = &observe.TracingConfig{Protocol: protocol, Endpoint: rc.endpoint}
	url, stop := runUntilStopped(t, cfg)
	mcp := url + mcpPath

	mintAs := func(client string, scopes ...string) string {
		return mint(t, kp, testkeys.TokenOptions{Audience: []string{mcp}, Scopes: scopes, AdditionalClaims: map[string]any{"client_id": client}})
	}
	tokA, tokB, tokC := mintAs("app-a", "mcp:tools", "read"), mintAs("app-b", "mcp:tools"), mintAs("app-c", "read")

	// A continues the client's trace; B starts one; C lacks the scope; D
	// has no token.
	if resp, body := do(t, http.MethodPost, mcp+"/a", tokA, `{}`, "Traceparent", "00-"+clientTraceID+"-"+clientSpanID+"-01"); resp.StatusCode != http.StatusOK {
		t.Fatalf("A: %d %s", resp.StatusCode, body)
	}
	if resp, body := do(t, http.MethodPost, mcp+"/b", tokB, `{}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("B: %d %s", resp.StatusCode, body)
	}
	if resp, _ := do(t, http.MethodPost, mcp+"/c", tokC, `{}`); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("C: %d", resp.StatusCode)
	}
	if resp, _ := do(t, http.MethodPost, mcp+"/d", "", `{}`); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("D: %d", resp.StatusCode)
	}
	// E: a method of the client's invention does not name a span.
	if resp, _ := do(t, "BREW", mcp+"/e", tokA, ""); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("E: %d", resp.StatusCode)
	}
	stop() // flushes the spans

	spans, raw, services := rc.received()
	for _, s := range services {
		if s != "mcpauth" {
			t.Errorf("service.name %q", s)
		}
	}
	// Never a token, in any exported byte.
	all := bytes.Join(raw, nil)
	if len(all) == 0 {
		t.Fatal("nothing exported")
	}
	for _, tok := range []string{tokA, tokB, tokC} {
		sig := tok[strings.LastIndexByte(tok, '.')+1:]
		if bytes.Contains(all, []byte(tok)) || bytes.Contains(all, []byte(sig)) || bytes.Contains(all, []byte("Bearer")) {
			t.Fatalf("a token is in the exported spans")
		}
	}

	type trio struct{ server, auth, client *tracepb.Span }
	byPath := map[string]*trio{}
	for _, s := range spans {
		if s.GetKind() == tracepb.Span_SPAN_KIND_SERVER {
			byPath[attrs(s.GetAttributes())["url.path"]] = &trio{server: s}
		}
	}
	for _, s := range spans {
		for _, tr := range byPath {
			if bytes.Equal(s.GetParentSpanId(), tr.server.GetSpanId()) {
				switch {
				case s.GetName() == "mcpauth.authenticate":
					tr.auth = s
				case s.GetKind() == tracepb.Span_SPAN_KIND_CLIENT:
					tr.client = s
				}
			}
		}
	}
	want := map[string]map[string]string{
		"/mcp/a": {"mcpauth.outcome": "accepted", "enduser.id": "app-a", "enduser.scope": "mcp:tools read"},
		"/mcp/b": {"mcpauth.outcome": "accepted", "enduser.id": "app-b", "enduser.scope": "mcp:tools"},
		// The verifier checks MCPAUTH_JWT_REQUIRED_SCOPES; its
		// InsufficientScopeError names the client it verified.
		"/mcp/c": {"mcpauth.outcome": "rejected", "mcpauth.reason": "insufficient_scope", "http.response.status_code": "403", "enduser.id": "app-c", "enduser.scope": "read"},
		"/mcp/d": {"mcpauth.outcome": "rejected", "mcpauth.reason": "no_credentials", "http.response.status_code": "401"},
	}
	for path, wantAttrs := range want {
		tr := byPath[path]
		if tr == nil || tr.auth == nil {
			t.Errorf("%s: no server span with an authentication span under it; spans: %v", path, spans)
			continue
		}
		if tr.server.GetName() != "POST /mcp" {
			t.Errorf("%s: server span %q", path, tr.server.GetName())
		}
		if got := attrs(tr.auth.GetAttributes()); !equalMaps(got, wantAttrs) {
			t.Errorf("%s: authentication span attributes %v, want %v", path, got, wantAttrs)
		}
		if a := tr.auth; a.GetStartTimeUnixNano() < tr.server.GetStartTimeUnixNano() || a.GetEndTimeUnixNano() > tr.server.GetEndTimeUnixNano() || a.GetEndTimeUnixNano() < a.GetStartTimeUnixNano() {
			t.Errorf("%s: the authentication span is not within the request's", path)
		}
		forwarded := strings.HasPrefix(wantAttrs["mcpauth.outcome"], "accepted")
		if forwarded != (tr.client != nil) {
			t.Errorf("%s: upstream client span %v, want one: %v", path, tr.client, forwarded)
		}
		if forwarded {
			// The upstream continues the trace, as a child of the
			// proxy's client span.
			wantTP := "00-" + hex.EncodeToString(tr.server.GetTraceId()) + "-" + hex.EncodeToString(tr.client.GetSpanId()) + "-01"
			if got := up.traceparent("/up" + path); got != wantTP {
				t.Errorf("%s: upstream traceparent %q, want %q", path, got, wantTP)
			}
		}
	}
	if e := byPath["/mcp/e"]; e == nil || e.server.GetName() != "_OTHER /mcp" || attrs(e.server.GetAttributes())["http.request.method"] != "_OTHER" {
		t.Errorf("E: server span %v, want _OTHER for an unknown method", e)
	}
	// A continued the client's trace; B started its own.
	if a := byPath["/mcp/a"]; a != nil && (hex.EncodeToString(a.server.GetTraceId()) != clientTraceID || hex.EncodeToString(a.server.GetParentSpanId()) != clientSpanID) {
		t.Errorf("A: trace %x parent %x, want the client's %s %s", a.server.GetTraceId(), a.server.GetParentSpanId(), clientTraceID, clientSpanID)
	}
	if b := byPath["/mcp/b"]; b != nil && (len(b.server.GetParentSpanId()) != 0 || hex.EncodeToString(b.server.GetTraceId()) == clientTraceID) {
		t.Errorf("B: a request without traceparent is not a new trace")
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestAuthzTraces: an authz check, over HTTP (nginx auth_request) or
// Envoy's gRPC ext_authz, continues the gateway's trace (gateways pass the
// client's traceparent on) with its authentication span.
func TestAuthzTraces(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	rc := newOTLPReceiver(t, "http/protobuf")
	cfg, err := configFromEnv("authz", pemVars(kp, envBaseURL, "https://mcp.example.com"), "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	cfg.shutdownTimeout = 5 * time.Second
	cfg.tracing = &observe.TracingConfig{Protocol: "http/protobuf", Endpoint: rc.endpoint}
	url, stop := runUntilStopped(t, cfg)
	tok := mint(t, kp, testkeys.TokenOptions{Audience: []string{"https://mcp.example.com/mcp"}, Scopes: []string{"read"}})
	resp, _ := do(t, http.MethodGet, url+"/auth", tok, "",
		"X-Original-Method", "POST", "X-Original-URI", "/mcp",
		"Traceparent", "00-"+clientTraceID+"-"+clientSpanID+"-01")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("check: %d", resp.StatusCode)
	}
	// Envoy's gRPC check carries the client's headers, traceparent too.
	const envoyTraceID = "0af7651916cd43dd8448eb211c80319c"
	client := extAuthzClient(t, &testServer{url: url})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cr, err := client.Check(ctx, checkRequest("DELETE", "/mcp", false, "authorization", "Bearer "+tok, "traceparent", "00-"+envoyTraceID+"-"+clientSpanID+"-01"))
	if err != nil || cr.GetOkResponse() == nil {
		t.Fatalf("gRPC check: %v %v", cr, err)
	}
	stop()
	spans, raw, _ := rc.received()
	if bytes.Contains(bytes.Join(raw, nil), []byte(tok)) {
		t.Fatal("the token is in the exported spans")
	}
	servers := map[string]*tracepb.Span{}
	for _, s := range spans {
		if s.GetKind() == tracepb.Span_SPAN_KIND_SERVER {
			servers[hex.EncodeToString(s.GetTraceId())] = s
		}
	}
	for traceID, method := range map[string]string{clientTraceID: "POST", envoyTraceID: "DELETE"} {
		server := servers[traceID]
		if server == nil {
			t.Errorf("%s check: no server span in the gateway's trace %s; spans %v", method, traceID, spans)
			continue
		}
		if hex.EncodeToString(server.GetParentSpanId()) != clientSpanID {
			t.Errorf("%s check: parent %x, want the gateway's span", method, server.GetParentSpanId())
		}
		if a := attrs(server.GetAttributes()); server.GetName() != method || a["url.path"] != "/mcp" || a["http.response.status_code"] != "200" {
			t.Errorf("server span %q %v: want the original request", server.GetName(), a)
		}
		var auth *tracepb.Span
		for _, s := range spans {
			if s.GetName() == "mcpauth.authenticate" && bytes.Equal(s.GetParentSpanId(), server.GetSpanId()) {
				auth = s
			}
		}
		if auth == nil || attrs(auth.GetAttributes())["mcpauth.outcome"] != "accepted" {
			t.Errorf("%s check: authentication span %v", method, auth)
		}
	}
	if len(spans) != 4 {
		t.Errorf("%d spans, want a server and an authentication span per check", len(spans))
	}
}

// TestTracingReadFromTheEnvironment: the OTEL_* variables of the process
// (in any letter case, as every variable) turn tracing on; without them it
// is off.
func TestTracingReadFromTheEnvironment(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	base := []string{"MCPAUTH_JWT_PUBLIC_KEY=" + kp.PublicKeyPEM(), "MCPAUTH_JWT_ISSUER=" + iss}
	for _, tt := range []struct {
		environ []string
		want    *observe.TracingConfig
	}{
		{nil, nil},
		{[]string{"OTEL_SERVICE_NAME=auth"}, nil},
		{[]string{"otel_exporter_otlp_endpoint=http://127.0.0.1:4318"}, &observe.TracingConfig{Protocol: "http/protobuf", Endpoint: "http://127.0.0.1:4318/v1/traces", Baggage: true}},
		{[]string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318", "OTEL_SDK_DISABLED=true"}, nil},
	} {
		var stderr bytes.Buffer
		cfg, code, done := parseServerConfig("serve", nil, env{stderr: &stderr, environ: append(tt.environ, base...)})
		if done {
			t.Fatalf("%v: exit %d: %s", tt.environ, code, stderr.String())
		}
		if fmt.Sprint(cfg.tracing) != fmt.Sprint(tt.want) {
			t.Errorf("%v: tracing %+v, want %+v", tt.environ, cfg.tracing, tt.want)
		}
	}
}
