package main

// The README's Traefik and Envoy configurations, read from README.md and
// checked by parsing: neither gateway is packaged for Debian, and Traefik
// does not build from the Go module proxy here (see the README). The
// Envoy configuration is read into Envoy's own protobuf types
// (go-control-plane), unknown fields refused, and validated by their
// generated rules.

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	extauthzv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	upstreamhttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"gopkg.in/yaml.v3"
)

// The Any types the bootstrap names; importing them registers them for
// protojson.
var (
	_ = (*routerv3.Router)(nil)
	_ = (*upstreamhttpv3.HttpProtocolOptions)(nil)
)

// yamlToJSON converts a YAML document to JSON.
func yamlToJSON(t *testing.T, doc string) []byte {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("not YAML: %v\n%s", err, doc)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("YAML without a JSON form: %v", err)
	}
	return b
}

// envoyParse reads the YAML doc into m (unknown fields refused) and runs
// its generated validation.
func envoyParse(t *testing.T, doc string, m interface {
	proto.Message
	ValidateAll() error
}) {
	t.Helper()
	if err := protojson.Unmarshal(yamlToJSON(t, doc), m); err != nil {
		t.Fatalf("not a %s: %v", m.ProtoReflect().Descriptor().FullName(), err)
	}
	if err := m.ValidateAll(); err != nil {
		t.Fatalf("invalid %s: %v", m.ProtoReflect().Descriptor().FullName(), err)
	}
}

// readmeBlockAfter returns the fenced block of lang that follows the
// README text after (which must occur once) within the heading's section.
func readmeBlockAfter(t *testing.T, heading, after, lang string) string {
	t.Helper()
	readme := readREADME(t)
	_, section, ok := strings.Cut(readme, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no heading %q", heading)
	}
	if strings.Count(section, after) == 0 {
		t.Fatalf("README.md: no %q after %q", after, heading)
	}
	_, rest, _ := strings.Cut(section, after)
	_, block, ok := strings.Cut(rest, "\n```"+lang+"\n")
	if !ok {
		t.Fatalf("README.md has no ```%s block after %q", lang, after)
	}
	block, _, _ = strings.Cut(block, "\n```\n")
	return block + "\n"
}

