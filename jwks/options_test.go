package jwks

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
)

// failingTransport answers every request with an error, so tests that
// create sets for unreachable or non-local URLs never touch the network.
type failingTransport struct{}

func (failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("test transport: no network")
}

func offlineClient() *http.Client { return &http.Client{Transport: failingTransport{}} }

func TestNewRejectsBadURLs(t *testing.T) {
	tests := []struct {
		name, url, want string
		insecure        bool
	}{
		{"empty", "", "empty", false},
		{"relative path", "/jwks.json", "not absolute", false},
		{"no scheme", "example.com/jwks.json", "not absolute", false},
		{"opaque", "https:example.com/jwks", "not hierarchical", false},
		{"ftp", "ftp://example.com/jwks.json", `scheme "ftp"`, false},
		{"file", "file:///etc/jwks.json", `scheme "file"`, false},
		{"no host", "https:///jwks.json", "no host", false},
		{"port only", "https://:443/jwks.json", "no host", false},
		{"fragment", "https://example.com/jwks.json#x", "fragment", false},
		{"empty fragment", "https://example.com/jwks.json#", "fragment", false},
		{"http public host", "http://example.com/jwks.json", "plain http on a non-loopback host", false},
		{"http private ip", "http://10.0.0.1/jwks.json", "plain http on a non-loopback host", false},
		{"http localhost lookalike", "http://localhost.example.com/jwks", "plain http on a non-loopback host", false},
		{"http 0.0.0.0", "http://0.0.0.0/jwks", "plain http on a non-loopback host", false},
		{"http password not echoed", "http://user:s3cret@example.com/jwks.json", "plain http", false},
		{"unparsable password not echoed", "https://user:s3cret@exa mple.com/", "is not a URL", false},
		{"bad port password not echoed", "https://user:s3cret@example.com:x/", "is not a URL", false},
		{"insecure still needs a scheme", "example.com/jwks", "not absolute", true},
		{"insecure still refuses fragments", "http://example.com/j#f", "fragment", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(context.Background(), tt.url, Options{InsecureAllowHTTPJWKS: tt.insecure, HTTPClient: offlineClient()})
			if err == nil {
				s.Close()
				t.Fatalf("New(%q) succeeded, want error", tt.url)
			}
			if !errors.Is(err, mcpauth.ErrInvalidConfig) {
				t.Errorf("error %v does not match mcpauth.ErrInvalidConfig", err)
			}
			if plain := strings.Contains(tt.want, "plain http"); errors.Is(err, ErrPlainHTTP) != plain {
				t.Errorf("errors.Is(%v, ErrPlainHTTP) = %v, want %v", err, !plain, plain)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q echoes the URL password", err)
			}
		})
	}
}

func TestNewAcceptsURLs(t *testing.T) {
	tests := []struct {
		name, url string
		insecure  bool
	}{
		{"https", "https://idp.example.com/.well-known/jwks.json", false},
		{"https with port and query", "https://idp.example.com:8443/keys?tenant=a", false},
		{"upper-case scheme", "HTTPS://idp.example.com/keys", false},
		{"http localhost", "http://localhost:8080/jwks", false},
		{"http LOCALHOST", "http://LOCALHOST/jwks", false},
		{"http 127.0.0.1", "http://127.0.0.1:9/jwks", false},
		{"http 127.1.2.3", "http://127.1.2.3/jwks", false},
		{"http ::1", "http://[::1]:9/jwks", false},
		{"http mapped loopback", "http://[::ffff:127.0.0.1]/jwks", false},
		{"http public host with InsecureAllowHTTPJWKS", "http://idp.example.com/jwks", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(context.Background(), tt.url, Options{
				InsecureAllowHTTPJWKS: tt.insecure,
				HTTPClient:            offlineClient(),
				Logger:                (&logBuffer{}).logger(),
			})
			if err != nil {
				t.Fatalf("New(%q): %v", tt.url, err)
			}
			s.Close()
		})
	}
}

