package main

// proxy_forwarding.go: the headers that tell an upstream where a request
// came from or where it was meant to go (client address, original host,
// scheme, URL or method). A client can send any of them; an upstream that
// believes them logs a forged address, applies the wrong IP allow-list or
// routes to another path or method than the one the proxy authorized. The
// proxy sets the X-Forwarded-* headers itself and removes the others,
// unless the request comes from a trusted gateway (MCPAUTH_TRUSTED_PROXIES)
// whose forwarding headers are kept.

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"strings"
)

// envTrustedProxies lists the gateways whose forwarding headers are kept.
const envTrustedProxies = "MCPAUTH_TRUSTED_PROXIES"

// forwardingHeaders are the headers (as appendNormalHeaderName spells
// them) that carry the client's address, or the host and scheme it used,
// as seen by a proxy in front; any name starting with "x-forwarded-" too.
var forwardingHeaders = map[string]bool{
	"forwarded":           true, // RFC 7239
	"x-forwarded":         true,
	"x-real-ip":           true,
	"true-client-ip":      true,
	"x-client-ip":         true,
	"client-ip":           true,
	"cf-connecting-ip":    true,
	"cf-connecting-ipv6":  true,
	"fastly-client-ip":    true,
	"x-cluster-client-ip": true,
	"x-originating-ip":    true,
	"x-remote-ip":         true,
	"x-remote-addr":       true,
	"x-proxyuser-ip":      true,
	"x-host":              true,
	"x-url-scheme":        true,
	"x-scheme":            true,
	"front-end-https":     true,
}

// routingOverrideHeaders make some servers and frameworks (IIS URL
// Rewrite, Symfony, Laravel, Rails, Express method-override, …) route to
// another URL or method than the request line's; any name starting with
// "x-original-" too. They are removed whoever sent them: the proxy
// authorizes the request line, and a gateway in front does not need them
// to reach the MCP endpoint.
var routingOverrideHeaders = map[string]bool{
	"x-rewrite-url":          true,
	"x-override-url":         true,
	"x-http-method-override": true,
	"x-http-method":          true,
	"x-method-override":      true,
	"x-envoy-original-path":  true,
}

func isForwardingHeader(name string) bool { return classifyHeader(name) == forwardingHeader }

func isRoutingOverrideHeader(name string) bool { return classifyHeader(name) == routingOverrideHeader }

// headerClass is what a client-sent header is to the proxy.
type headerClass uint8

const (
	otherHeader           headerClass = iota
	identityHeader                    // X-MCPAuth-*: only the proxy sets them
	forwardingHeader                  // forwardingHeaders, X-Forwarded-*
	routingOverrideHeader             // routingOverrideHeaders, X-Original-*
)

// classifyHeader reads name once, in the spelling of
// appendNormalHeaderName, so that one pass over a request's headers
// decides about all of them.
func classifyHeader(name string) headerClass {
	var buf [64]byte
	n := appendNormalHeaderName(buf[:0], name)
	switch {
	case bytes.HasPrefix(n, []byte("x-mcpauth-")):
		return identityHeader
	case forwardingHeaders[string(n)] || bytes.HasPrefix(n, []byte("x-forwarded-")):
		return forwardingHeader
	case routingOverrideHeaders[string(n)] || bytes.HasPrefix(n, []byte("x-original-")):
		return routingOverrideHeader
	}
	return otherHeader
}

// removeClientHeaders removes from h, in one pass, the identity headers
// and routing overrides a client sent, and its forwarding headers unless
// keepForwarding (a trusted gateway's, in their standard spelling, stay).
func removeClientHeaders(h http.Header, keepForwarding bool) {
	for k := range h {
		switch classifyHeader(k) {
		case identityHeader, routingOverrideHeader:
			delete(h, k)
		case forwardingHeader:
			if !keepForwarding || strings.Contains(k, "_") {
				delete(h, k)
			}
		}
	}
}

// setForwardingHeaders writes the forwarding headers of the upstream
// request pr.Out. Routing overrides are always removed. From an untrusted
// peer every forwarding header is removed and X-Forwarded-For (the peer's
// address), X-Forwarded-Host and X-Forwarded-Proto are set by the proxy.
// From a trusted peer (a gateway in trusted), the forwarding headers it
// sent in their standard spelling are kept, its address is appended to
// X-Forwarded-For, and X-Forwarded-Host and X-Forwarded-Proto are set only
// when it sent none; spellings with '_' are removed even then.
func setForwardingHeaders(pr *httputil.ProxyRequest, trusted []netip.Prefix) {
	out, in := pr.Out.Header, pr.In.Header
	keep := isTrustedPeer(pr.In.RemoteAddr, trusted)
	removeClientHeaders(out, keep)
	if !keep {
		pr.SetXForwarded()
		return
	}
	// httputil.ReverseProxy removed these four before Rewrite; a trusted
	// gateway's values come back.
	for _, k := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
		if v := in[k]; len(v) > 0 {
			out[k] = append([]string(nil), v...)
		}
	}
	host, proto := out.Get("X-Forwarded-Host"), out.Get("X-Forwarded-Proto")
	pr.SetXForwarded() // appends the peer to X-Forwarded-For
	if host != "" {
		out.Set("X-Forwarded-Host", host)
	}
	if proto != "" {
		out.Set("X-Forwarded-Proto", proto)
	}
}

// isTrustedPeer reports whether the connection's peer address (host:port)
// is in one of the trusted prefixes.
func isTrustedPeer(remoteAddr string, trusted []netip.Prefix) bool {
	if len(trusted) == 0 {
		return false
	}
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return false
	}
	ip := ap.Addr().Unmap()
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// parseTrustedProxies parses a comma-separated list of IP addresses and
// CIDR prefixes (10.0.0.0/8, 2001:db8::/32, 192.0.2.7). name is the
// variable, for errors. An empty value is no trusted proxy.
func parseTrustedProxies(name, raw string) ([]netip.Prefix, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	var out []netip.Prefix
	for item := range strings.SplitSeq(raw, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, configErrorf("%s has an empty item", name)
		}
		var p netip.Prefix
		var err error
		if strings.Contains(item, "/") {
			p, err = netip.ParsePrefix(item)
			if err == nil && p != p.Masked() {
				err = fmt.Errorf("host bits are set (did you mean %s?)", p.Masked())
			}
		} else {
			var ip netip.Addr
			if ip, err = netip.ParseAddr(item); err == nil && ip.Zone() != "" {
				err = fmt.Errorf("zones are not allowed")
			}
			p = netip.PrefixFrom(ip, ip.BitLen())
		}
		if err == nil && p.Addr().Is4In6() {
			// Peers are compared unmapped. A masked IPv4-mapped prefix
			// has at least 96 bits (the ffff ones).
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		if err != nil {
			return nil, configErrorf("%s: %q is not an IP address or CIDR prefix (%v)", name, item, err)
		}
		out = append(out, p)
	}
	return out, nil
}
