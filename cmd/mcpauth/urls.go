package main

// urls.go decides which URLs and addresses are acceptable: listen addresses,
// the public base URL, authorization servers and the proxy's upstream.

import (
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/mcpauth/mcpauth/internal/urlrule"
)

// checkAddr validates a host:port listen address.
func checkAddr(name, addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", configErrorf("%s %q is not host:port (for example 127.0.0.1:8080 or :8080)", name, addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", configErrorf("%s %q: port %q is not a number from 0 to 65535", name, addr, port)
	}
	if strings.ContainsAny(host, " /\\@") {
		return "", configErrorf("%s %q: %q is not a host name or IP address", name, addr, host)
	}
	return addr, nil
}

// checkPublicURL accepts an absolute http or https URL with a host and no
// user information, fragment or characters that cannot be quoted in a
// challenge.
func checkPublicURL(name, raw string) error {
	u, p := urlrule.Check(raw, urlrule.Rules{NoUserInfo: true, Quotable: true})
	switch {
	case p == nil:
		return nil
	case u == nil:
		return configErrorf("%s %s", name, p.Text)
	}
	return configErrorf("%s %q %s", name, u.Redacted(), p.Text)
}

// checkBaseURL validates the public base URL and returns it without a
// trailing slash. Its path, if any, prefixes the routes, so it is limited to
// characters that need no escaping.
func checkBaseURL(name, raw string) (string, error) {
	if err := checkPublicURL(name, raw); err != nil {
		return "", err
	}
	u, _ := url.Parse(raw)
	if u.RawQuery != "" || u.ForceQuery {
		return "", configErrorf("%s %q must not have a query", name, raw)
	}
	p := strings.TrimSuffix(u.Path, "/")
	if p != "" {
		for seg := range strings.SplitSeq(p[1:], "/") {
			if seg == "" || seg == "." || seg == ".." || strings.ContainsFunc(seg, func(r rune) bool {
				return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r))
			}) {
				return "", configErrorf("%s %q: the path may only hold segments of letters, digits and -._~", name, raw)
			}
		}
	}
	return u.Scheme + "://" + u.Host + p, nil
}

// checkNotEndpoint refuses a base URL (already validated, no trailing
// slash) that names the MCP endpoint itself: the endpoint is the base URL
// plus /mcp, so such a value would serve /mcp/mcp.
func checkNotEndpoint(name, base string) error {
	if strings.HasSuffix(base, mcpPath) {
		return configErrorf("%s %q ends in %s, but the MCP endpoint is %s + %s (it would be %s%s); set %s to %s", name, base, mcpPath, name, mcpPath, base, mcpPath, name, strings.TrimSuffix(base, mcpPath))
	}
	return nil
}

// checkUpstream validates the proxy's upstream URL.
func checkUpstream(name, raw string) (*url.URL, error) {
	u, p := urlrule.Check(raw, urlrule.Rules{NoUserInfo: true, NoQuery: true})
	switch {
	case p == nil:
		return u, nil
	case u == nil:
		return nil, configErrorf("%s %s", name, p.Text)
	}
	return nil, configErrorf("%s %q %s", name, u.Redacted(), p.Text)
}

// dialableAddr returns a host:port at which this process can reach the
// listener: an unspecified address (0.0.0.0, ::) becomes 127.0.0.1.
func dialableAddr(a net.Addr) string {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return a.String()
	}
	ip := ap.Addr().Unmap()
	if ip.IsUnspecified() {
		ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	return netip.AddrPortFrom(ip, ap.Port()).String()
}

// hostnameOf returns the host name (no port) of an absolute URL.
func hostnameOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}