func TestNewDoesNotFailWhenServerIsDown(t *testing.T) {
	srv := newServer(t, nil)
	srv.Close() // nothing listens any more
	opts, _, _ := testOptions()
	s, err := New(context.Background(), srv.URL, opts)
	if err != nil {
		t.Fatalf("New with an unreachable server: %v", err)
	}
	defer s.Close()
	_, err = s.VerificationKey(context.Background(), "k", "RS256")
	if !errors.Is(err, mcpauth.ErrKeySourceUnavailable) || matches(err, wantUnknownKey) {
		t.Fatalf("lookup before any fetch = %v, want mcpauth.ErrKeySourceUnavailable only", err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Options)
		want string
	}{
		{"HS256", func(o *Options) { o.Algorithms = []string{"RS256", "HS256"} }, `symmetric algorithm "HS256"`},
		{"hs512 lower case", func(o *Options) { o.Algorithms = []string{"hs512"} }, "symmetric"},
		{"none", func(o *Options) { o.Algorithms = []string{"none"} }, `"none" is never allowed`},
		{"NoNe", func(o *Options) { o.Algorithms = []string{"NoNe"} }, `"none" is never allowed`},
		{"unknown", func(o *Options) { o.Algorithms = []string{"RSA-OAEP"} }, `unsupported algorithm "RSA-OAEP"`},
		{"wrong case", func(o *Options) { o.Algorithms = []string{"rs256"} }, `unsupported algorithm "rs256"`},
		{"Ed448", func(o *Options) { o.Algorithms = []string{"EdDSA", "Ed448"} }, `algorithm "Ed448": Ed448 (RFC 9864) is not supported: the Go standard library has no Ed448`},
		{"ed25519 wrong case", func(o *Options) { o.Algorithms = []string{"ed25519"} }, `unsupported algorithm "ed25519"`},
		{"empty name", func(o *Options) { o.Algorithms = []string{""} }, "unsupported algorithm"},
		{"negative timeout", func(o *Options) { o.Timeout = -time.Second }, "Timeout must not be negative"},
		{"negative interval", func(o *Options) { o.RefreshInterval = -1 }, "RefreshInterval must not be negative"},
		{"negative rate limit", func(o *Options) { o.RefreshRateLimit = -1 }, "RefreshRateLimit must not be negative"},
		{"negative body cap", func(o *Options) { o.MaxBodyBytes = -1 }, "MaxBodyBytes must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{HTTPClient: offlineClient()}
			tt.mod(&opts)
			s, err := New(context.Background(), "https://idp.example.com/jwks", opts)
			if err == nil {
				s.Close()
				t.Fatal("New succeeded, want error")
			}
			if !errors.Is(err, mcpauth.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q: want mcpauth.ErrInvalidConfig mentioning %q", err, tt.want)
			}
		})
	}
	t.Run("nil context", func(t *testing.T) {
		//lint:ignore SA1012 testing the nil check
		_, err := New(nil, "https://idp.example.com/jwks", Options{})
		if !errors.Is(err, mcpauth.ErrInvalidConfig) {
			t.Fatalf("New(nil ctx) = %v, want mcpauth.ErrInvalidConfig", err)
		}
	})
}

func TestDefaults(t *testing.T) {
	cfg, err := newConfig("https://idp.example.com/jwks", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.timeout != 10*time.Second || cfg.maxBody != 1<<20 || cfg.interval != time.Hour ||
		cfg.rateLimit != 30*time.Second || cfg.allowed != allAlgs || cfg.now == nil || cfg.logger == nil {
		t.Errorf("defaults: timeout %s, maxBody %d, interval %s, rateLimit %s, allowed %s",
			cfg.timeout, cfg.maxBody, cfg.interval, cfg.rateLimit, cfg.allowed)
	}
	if cfg.minBackoff != time.Second || cfg.maxBackoff != 30*time.Second {
		t.Errorf("backoff %s..%s, want 1s..30s", cfg.minBackoff, cfg.maxBackoff)
	}
	if got := cfg.allowed.String(); got != "RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519" {
		t.Errorf("default algorithms %q", got)
	}
	if got := strings.Join(DefaultAlgorithms(), " "); got != cfg.allowed.String() {
		t.Errorf("DefaultAlgorithms() = %q", got)
	}
	short, err := newConfig("https://idp.example.com/jwks", Options{RefreshRateLimit: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if short.minBackoff != 100*time.Millisecond || short.maxBackoff != 100*time.Millisecond {
		t.Errorf("backoff with a 100ms rate limit: %s..%s", short.minBackoff, short.maxBackoff)
	}
}

func TestHTTPClientIsCopiedAndRedirectsDisabled(t *testing.T) {
	followed := 0
	mine := &http.Client{
		Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			followed++
			return nil
		},
	}
	cfg, err := newConfig("https://idp.example.com/jwks", Options{HTTPClient: mine})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.client == mine {
		t.Fatal("the caller's client is used directly")
	}
	if mine.CheckRedirect == nil || cfg.client.CheckRedirect == nil {
		t.Fatal("CheckRedirect lost")
	}
	if err := cfg.client.CheckRedirect(nil, nil); !errors.Is(err, http.ErrUseLastResponse) {
		t.Fatalf("copied client's CheckRedirect = %v, want http.ErrUseLastResponse", err)
	}
	_ = mine.CheckRedirect(nil, nil)
	if followed != 1 {
		t.Fatal("the caller's CheckRedirect was replaced")
	}
	if cfg.client.Timeout != time.Minute {
		t.Fatal("client settings not copied")
	}
}
