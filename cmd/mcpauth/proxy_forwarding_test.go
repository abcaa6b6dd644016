package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// spoofedForwarding are forwarding and routing headers a client may send,
// each with a value that must never reach the upstream from an untrusted
// peer.
var spoofedForwarding = [][2]string{
	{"Forwarded", "for=203.0.113.9;host=evil.example;proto=https"},
	{"X-Forwarded-For", "203.0.113.9"},
	{"X-Forwarded-Host", "evil.example"},
	{"X-Forwarded-Proto", "https"},
	{"X-Forwarded-Port", "443"},
	{"X-Forwarded-Prefix", "/admin"},
	{"X-Forwarded-Uri", "/admin"},
	{"X-Forwarded-Server", "evil.example"},
	{"X-Real-IP", "203.0.113.9"},
	{"True-Client-IP", "203.0.113.9"},
	{"X-Client-IP", "203.0.113.9"},
	{"Client-IP", "203.0.113.9"},
	{"CF-Connecting-IP", "203.0.113.9"},
	{"Fastly-Client-IP", "203.0.113.9"},
	{"X-Cluster-Client-IP", "203.0.113.9"},
	{"X-Originating-IP", "203.0.113.9"},
	{"X-Remote-IP", "203.0.113.9"},
	{"X-Remote-Addr", "203.0.113.9"},
	{"X-Host", "evil.example"},
	{"X-Original-URL", "/admin"},
	{"X-Original-URI", "/admin"},
	{"X-Original-Host", "evil.example"},
	{"X-Original-Method", "DELETE"},
	{"X-Rewrite-URL", "/admin"},
	{"X-Override-URL", "/admin"},
	{"X-HTTP-Method-Override", "DELETE"},
	{"X-HTTP-Method", "DELETE"},
	{"X-Method-Override", "DELETE"},
	{"X-Envoy-Original-Path", "/admin"},
	// CGI/WSGI servers read '_' as '-'.
	{"X_Forwarded_For", "203.0.113.9"},
	{"X_Real_IP", "203.0.113.9"},
	{"X_Original_URL", "/admin"},
}

// spoofedValues are values above that the proxy never sets itself (the
// schemes and ports are checked by name).
var spoofedValues = []string{"203.0.113.9", "evil.example", "/admin", "DELETE"}