func TestGatewayEnvoyConfig(t *testing.T) {
	var b bootstrapv3.Bootstrap
	envoyParse(t, readmeBlock(t, "### Envoy", "yaml"), &b)

	// The listener's filters: ext_authz over gRPC to the mcpauth cluster,
	// failing closed, before the router.
	listeners := b.GetStaticResources().GetListeners()
	if len(listeners) != 1 || len(listeners[0].GetFilterChains()) != 1 {
		t.Fatalf("want one listener with one filter chain: %v", listeners)
	}
	filters := listeners[0].GetFilterChains()[0].GetFilters()
	if len(filters) != 1 {
		t.Fatalf("want one network filter, got %d", len(filters))
	}
	var hcm hcmv3.HttpConnectionManager
	if err := filters[0].GetTypedConfig().UnmarshalTo(&hcm); err != nil {
		t.Fatalf("the network filter is not an HttpConnectionManager: %v", err)
	}
	hf := hcm.GetHttpFilters()
	if len(hf) != 2 || hf[0].GetName() != "envoy.filters.http.ext_authz" || hf[1].GetName() != "envoy.filters.http.router" {
		t.Fatalf("http filters %v, want ext_authz then the router", hf)
	}
	var ea extauthzv3.ExtAuthz
	if err := hf[0].GetTypedConfig().UnmarshalTo(&ea); err != nil {
		t.Fatal(err)
	}
	if ea.GetFailureModeAllow() || ea.GetGrpcService().GetEnvoyGrpc().GetClusterName() != "mcpauth" {
		t.Errorf("ext_authz: failure_mode_allow %v, gRPC cluster %q", ea.GetFailureModeAllow(), ea.GetGrpcService().GetEnvoyGrpc().GetClusterName())
	}

	// The routes: metadata to authz without a check, the rest checked.
	routes := hcm.GetRouteConfig().GetVirtualHosts()[0].GetRoutes()
	if len(routes) != 2 || routes[0].GetMatch().GetPrefix() != "/.well-known/oauth-protected-resource" ||
		routes[0].GetRoute().GetCluster() != "mcpauth" || routes[1].GetRoute().GetCluster() != "mcp_server" {
		t.Fatalf("routes %v", routes)
	}
	var per extauthzv3.ExtAuthzPerRoute
	if err := routes[0].GetTypedPerFilterConfig()["envoy.filters.http.ext_authz"].UnmarshalTo(&per); err != nil || !per.GetDisabled() {
		t.Errorf("the metadata route still asks authz (%v)", err)
	}
	if len(routes[1].GetTypedPerFilterConfig()) != 0 {
		t.Errorf("the MCP route changes the check: %v", routes[1].GetTypedPerFilterConfig())
	}

	// authz's cluster speaks HTTP/2 (gRPC) to the README's address.
	clusters := map[string]*clusterv3.Cluster{}
	for _, c := range b.GetStaticResources().GetClusters() {
		clusters[c.GetName()] = c
	}
	authz := clusters["mcpauth"]
	sa := authz.GetLoadAssignment().GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress()
	if sa.GetAddress()+":"+itoa(sa.GetPortValue()) != readmeAuthzAddr {
		t.Errorf("the mcpauth cluster is at %s:%d, want %s", sa.GetAddress(), sa.GetPortValue(), readmeAuthzAddr)
	}
	var po upstreamhttpv3.HttpProtocolOptions
	if err := authz.GetTypedExtensionProtocolOptions()["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"].UnmarshalTo(&po); err != nil ||
		po.GetExplicitHttpConfig().GetHttp2ProtocolOptions() == nil {
		t.Errorf("the mcpauth cluster does not speak HTTP/2 (%v)", err)
	}
	if clusters["mcp_server"] == nil {
		t.Error("no mcp_server cluster")
	}

	// The HTTP variant of the filter.
	var filter hcmv3.HttpFilter
	var list []any // the README shows the filter as an http_filters entry
	if err := yaml.Unmarshal([]byte(readmeBlockAfter(t, "### Envoy", "HTTP `ext_authz` instead", "yaml")), &list); err != nil || len(list) != 1 {
		t.Fatalf("the HTTP ext_authz block is not a one-entry YAML list (%v)", err)
	}
	one, err := yaml.Marshal(list[0])
	if err != nil {
		t.Fatal(err)
	}
	envoyParse(t, string(one), &filter)
	var http extauthzv3.ExtAuthz
	if err := filter.GetTypedConfig().UnmarshalTo(&http); err != nil {
		t.Fatal(err)
	}
	hs := http.GetHttpService()
	if http.GetFailureModeAllow() || hs.GetServerUri().GetCluster() != "mcpauth" {
		t.Errorf("HTTP ext_authz: failure_mode_allow %v, cluster %q", http.GetFailureModeAllow(), hs.GetServerUri().GetCluster())
	}
	// The check path must never be one of authz's own routes.
	if p := hs.GetPathPrefix() + healthPath; p == healthPath || strings.HasPrefix(hs.GetPathPrefix(), "/.well-known") {
		t.Errorf("path_prefix %q: Envoy's appended /healthz would reach authz's health route", hs.GetPathPrefix())
	}
	allowed := http.GetAllowedHeaders().GetPatterns()
	for _, h := range []string{"X-MCPAuth-Role", "x_mcpauth_subject", "DPoP", "Mcp-Method", "Mcp-Name", "MCP-Protocol-Version", "Upgrade", "Connection", "HTTP2-Settings"} {
		if !slices.ContainsFunc(allowed, func(m *matcherPattern) bool { return stringMatches(m, h) }) {
			t.Errorf("allowed_headers do not send %s to authz", h)
		}
	}
	up := hs.GetAuthorizationResponse().GetAllowedUpstreamHeaders().GetPatterns()
	for _, h := range identityHeaderNames {
		if !slices.ContainsFunc(up, func(m *matcherPattern) bool { return stringMatches(m, h) }) {
			t.Errorf("allowed_upstream_headers do not copy %s", h)
		}
	}
	for _, h := range []string{"Authorization", "X-Envoy-Auth-Headers-To-Remove", "Set-Cookie"} {
		if slices.ContainsFunc(up, func(m *matcherPattern) bool { return stringMatches(m, h) }) {
			t.Errorf("allowed_upstream_headers copy %s", h)
		}
	}
	onSuccess := hs.GetAuthorizationResponse().GetAllowedClientHeadersOnSuccess().GetPatterns()
	if !slices.ContainsFunc(onSuccess, func(m *matcherPattern) bool { return stringMatches(m, "DPoP-Nonce") }) {
		t.Errorf("allowed_client_headers_on_success lack DPoP-Nonce")
	}
}

// matcherPattern is an Envoy string matcher.
type matcherPattern = matcherv3.StringMatcher

// stringMatches reports whether Envoy's matcher m matches the header name
// (Envoy's header names are lower case). Only exact and prefix matchers
// are expected; any other kind matches nothing.
func stringMatches(m *matcherPattern, name string) bool {
	name = strings.ToLower(name)
	norm := func(s string) string {
		if m.GetIgnoreCase() {
			return strings.ToLower(s)
		}
		return s
	}
	switch p := m.GetMatchPattern().(type) {
	case *matcherv3.StringMatcher_Exact:
		return norm(name) == norm(p.Exact)
	case *matcherv3.StringMatcher_Prefix:
		return strings.HasPrefix(norm(name), norm(p.Prefix))
	}
	return false
}

