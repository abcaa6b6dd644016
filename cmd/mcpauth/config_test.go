package main

import (
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
	"github.com/mcpauth/mcpauth/verify"
)

func TestServerConfigErrors(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens.json")
	if err := os.WriteFile(tokens, []byte(`{"dev-token-123": {"client_id": "dev", "scopes": ["read"]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	key := "MCPAUTH_JWT_PUBLIC_KEY=" + kp.PublicKeyPEM()
	issuer := "MCPAUTH_JWT_ISSUER=" + iss
	tests := []struct {
		name    string
		command string
		args    []string
		environ []string
		want    string // must appear in the one-line error
	}{
		{"unknown variable", "serve", nil, []string{"MCPAUTH_ADRR=:1"}, "unknown environment variable MCPAUTH_ADRR; did you mean MCPAUTH_ADDR?"},
		{"unknown variable far from any", "serve", nil, []string{"MCPAUTH_SOMETHING_ELSE=1"}, "unknown environment variable MCPAUTH_SOMETHING_ELSE (known: MCPAUTH_ADDR"},
		{"lower-case typo", "serve", nil, []string{"mcpauth_jwt_audiences=x"}, "unknown environment variable MCPAUTH_JWT_AUDIENCES; did you mean MCPAUTH_JWT_AUDIENCE?"},
		{"renamed variable", "serve", nil, []string{"MCPAUTH_JWT_REQUIRE_AT_JWT=true"}, "MCPAUTH_JWT_REQUIRE_AT_JWT was renamed to MCPAUTH_JWT_REQUIRE_ACCESS_TOKEN_TYPE"},
		{"two spellings", "serve", nil, []string{"MCPAUTH_JWT_ISSUER=" + iss, "mcpauth_jwt_issuer=" + iss}, "MCPAUTH_JWT_ISSUER and mcpauth_jwt_issuer are both set"},
		{"two FastMCP spellings", "serve", nil, []string{"FASTMCP_SERVER_AUTH_JWT_ISSUER=" + iss, "Fastmcp_Server_Auth_Jwt_Issuer=" + iss}, "FASTMCP_SERVER_AUTH_JWT_ISSUER and Fastmcp_Server_Auth_Jwt_Issuer are both set"},
		{"lower-case FastMCP leeway", "serve", nil, []string{"MCPAUTH_ADDR=127.0.0.1:0", "fastmcp_server_auth_jwt_public_key=" + kp.PublicKeyPEM(), "fastmcp_server_auth_jwt_issuer=" + iss, "fastmcp_server_auth_jwt_leeway=10m"},
			"FASTMCP_SERVER_AUTH_JWT_LEEWAY=10m0s is larger than the maximum 5m0s; set at most 5m0s, or 0s for no leeway"},
		{"FastMCP key without issuer", "serve", nil, []string{"fastmcp_server_auth_jwt_public_key=" + kp.PublicKeyPEM()}, "FASTMCP_SERVER_AUTH_JWT_ISSUER is required"},
		{"unknown JWT variable", "serve", nil, []string{"MCPAUTH_JWT_AUDIENCES=x"}, "MCPAUTH_JWT_AUDIENCES"},
		{"upstream for serve", "serve", nil, []string{"MCPAUTH_UPSTREAM=http://127.0.0.1:1/mcp"}, "MCPAUTH_UPSTREAM is read only by mcpauth proxy"},
		{"bad log level", "serve", nil, []string{"MCPAUTH_LOG_LEVEL=loud"}, "MCPAUTH_LOG_LEVEL"},
		{"bad addr variable", "serve", nil, []string{"MCPAUTH_ADDR=nowhere"}, "MCPAUTH_ADDR"},
		{"bad addr port", "serve", nil, []string{"MCPAUTH_ADDR=127.0.0.1:99999"}, "MCPAUTH_ADDR"},
		{"bad addr flag", "serve", []string{"-addr", "x"}, nil, "-addr"},
		{"stray argument", "serve", []string{"extra"}, nil, "serve takes no arguments"},
		{"base URL scheme", "serve", nil, []string{"MCPAUTH_JWT_BASE_URL=ftp://mcp.example.com"}, "MCPAUTH_JWT_BASE_URL"},
		{"base URL query", "serve", nil, []string{"MCPAUTH_JWT_BASE_URL=https://mcp.example.com/?a=b"}, "MCPAUTH_JWT_BASE_URL"},
		{"base URL user", "serve", nil, []string{"MCPAUTH_JWT_BASE_URL=https://u:p@mcp.example.com"}, "MCPAUTH_JWT_BASE_URL"},
		{"base URL path", "serve", nil, []string{"MCPAUTH_JWT_BASE_URL=https://mcp.example.com/a%20b"}, "MCPAUTH_JWT_BASE_URL"},
		{"base URL dot segment", "serve", nil, []string{"MCPAUTH_JWT_BASE_URL=https://mcp.example.com/a/../b"}, "MCPAUTH_JWT_BASE_URL"},
		{"base URL empty segment", "serve", nil, []string{"MCPAUTH_JWT_BASE_URL=https://mcp.example.com//a"}, "MCPAUTH_JWT_BASE_URL"},
		{"base URL is the endpoint", "serve", nil, []string{"MCPAUTH_JWT_BASE_URL=https://mcp.example.com/mcp"}, "set MCPAUTH_JWT_BASE_URL to https://mcp.example.com"},
		{"base URL is the endpoint with slash", "proxy", []string{"-upstream", "http://127.0.0.1:1/mcp"}, []string{key, issuer, "MCPAUTH_JWT_BASE_URL=https://mcp.example.com/api/mcp/"}, "https://mcp.example.com/api/mcp/mcp"},
		{"authorization servers", "serve", nil, []string{"MCPAUTH_AUTHORIZATION_SERVERS=https://as.example.com,,"}, "MCPAUTH_AUTHORIZATION_SERVERS"},
		{"authorization server not a URL", "serve", nil, []string{"MCPAUTH_AUTHORIZATION_SERVERS=as.example.com"}, "MCPAUTH_AUTHORIZATION_SERVERS"},
		{"static and key", "serve", nil, []string{"MCPAUTH_STATIC_TOKENS_FILE=" + tokens, key, issuer}, "mutually exclusive"},
		{"static and audience", "serve", nil, []string{"MCPAUTH_STATIC_TOKENS_FILE=" + tokens, "MCPAUTH_JWT_AUDIENCE=x"}, "MCPAUTH_JWT_AUDIENCE cannot be used with MCPAUTH_STATIC_TOKENS_FILE"},
		{"static file missing", "serve", nil, []string{"MCPAUTH_STATIC_TOKENS_FILE=" + filepath.Join(dir, "nope.json")}, "MCPAUTH_STATIC_TOKENS_FILE"},
		{"key without issuer", "serve", nil, []string{key}, "MCPAUTH_JWT_ISSUER is required"},
		{"issuer not advertisable", "serve", nil, []string{key, "MCPAUTH_JWT_ISSUER=issuer-without-scheme"}, "MCPAUTH_AUTHORIZATION_SERVERS"},
		{"two issuers without key, one plain http", "serve", nil, []string{"MCPAUTH_ADDR=127.0.0.1:0", "MCPAUTH_JWT_ISSUER=http://b.example.com,https://a.example.com"}, "provider http://b.example.com: MCPAUTH_JWT_ISSUER \"http://b.example.com\" uses plain http on a non-loopback host: use https, or set MCPAUTH_JWT_INSECURE_ALLOW_HTTP_JWKS=true"},
		{"audience without key", "serve", nil, []string{"MCPAUTH_JWT_AUDIENCE=x"}, "MCPAUTH_JWT_AUDIENCE is set but no key source is"},
		{"bad JWT duration", "serve", nil, []string{"MCPAUTH_JWT_JWKS_TIMEOUT=soon"}, "MCPAUTH_JWT_JWKS_TIMEOUT"},
		// Detected when the verifier is built, after listening.
		{"bad key", "serve", nil, []string{"MCPAUTH_ADDR=127.0.0.1:0", "MCPAUTH_JWT_PUBLIC_KEY=not a key", issuer}, "MCPAUTH_JWT_* settings"},
		{"proxy without verifier", "proxy", []string{"-upstream", "http://127.0.0.1:1/mcp"}, nil, "no verifier configured"},
		{"proxy without upstream", "proxy", nil, []string{key, issuer}, "MCPAUTH_UPSTREAM"},
		{"proxy bad upstream variable", "proxy", nil, []string{key, issuer, "MCPAUTH_UPSTREAM=127.0.0.1:9000"}, "MCPAUTH_UPSTREAM"},
		{"proxy upstream with user", "proxy", nil, []string{key, issuer, "MCPAUTH_UPSTREAM=http://u:p@127.0.0.1:9000"}, "MCPAUTH_UPSTREAM"},
		{"trusted proxies for serve", "serve", nil, []string{"MCPAUTH_TRUSTED_PROXIES=10.0.0.0/8"}, "MCPAUTH_TRUSTED_PROXIES is read only by mcpauth proxy"},
		{"trusted proxy not an address", "proxy", nil, []string{key, issuer, "MCPAUTH_UPSTREAM=http://127.0.0.1:9000/mcp", "MCPAUTH_TRUSTED_PROXIES=gateway.internal"}, `MCPAUTH_TRUSTED_PROXIES: "gateway.internal" is not an IP address or CIDR prefix`},
		{"trusted proxy with host bits", "proxy", nil, []string{key, issuer, "MCPAUTH_UPSTREAM=http://127.0.0.1:9000/mcp", "MCPAUTH_TRUSTED_PROXIES=10.1.2.3/8"}, "did you mean 10.0.0.0/8"},
		{"trusted proxies empty item", "proxy", nil, []string{key, issuer, "MCPAUTH_UPSTREAM=http://127.0.0.1:9000/mcp", "MCPAUTH_TRUSTED_PROXIES=10.0.0.0/8,,192.0.2.1"}, "MCPAUTH_TRUSTED_PROXIES has an empty item"},
		{"proxy bad upstream flag", "proxy", []string{"-upstream", "ftp://x/mcp"}, []string{key, issuer}, "-upstream"},
		{"metrics address not host:port", "serve", nil, []string{"MCPAUTH_METRICS_ADDR=9090"}, `MCPAUTH_METRICS_ADDR "9090" is not host:port`},
		{"traces exporter not otlp", "serve", nil, []string{"OTEL_TRACES_EXPORTER=zipkin"}, `OTEL_TRACES_EXPORTER="zipkin": mcpauth exports traces with otlp only`},
		{"otlp http/json", "proxy", nil, []string{key, issuer, "MCPAUTH_UPSTREAM=http://127.0.0.1:9000/mcp", "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318", "OTEL_EXPORTER_OTLP_PROTOCOL=http/json"}, `OTEL_EXPORTER_OTLP_PROTOCOL="http/json"`},
		{"otlp endpoint without scheme", "serve", nil, []string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=collector:4318"}, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"},
		{"propagator b3", "authz", nil, []string{key, issuer, "MCPAUTH_JWT_BASE_URL=https://mcp.example.com", "OTEL_PROPAGATORS=tracecontext,b3"}, `OTEL_PROPAGATORS="tracecontext,b3": "b3" is not supported`},
		{"sdk disabled not a boolean", "serve", nil, []string{"OTEL_SDK_DISABLED=yes"}, "OTEL_SDK_DISABLED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			environ := append([]string{"PATH=/usr/bin"}, tt.environ...)
			code, stdout, stderr := runCmd(t, "", environ, append([]string{tt.command}, tt.args...)...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitUsage, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "mcpauth: ") {
				t.Errorf("stderr is not one error line: %q", stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tt.want)
			}
			if strings.Contains(stderr, "-----BEGIN") {
				t.Errorf("stderr echoes the key: %q", stderr)
			}
		})
	}
}

func TestServerConfigValues(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	t.Run("defaults", func(t *testing.T) {
		cfg, err := configFromEnv("serve", nil, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if cfg.addr != defaultAddr || cfg.mode != modeDemo || cfg.logLevel != slog.LevelInfo || cfg.baseURL != "" {
			t.Errorf("got addr %q mode %v level %v base %q", cfg.addr, cfg.mode, cfg.logLevel, cfg.baseURL)
		}
	})
	t.Run("flag wins over variable", func(t *testing.T) {
		cfg, err := configFromEnv("proxy", pemVars(kp, envAddr, "127.0.0.1:1", envUpstream, "http://127.0.0.1:2/a"), "127.0.0.1:3", "http://127.0.0.1:4/b")
		if err != nil {
			t.Fatal(err)
		}
		if cfg.addr != "127.0.0.1:3" || cfg.upstream.String() != "http://127.0.0.1:4/b" || cfg.mode != modeJWT {
			t.Errorf("got addr %q upstream %v mode %v", cfg.addr, cfg.upstream, cfg.mode)
		}
	})
	t.Run("variables", func(t *testing.T) {
		cfg, err := configFromEnv("proxy", pemVars(kp, envAddr, "0.0.0.0:8080", envUpstream, "http://mcp-server:8000/mcp",
			envLogLevel, "DEBUG", envBaseURL, "https://mcp.example.com/tenant-1/", envAuthServers, "https://as1.example.com, https://as2.example.com"), "", "")
		if err != nil {
			t.Fatal(err)
		}
		if cfg.addr != "0.0.0.0:8080" || cfg.upstream.Host != "mcp-server:8000" || cfg.logLevel != slog.LevelDebug ||
			cfg.baseURL != "https://mcp.example.com/tenant-1" || strings.Join(cfg.authServers, " ") != "https://as1.example.com https://as2.example.com" {
			t.Errorf("got %+v", cfg)
		}
	})
}

func TestServerHelpDocumentsEveryVariable(t *testing.T) {
	for _, command := range []string{"serve", "proxy"} {
		t.Run(command, func(t *testing.T) {
			code, _, stderr := runCmd(t, "", nil, command, "-h")
			if code != exitOK {
				t.Fatalf("exit %d", code)
			}
			want := append(verify.EnvVariables(verify.EnvPrefix), envAddr, envStaticTokens, envAuthServers, envLogLevel, "-addr", envPolicyFile, envPolicyDenyUnlisted, envScopePrefix,
				envMetricsAddr, "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_TRACES_EXPORTER", "OTEL_SDK_DISABLED", "OTEL_SERVICE_NAME", "OTEL_PROPAGATORS")
			if command == "proxy" {
				want = append(want, envUpstream, "-upstream", headerClientID, headerSubject, headerScopes, headerIssuer, headerExpiresAt, headerDPoPJKT)
			}
			for _, name := range want {
				if !strings.Contains(stderr, name) {
					t.Errorf("help does not mention %s", name)
				}
			}
			// The settings rows come from verify.EnvTable, defaults
			// included; serve and proxy override three of them.
			for _, v := range verify.EnvTable(verify.EnvPrefix) {
				line := helpLine(stderr, v.Name)
				if !strings.Contains(line, v.Help) || (!strings.Contains(line, "(default: "+v.Default+")") && v.Name != envIssuer && v.Name != envAudience && v.Name != envBaseURL) {
					t.Errorf("help line %q does not show %s's meaning and default %q", line, v.Name, v.Default)
				}
			}
			// No default the binary does not have (the address in a
			// container is whatever the image sets).
			if strings.Contains(stderr, "in a container") {
				t.Errorf("help claims a container default")
			}
		})
	}
	code, stdout, _ := runCmd(t, "", nil, "help")
	if code != exitOK || !strings.Contains(stdout, "mcpauth serve") || !strings.Contains(stdout, "mcpauth proxy") {
		t.Errorf("main usage does not list serve and proxy:\n%s", stdout)
	}
}

// TestServeReadsFastMCPVariables: a FastMCP env file carries over to serve.
func TestServeReadsFastMCPVariables(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	fast := map[string]string{
		"FASTMCP_SERVER_AUTH_JWT_PUBLIC_KEY":      kp.PublicKeyPEM(),
		"FASTMCP_SERVER_AUTH_JWT_ISSUER":          iss,
		"FASTMCP_SERVER_AUTH_JWT_ALGORITHM":       "RS256",
		"FASTMCP_SERVER_AUTH_JWT_REQUIRED_SCOPES": `["mcp:tools"]`,
	}
	vars, err := withFastMCPSettings(map[string]string{"MCPAUTH_LOG_LEVEL": "debug"}, fast)
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, "serve", vars)
	ok := mintFor(t, kp, ts, testkeys.TokenOptions{Scopes: []string{"mcp:tools"}})
	if status, _, _ := callWhoami(t, ts.mcp(), ok); status != http.StatusOK {
		t.Fatalf("FastMCP-configured serve: %d", status)
	}
	if status, _, _ := callWhoami(t, ts.mcp(), mintFor(t, kp, ts, testkeys.TokenOptions{})); status != http.StatusForbidden {
		t.Fatalf("FastMCP REQUIRED_SCOPES not applied: %d", status)
	}

	if _, err := withFastMCPSettings(map[string]string{"MCPAUTH_JWT_ISSUER": iss}, fast); err == nil || !strings.Contains(err.Error(), "use one family") {
		t.Fatalf("both families: %v", err)
	}
	if _, err := withFastMCPSettings(nil, map[string]string{"FASTMCP_SERVER_AUTH_JWT_ISSUR": iss}); err == nil || !strings.Contains(err.Error(), "FASTMCP_SERVER_AUTH_JWT_ISSUR") {
		t.Fatalf("typo not named: %v", err)
	}
	// Through the command line parser, errors are one line naming the variable.
	code, _, stderr := runCmd(t, "", []string{"FASTMCP_SERVER_AUTH_JWT_LEEWAY=soon"}, "serve")
	if code != exitUsage || !strings.Contains(stderr, "FASTMCP_SERVER_AUTH_JWT_LEEWAY") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

// helpLine returns the line of the help's environment table for name.
func helpLine(help, name string) string {
	_, table, _ := strings.Cut(help, "\nEnvironment (")
	for _, l := range strings.Split(table, "\n") {
		if strings.HasPrefix(l, "  "+name+" ") {
			return l
		}
	}
	return ""
}

// TestServerConfigAnyLetterCase: serve and proxy read their variables in any
// letter case, as FastMCP does, so a lower-case required scope is enforced,
// never ignored.
func TestServerConfigAnyLetterCase(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	for _, environ := range [][]string{
		{"mcpauth_jwt_public_key=" + kp.PublicKeyPEM(), "Mcpauth_Jwt_Issuer=" + iss, "mcpauth_jwt_required_scopes=admin", "mcpauth_addr=127.0.0.1:9"},
		{"fastmcp_server_auth_jwt_public_key=" + kp.PublicKeyPEM(), "FASTMCP_SERVER_AUTH_JWT_ISSUER=" + iss, "fastmcp_server_auth_jwt_required_scopes=admin", "mcpauth_addr=127.0.0.1:9"},
	} {
		var stderr strings.Builder
		cfg, code, done := parseServerConfig("serve", nil, env{stderr: &stderr, environ: environ})
		if done {
			t.Fatalf("%v: exit %d: %s", environ, code, stderr.String())
		}
		if !slices.Equal(cfg.settings.RequiredScopes, []string{"admin"}) || cfg.addr != "127.0.0.1:9" || cfg.mode != modeJWT {
			t.Fatalf("%v: scopes %v addr %q mode %v", environ, cfg.settings.RequiredScopes, cfg.addr, cfg.mode)
		}
	}
}