// TestProxyForwardingHeaders sends every forwarding and routing header to a
// real upstream that echoes what it received.
func TestProxyForwardingHeaders(t *testing.T) {
	hc := hypercornUpstream(t)
	kp := testkeystest.SharedRSAKeyPair(t)
	echo := func(t *testing.T, ts *testServer, header ...string) map[string][]string {
		t.Helper()
		tok := mintFor(t, kp, ts, testkeys.TokenOptions{})
		before := len(hypercornSeen(t, hc))
		if resp, body := do(t, http.MethodGet, ts.mcp(), tok, "", header...); resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /mcp: %d %s", resp.StatusCode, body)
		}
		seen := hypercornSeen(t, hc)[before:]
		if len(seen) != 1 {
			t.Fatalf("the upstream saw %d requests", len(seen))
		}
		return seen[0].Headers
	}
	var all []string
	for _, h := range spoofedForwarding {
		all = append(all, h[0], h[1])
	}

	t.Run("untrusted peer", func(t *testing.T) {
		ts := startProxy(t, hc+"/mcp", pemVars(kp))
		got := echo(t, ts, all...)
		for name, vals := range got {
			for _, v := range vals {
				for _, bad := range spoofedValues {
					if strings.Contains(v, bad) {
						t.Errorf("upstream got %s: %q", name, v)
					}
				}
			}
		}
		want := map[string][]string{
			"x-forwarded-for":   {"127.0.0.1"},
			"x-forwarded-host":  {strings.TrimPrefix(ts.url, "http://")},
			"x-forwarded-proto": {"http"},
		}
		for name, v := range want {
			if !slices.Equal(got[name], v) {
				t.Errorf("upstream got %s: %q, want %q", name, got[name], v)
			}
		}
		for name := range got {
			if isForwardingHeader(name) && want[name] == nil || isRoutingOverrideHeader(name) {
				t.Errorf("upstream got %s", name)
			}
		}
	})

	t.Run("trusted gateway", func(t *testing.T) {
		ts := startProxy(t, hc+"/mcp", pemVars(kp, envTrustedProxies, "10.0.0.0/8, 127.0.0.0/8"))
		got := echo(t, ts, all...)
		want := map[string][]string{
			"forwarded":          {"for=203.0.113.9;host=evil.example;proto=https"},
			"x-forwarded-for":    {"203.0.113.9, 127.0.0.1"},
			"x-forwarded-host":   {"evil.example"},
			"x-forwarded-proto":  {"https"},
			"x-forwarded-prefix": {"/admin"},
			"x-real-ip":          {"203.0.113.9"},
			"cf-connecting-ip":   {"203.0.113.9"},
		}
		for name, v := range want {
			if !slices.Equal(got[name], v) {
				t.Errorf("upstream got %s: %q, want %q", name, got[name], v)
			}
		}
		// Routing overrides and '_' spellings never pass.
		for name := range got {
			if isRoutingOverrideHeader(name) || strings.Contains(name, "_") {
				t.Errorf("upstream got %s: %q", name, got[name])
			}
		}
		// Without forwarding headers, the proxy sets its own.
		got = echo(t, ts)
		if !slices.Equal(got["x-forwarded-for"], []string{"127.0.0.1"}) || !slices.Equal(got["x-forwarded-proto"], []string{"http"}) ||
			!slices.Equal(got["x-forwarded-host"], []string{strings.TrimPrefix(ts.url, "http://")}) {
			t.Errorf("trusted peer without forwarding headers: %q", got)
		}
	})

	t.Run("peer outside the trusted prefixes", func(t *testing.T) {
		ts := startProxy(t, hc+"/mcp", pemVars(kp, envTrustedProxies, "10.0.0.0/8,::1"))
		got := echo(t, ts, all...)
		if !slices.Equal(got["x-forwarded-for"], []string{"127.0.0.1"}) || got["x-real-ip"] != nil || got["forwarded"] != nil {
			t.Errorf("untrusted loopback peer: %q", got)
		}
	})
}

func TestParseTrustedProxies(t *testing.T) {
	tests := []struct {
		raw     string
		want    []string
		wantErr string
	}{
		{"", nil, ""},
		{"  ", nil, ""},
		{"10.0.0.0/8", []string{"10.0.0.0/8"}, ""},
		{" 192.0.2.7 , 2001:db8::/32 ", []string{"192.0.2.7/32", "2001:db8::/32"}, ""},
		{"::ffff:192.0.2.0/120", []string{"192.0.2.0/24"}, ""},
		{"::ffff:192.0.2.7", []string{"192.0.2.7/32"}, ""},
		{"10.0.0.0/8,", nil, "empty item"},
		{"10.1.0.0/8", nil, "host bits"},
		{"gateway", nil, "not an IP address"},
		{"10.0.0.0/33", nil, "not an IP address"},
		{"fe80::1%eth0", nil, "not an IP address"},
		{"::ffff:0:0/80", nil, "host bits"},
	}
	for _, tt := range tests {
		got, err := parseTrustedProxies(envTrustedProxies, tt.raw)
		var gotS []string
		for _, p := range got {
			gotS = append(gotS, p.String())
		}
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), envTrustedProxies) {
				t.Errorf("%q: %v, %v; want an error with %q", tt.raw, gotS, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(gotS, tt.want) {
			t.Errorf("%q: %v, %v; want %v", tt.raw, gotS, err, tt.want)
		}
	}
}

func TestIsTrustedPeer(t *testing.T) {
	trusted, err := parseTrustedProxies(envTrustedProxies, "10.0.0.0/8,2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{
		"10.1.2.3:5000": true, "[::ffff:10.1.2.3]:5000": true, "[2001:db8::1]:443": true,
		"11.0.0.1:5000": false, "127.0.0.1:1": false, "[2001:db9::1]:443": false, "garbage": false, "": false,
	} {
		if got := isTrustedPeer(addr, trusted); got != want {
			t.Errorf("isTrustedPeer(%q) = %v, want %v", addr, got, want)
		}
	}
	if isTrustedPeer("127.0.0.1:1", nil) {
		t.Error("no prefix trusts nobody")
	}
}