// itoa formats a port.
func itoa(n uint32) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestGatewayTraefikConfig(t *testing.T) {
	doc := readmeBlock(t, "### Traefik", "yaml")
	var cfg struct {
		HTTP struct {
			Routers map[string]struct {
				Rule        string   `yaml:"rule"`
				Middlewares []string `yaml:"middlewares"`
				Service     string   `yaml:"service"`
			} `yaml:"routers"`
			Middlewares map[string]struct {
				ForwardAuth *struct {
					Address                  string   `yaml:"address"`
					TrustForwardHeader       *bool    `yaml:"trustForwardHeader"`
					AuthResponseHeaders      []string `yaml:"authResponseHeaders"`
					AuthResponseHeadersRegex string   `yaml:"authResponseHeadersRegex"`
				} `yaml:"forwardAuth"`
				Headers *struct {
					CustomRequestHeaders map[string]string `yaml:"customRequestHeaders"`
				} `yaml:"headers"`
			} `yaml:"middlewares"`
			Services map[string]struct {
				LoadBalancer struct {
					Servers []struct {
						URL string `yaml:"url"`
					} `yaml:"servers"`
				} `yaml:"loadBalancer"`
			} `yaml:"services"`
		} `yaml:"http"`
	}
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("the README's Traefik configuration: %v", err)
	}
	h := cfg.HTTP

	fa := h.Middlewares["mcpauth"].ForwardAuth
	if fa == nil {
		t.Fatal("no forwardAuth middleware named mcpauth")
	}
	u, err := url.Parse(fa.Address)
	if err != nil || u.Scheme != "http" || u.Host != readmeAuthzAddr || u.Path == healthPath || strings.HasPrefix(u.Path, "/.well-known/") {
		t.Errorf("forwardAuth address %q: want a check path of authz at %s", fa.Address, readmeAuthzAddr)
	}
	// true would let the client name the method and URI authz decides on.
	if fa.TrustForwardHeader == nil || *fa.TrustForwardHeader {
		t.Errorf("trustForwardHeader must be set to false")
	}
	if !sameNames(fa.AuthResponseHeaders, identityHeaderNames) {
		t.Errorf("authResponseHeaders %q, want authz's identity headers %q", fa.AuthResponseHeaders, identityHeaderNames)
	}
	re, err := regexp.Compile(fa.AuthResponseHeadersRegex)
	if err != nil {
		t.Fatalf("authResponseHeadersRegex: %v", err)
	}
	// Traefik matches it against canonical header names: every spelling
	// of an identity header, and nothing else authz answers or a client
	// needs.
	for _, n := range append(slices.Clone(identityHeaderNames), "x-mcpauth-role", "X_MCPAuth_Subject", "X-MCPAuth_Scopes", "x_mcpauth-issuer") {
		if !re.MatchString(http.CanonicalHeaderKey(n)) {
			t.Errorf("authResponseHeadersRegex misses %s", http.CanonicalHeaderKey(n))
		}
	}
	for _, n := range []string{"Authorization", "Dpop", "Dpop-Nonce", "Mcp-Session-Id", "X-Forwarded-For", "Cache-Control", "X-Envoy-Auth-Headers-To-Remove", "Www-Authenticate", "Y-Mcpauth-Subject"} {
		if re.MatchString(n) {
			t.Errorf("authResponseHeadersRegex matches %s", n)
		}
	}

	// The MCP route: the check first, then the credentials removed.
	noToken := h.Middlewares["mcp-no-token"].Headers
	if noToken == nil {
		t.Fatal("no headers middleware named mcp-no-token")
	}
	for _, name := range []string{"Authorization", "DPoP"} {
		if v, ok := noToken.CustomRequestHeaders[name]; !ok || v != "" {
			t.Errorf("mcp-no-token does not remove %s", name)
		}
	}
	mcpRoute := h.Routers["mcp"]
	if !slices.Equal(mcpRoute.Middlewares, []string{"mcpauth", "mcp-no-token"}) || mcpRoute.Service != "mcp-server" {
		t.Errorf("router mcp: middlewares %q service %q", mcpRoute.Middlewares, mcpRoute.Service)
	}
	meta := h.Routers["mcp-metadata"]
	if meta.Service != "mcpauth" || !strings.Contains(meta.Rule, "PathPrefix(`/.well-known/oauth-protected-resource`)") || len(meta.Middlewares) != 0 {
		t.Errorf("router mcp-metadata: %+v", meta)
	}
	if s := h.Services["mcpauth"].LoadBalancer.Servers; len(s) != 1 || s[0].URL != "http://"+readmeAuthzAddr {
		t.Errorf("service mcpauth: %+v", s)
	}
	if s := h.Services["mcp-server"].LoadBalancer.Servers; len(s) != 1 || s[0].URL != "http://"+readmeServerAddr {
		t.Errorf("service mcp-server: %+v", s)
	}
}

// sameNames reports whether a and b name the same headers, in any order
// and letter case.
func sameNames(a, b []string) bool {
	canon := func(s []string) []string {
		out := make([]string, len(s))
		for i, n := range s {
			out[i] = http.CanonicalHeaderKey(n)
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(canon(a), canon(b))
}
