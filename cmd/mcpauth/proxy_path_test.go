package main

import (
	"bufio"
	"net/http"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// pathAttacks are request targets that some mainstream server resolves
// outside /mcp. tomcatAdmin marks those that Tomcat 10.1, asked directly,
// routes to /admin: the test checks that it still does, so the attack is
// real, and that through the proxy none of them reaches any servlet.
var pathAttacks = []struct {
	target      string
	tomcatAdmin bool
}{
	// Path parameters (Tomcat, Jetty, Spring drop ";..." from segments).
	{"/mcp/..;/admin", true},
	{"/mcp/.;/..;/admin", true},
	{"/mcp/..;x=y/admin", true},
	{"/mcp/x/..;/..;/admin", true},
	{"/mcp;/..;/admin", true},
	{"/mcp;x/../admin", true},
	{"/mcp/x;jsessionid=1", false},
	{"/mcp/..%3b/admin", false},
	// Percent-encoded dots, decoded before dot segments are resolved.
	{"/mcp/%2e%2e/admin", true},
	{"/mcp/%2E%2E/admin", true},
	{"/mcp/.%2e/admin", true},
	{"/mcp/%2e./admin", true},
	{"/mcp/%2e/%2e%2e/admin", true},
	{"/%6dcp/%2e%2e/admin", true},
	// Encoded separators and backslashes (IIS, some proxies and
	// frameworks take them for '/').
	{"/mcp/..%2fadmin", false},
	{"/mcp/..%2Fadmin", false},
	{"/mcp/..%5cadmin", false},
	{"/mcp/..%5Cadmin", false},
	{`/mcp/..\admin`, false},
	{"/mcp%2f..%2fadmin", false},
	// Double encoding, overlong and odd forms.
	{"/mcp/%252e%252e/admin", false},
	{"/mcp/..%252fadmin", false},
	{"/mcp/%c0%ae%c0%ae/admin", false},
	{"/mcp/%u002e%u002e/admin", false},
	{"/mcp/%ef%bc%8e%ef%bc%8e/admin", false},
	{"/mcp/\xef\xbc\x8e\xef\xbc\x8e/admin", false},
	{"/mcp/.../admin", false},
	{"/mcp/..%00/admin", false},
	{"/mcp/..%20/admin", false},
	{"/mcp/..%09/admin", false},
	// Literal dot segments and merged slashes.
	{"/mcp/../admin", true},
	{"/mcp//../admin", true},
	{"/mcp/x//admin", false},
	{"/mcp/./../admin", true},
}

// canonicalPaths are forwarded as they are, byte for byte.
var canonicalPaths = []string{
	"/mcp",
	"/mcp/",
	"/mcp/x",
	"/mcp/a.b/..c/d..",
	"/mcp/x:y@z!$&'()*+,=~-_",
}

// TestProxyPathStaysBelowTheMount runs the proxy in front of Tomcat and
// hypercorn: no request target that a server could resolve outside the MCP
// endpoint is forwarded, and canonical paths are forwarded unchanged.
func TestProxyPathStaysBelowTheMount(t *testing.T) {
	tc := tomcatUpstream(t)
	hc := hypercornUpstream(t)
	kp := testkeystest.SharedRSAKeyPair(t)

	t.Run("tomcat", func(t *testing.T) {
		ts := startProxy(t, tc+"/mcp", pemVars(kp))
		host := strings.TrimPrefix(ts.url, "http://")
		tok := mintFor(t, kp, ts, testkeys.TokenOptions{})
		for _, a := range pathAttacks {
			if a.tomcatAdmin {
				if area := tomcatArea(t, tc, a.target); area != "admin" {
					t.Errorf("Tomcat directly: %q reaches %q, not admin; the attack table is out of date", a.target, area)
				}
			}
			for _, target := range []string{a.target, "http://" + host + a.target} {
				status, body := rawGet(t, host, target, tok)
				if strings.Contains(body, "area=") || strings.Contains(body, "Tomcat") {
					t.Errorf("GET %q reached Tomcat: %d %.80q", target, status, body)
				}
				if status < 300 {
					t.Errorf("GET %q: %d", target, status)
				}
			}
		}
		for _, p := range canonicalPaths {
			status, body := rawGet(t, host, p, tok)
			want := "area=mcp servletPath=/mcp pathInfo=" + strings.TrimPrefix(p, "/mcp")
			if p == "/mcp" {
				want += "null"
			}
			if status != http.StatusOK || body != want {
				t.Errorf("GET %q: %d %q, want %q", p, status, body, want)
			}
		}
	})

	t.Run("hypercorn", func(t *testing.T) {
		ts := startProxy(t, hc+"/mcp", pemVars(kp))
		host := strings.TrimPrefix(ts.url, "http://")
		tok := mintFor(t, kp, ts, testkeys.TokenOptions{})
		before := len(hypercornSeen(t, hc))
		for _, a := range pathAttacks {
			if status, body := rawGet(t, host, a.target, tok); status < 300 || containsTunnelMarker(body) || strings.Contains(body, `"path"`) {
				t.Errorf("GET %q: %d %.80q", a.target, status, body)
			}
		}
		if seen := hypercornSeen(t, hc)[before:]; len(seen) != 0 {
			t.Errorf("hypercorn received %d of the attack paths, the first %q", len(seen), seen[0].RawPath)
		}
		for _, p := range append(canonicalPaths, "/mcp/x?next=..;/admin&y=%2e%2e") {
			before := len(hypercornSeen(t, hc))
			status, _ := rawGet(t, host, p, tok)
			seen := hypercornSeen(t, hc)[before:]
			wantPath, _, _ := strings.Cut(p, "?")
			if status != http.StatusOK || len(seen) != 1 || seen[0].RawPath != wantPath {
				t.Errorf("GET %q: %d, hypercorn saw %+v", p, status, seen)
			}
		}
	})
}

// TestCheckPath is the rule itself, on requests as net/http parses them.
func TestCheckPath(t *testing.T) {
	for _, a := range pathAttacks {
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader("GET " + a.target + " HTTP/1.1\r\nHost: x\r\n\r\n")))
		if err != nil {
			continue // net/http refuses it before any handler (400)
		}
		if checkPath(r) == "" {
			t.Errorf("checkPath(%q) accepts it", a.target)
		}
	}
	for _, p := range append(canonicalPaths, "/mcp/x?q=..;%2f") {
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader("GET " + p + " HTTP/1.1\r\nHost: x\r\n\r\n")))
		if err != nil {
			t.Fatal(err)
		}
		if desc := checkPath(r); desc != "" {
			t.Errorf("checkPath(%q) = %q, want accepted", p, desc)
		}
	}
}
