package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// extAuthzClient dials authz's gRPC service the way Envoy does: HTTP/2
// without TLS, on the same address as the HTTP checks.
func extAuthzClient(t *testing.T, ts *testServer) authv3.AuthorizationClient {
	t.Helper()
	conn, err := grpc.NewClient(strings.TrimPrefix(ts.url, "http://"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return authv3.NewAuthorizationClient(conn)
}

// checkRequest builds Envoy's CheckRequest for method and path with
// headers (lower-case names, as Envoy sends them), in the headers map or,
// with raw, in header_map with raw values.
func checkRequest(method, path string, raw bool, headers ...string) *authv3.CheckRequest {
	h := &authv3.AttributeContext_HttpRequest{Method: method, Path: path, Host: "mcp.example.com", Scheme: "https", Protocol: "HTTP/1.1"}
	pairs := append([]string{":method", method, ":path", path, ":authority", "mcp.example.com"}, headers...)
	if raw {
		h.HeaderMap = &corev3.HeaderMap{}
		for i := 0; i+1 < len(pairs); i += 2 {
			h.HeaderMap.Headers = append(h.HeaderMap.Headers, &corev3.HeaderValue{Key: pairs[i], RawValue: []byte(pairs[i+1])})
		}
	} else {
		h.Headers = map[string]string{}
		for i := 0; i+1 < len(pairs); i += 2 {
			h.Headers[pairs[i]] = pairs[i+1]
		}
	}
	return &authv3.CheckRequest{Attributes: &authv3.AttributeContext{Request: &authv3.AttributeContext_Request{Http: h}}}
}

// headerOptions maps each header to its first value; a first value that is
// appended rather than set gets " (appended)". Later values are joined
// with " | ", each with its own marker.
func headerOptions(opts []*corev3.HeaderValueOption) map[string]string {
	m := map[string]string{}
	for _, o := range opts {
		v := o.GetHeader().GetValue()
		if o.GetAppendAction() != corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD {
			v += " (appended)"
		}
		if old, ok := m[o.GetHeader().GetKey()]; ok {
			v = old + " | " + v
		}
		m[o.GetHeader().GetKey()] = v
	}
	return m
}

func TestExtAuthzGRPCCheck(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	ts := startAuthz(t, pemVars(kp, envScopes, "mcp:tools"))
	client := extAuthzClient(t, ts)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tok := mintAuthz(t, kp, testkeys.TokenOptions{
		Subject:          "alice",
		Scopes:           []string{"mcp:tools"},
		AdditionalClaims: map[string]any{"client_id": "app-1"},
	})

	for _, raw := range []bool{false, true} {
		// Accepted: the identity to set upstream, the client's token and
		// spoofed identity to remove. X-Original-Method is ignored: the
		// attributes are the original request.
		resp, err := client.Check(ctx, checkRequest("POST", "/mcp?x=1", raw,
			"authorization", "Bearer "+tok,
			"x-mcpauth-subject", "admin",
			"x-mcpauth-role", "root",
			"x-original-method", "CONNECT",
			"mcp-method", "tools/call"))
		if err != nil {
			t.Fatal(err)
		}
		ok := resp.GetOkResponse()
		if resp.GetStatus().GetCode() != int32(codes.OK) || ok == nil {
			t.Fatalf("raw=%v: accepted token: %v", raw, resp)
		}
		got := headerOptions(ok.GetHeaders())
		want := map[string]string{
			"x-mcpauth-client-id": "app-1",
			"x-mcpauth-subject":   "alice",
			"x-mcpauth-scopes":    "mcp:tools",
			"x-mcpauth-issuer":    iss,
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("raw=%v: %s = %q, want %q", raw, k, got[k], v)
			}
		}
		if len(got["x-mcpauth-expires-at"]) < 10 {
			t.Errorf("raw=%v: x-mcpauth-expires-at = %q", raw, got["x-mcpauth-expires-at"])
		}
		if rm := ok.GetHeadersToRemove(); !slices.Equal(rm, []string{"authorization", "dpop", "x-mcpauth-dpop-jkt", "x-mcpauth-role"}) {
			t.Errorf("raw=%v: headers to remove %q", raw, rm)
		}
	}

	// A token without sub: the empty header is removed, not set empty
	// (Envoy drops empty values and would keep the client's copy).
	noSub := mintAuthz(t, kp, testkeys.TokenOptions{Scopes: []string{"mcp:tools"}, AdditionalClaims: map[string]any{"client_id": "app-2"}, OmitClaims: []string{"sub"}})
	resp, err := client.Check(ctx, checkRequest("GET", "/mcp", false, "authorization", "Bearer "+noSub, "x-mcpauth-subject", "admin"))
	if err != nil {
		t.Fatal(err)
	}
	if h := headerOptions(resp.GetOkResponse().GetHeaders()); h["x-mcpauth-client-id"] != "app-2" || h["x-mcpauth-subject"] != "" {
		t.Errorf("no sub: headers %v", h)
	}
	if rm := resp.GetOkResponse().GetHeadersToRemove(); !slices.Contains(rm, "x-mcpauth-subject") {
		t.Errorf("no sub: headers to remove %q", rm)
	}

	for _, tc := range []struct {
		name      string
		req       *authv3.CheckRequest
		status    int
		code      codes.Code
		challenge string
	}{
		{"no token", checkRequest("POST", "/mcp", false), 401, codes.Unauthenticated, `Bearer scope="mcp:tools", ` + wantMetadata},
		{"invalid token", checkRequest("POST", "/mcp", true, "authorization", "Bearer x.y.z"), 401, codes.Unauthenticated, `Bearer error="invalid_token"`},
		{"missing scope", checkRequest("POST", "/mcp", false, "authorization", "Bearer "+mintAuthz(t, kp, testkeys.TokenOptions{Scopes: []string{"read"}})), 403, codes.PermissionDenied, `Bearer error="insufficient_scope"`},
		{"upgrade", checkRequest("GET", "/mcp", false, "authorization", "Bearer "+tok, "upgrade", "websocket", "connection", "upgrade"), 400, codes.InvalidArgument, ""},
		{"CONNECT", checkRequest("CONNECT", "/mcp", false, "authorization", "Bearer "+tok), 405, codes.InvalidArgument, ""},
		{"encoded dot segment", checkRequest("GET", "/mcp/%2e%2e/admin", false, "authorization", "Bearer "+tok), 400, codes.InvalidArgument, ""},
		{"no HTTP attributes", &authv3.CheckRequest{}, 400, codes.InvalidArgument, ""},
		{"absolute path", checkRequest("GET", "http://evil.example/mcp", false, "authorization", "Bearer "+tok), 400, codes.InvalidArgument, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := client.Check(ctx, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			d := resp.GetDeniedResponse()
			if d == nil || int(d.GetStatus().GetCode()) != tc.status || resp.GetStatus().GetCode() != int32(tc.code) {
				t.Fatalf("got %v, want HTTP %d, gRPC %v", resp, tc.status, tc.code)
			}
			h := headerOptions(d.GetHeaders())
			if !strings.HasPrefix(h["www-authenticate"], tc.challenge) || (tc.challenge != "") != (h["www-authenticate"] != "") {
				t.Errorf("www-authenticate %q, want %q", h["www-authenticate"], tc.challenge)
			}
			var e struct{ Error string }
			if h["content-type"] != "application/json" || json.Unmarshal([]byte(d.GetBody()), &e) != nil || e.Error == "" {
				t.Errorf("body %q (%s)", d.GetBody(), h["content-type"])
			}
		})
	}
}

func TestExtAuthzGRPCOutageIs503(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	jwks := testkeystest.NewJWKSServer(t, kp)
	jwks.SetDown(true)
	ts := startAuthz(t, jwksVars(jwks, envJWKSRateLimit, "20ms", envJWKSTimeout, "2s"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := extAuthzClient(t, ts).Check(ctx, checkRequest("POST", "/mcp", false, "authorization", "Bearer "+mintAuthz(t, kp, testkeys.TokenOptions{})))
	if err != nil {
		t.Fatal(err)
	}
	d := resp.GetDeniedResponse()
	if d.GetStatus().GetCode() != 503 || resp.GetStatus().GetCode() != int32(codes.Unavailable) || headerOptions(d.GetHeaders())["retry-after"] == "" {
		t.Fatalf("without keys: %v", resp)
	}
}
