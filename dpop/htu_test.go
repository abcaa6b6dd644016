package dpop

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestNormalizeURI(t *testing.T) {
	cases := []struct{ in, want string }{
		{"https://mcp.example.com/mcp", "https://mcp.example.com/mcp"},
		{"HTTPS://MCP.EXAMPLE.COM/mcp", "https://mcp.example.com/mcp"},
		{"https://mcp.example.com:443/mcp", "https://mcp.example.com/mcp"},
		{"http://mcp.example.com:80/mcp", "http://mcp.example.com/mcp"},
		{"http://mcp.example.com:443/mcp", "http://mcp.example.com:443/mcp"},
		{"https://mcp.example.com:/mcp", "https://mcp.example.com/mcp"},
		{"https://mcp.example.com:08443/mcp", "https://mcp.example.com:8443/mcp"},
		{"https://mcp.example.com", "https://mcp.example.com/"},
		{"https://mcp.example.com/mcp?q=1#f", "https://mcp.example.com/mcp"},
		{"https://mcp.example.com?q", "https://mcp.example.com/"},
		{"https://mcp.example.com/%6d%63%70", "https://mcp.example.com/mcp"},
		{"https://mcp.example.com/a%2fb", "https://mcp.example.com/a%2Fb"},
		{"https://mcp.example.com/a/./b/../c", "https://mcp.example.com/a/c"},
		{"https://mcp.example.com/a/%2E%2E/c", "https://mcp.example.com/c"},
		{"https://mcp.example.com/../../x", "https://mcp.example.com/x"},
		{"https://mcp.example.com/a/..", "https://mcp.example.com/"},
		{"https://mcp.example.com/ü", "https://mcp.example.com/%C3%BC"},
		{"https://mcp.example.com/a b", "https://mcp.example.com/a%20b"},
		{"https://[::1]:8080/mcp", "https://[::1]:8080/mcp"},
		{"https://[::1]/mcp", "https://[::1]/mcp"},
	}
	for _, c := range cases {
		got, err := NormalizeURI(c.in)
		if err != nil || got != c.want {
			t.Errorf("NormalizeURI(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
		if again, _ := NormalizeURI(got); again != got {
			t.Errorf("NormalizeURI is not idempotent on %q: %q", got, again)
		}
	}
	for _, bad := range []string{
		"/mcp", "mcp.example.com/mcp", "ftp://mcp.example.com/mcp", "https:///mcp",
		"https://user@mcp.example.com/mcp", "https://mcp.example.com:x/mcp", "https://mcp.example.com/%zz",
		"https://mcp.example.com/%4", "https://mcp%2eexample.com/",
	} {
		if got, err := NormalizeURI(bad); err == nil {
			t.Errorf("NormalizeURI(%q) = %q; want an error", bad, got)
		}
	}
}

// TestRequestURI builds htu from the configured base URL, whatever Host and
// forwarding headers the client sends.
func TestRequestURI(t *testing.T) {
	cases := []struct{ base, target, want string }{
		{"https://mcp.example.com", "/mcp", "https://mcp.example.com/mcp"},
		{"https://mcp.example.com/", "/mcp?x=1", "https://mcp.example.com/mcp"},
		{"https://gw.example.com/tools", "/mcp", "https://gw.example.com/tools/mcp"},
		{"https://gw.example.com/tools/", "/mcp", "https://gw.example.com/tools/mcp"},
		{"http://127.0.0.1:8080", "/a%2Fb", "http://127.0.0.1:8080/a%2Fb"},
	}
	for _, c := range cases {
		base, err := CheckBaseURL(c.base)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("POST", c.target, nil)
		r.Host = "evil.example.com"
		r.Header.Set("X-Forwarded-Host", "evil.example.com")
		r.Header.Set("X-Forwarded-Proto", "http")
		got, err := RequestURI(base, r)
		if err != nil || got != c.want {
			t.Errorf("RequestURI(%s, %s) = %q, %v; want %q", c.base, c.target, got, err, c.want)
		}
	}
	if _, err := RequestURI(&url.URL{}, httptest.NewRequest("GET", "/", nil)); err == nil {
		t.Error("an empty base URL was accepted")
	}
}

func TestCheckBaseURL(t *testing.T) {
	for _, bad := range []string{"", "/mcp", "mcp.example.com", "ftp://x", "https://u:p@x.example", "https://x.example/?q", "https://x.example/#f", "https://x.example/?"} {
		if _, err := CheckBaseURL(bad); err == nil {
			t.Errorf("CheckBaseURL(%q) accepted", bad)
		}
	}
}

// TestRequestURIFastPath: whether or not a request's URI takes the fast
// path, RequestURI returns what NormalizeURI makes of it.
func TestRequestURIFastPath(t *testing.T) {
	bases := []string{"https://mcp.example.com", "https://mcp.example.com/", "http://127.0.0.1:8080", "https://MCP.example.com",
		"https://mcp.example.com:443", "http://h:80", "https://h:0443", "https://mcp.example.com/tenant", "https://[::1]:8443",
		"https://mcp.example.com/a%2Fb", "https://mcp.example.com/./x"}
	paths := []string{"/", "/mcp", "/mcp/", "/MCP", "/mcp/../admin", "/.well-known/x", "/a/./b", "/%6Dcp", "/a%2Fb", "/a%20b", "/a!b", "/~user/x_y-z.txt", "/a//b"}
	for _, b := range bases {
		base, err := url.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			r := httptest.NewRequest("GET", "http://ignored.example"+p, nil)
			got, err1 := RequestURI(base, r)
			want, err2 := NormalizeURI(base.Scheme + "://" + base.Host + strings.TrimSuffix(base.EscapedPath(), "/") + r.URL.EscapedPath())
			if got != want || (err1 == nil) != (err2 == nil) {
				t.Errorf("RequestURI(%s, %s) = %q, %v; want %q, %v", b, p, got, err1, want, err2)
			}
		}
	}
}

// TestStripQuery: the query and the fragment go, whichever comes first.
func TestStripQuery(t *testing.T) {
	for in, want := range map[string]string{
		"https://a/p": "https://a/p", "https://a/p?q": "https://a/p", "https://a/p#f": "https://a/p",
		"https://a/p?q#f": "https://a/p", "https://a/p#f?q": "https://a/p", "?#": "", "#?": "", "": "",
	} {
		if got := stripQuery(in); got != want {
			t.Errorf("stripQuery(%q) = %q; want %q", in, got, want)
		}
	}
}
