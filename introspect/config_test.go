package introspect

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
)

func TestConfigErrors(t *testing.T) {
	valid := Config{
		Endpoint:     "https://as.example.com/introspect",
		Issuer:       testIssuer,
		Audiences:    []string{testAudience},
		ClientID:     "id",
		ClientSecret: "secret",
	}
	for _, tt := range []struct {
		name string
		edit func(c *Config)
		want string // "" means valid
	}{
		{"valid", func(c *Config) {}, ""},
		{"loopback http endpoint", func(c *Config) { c.Endpoint = "http://127.0.0.1:9/introspect" }, ""},
		{"localhost http endpoint", func(c *Config) { c.Endpoint = "http://localhost:9/introspect" }, ""},
		{"discovery only", func(c *Config) { c.Endpoint = "" }, ""},
		{"no issuer", func(c *Config) { c.Issuer = "" }, ""},
		{"post", func(c *Config) { c.AuthMethod = ClientSecretPost }, ""},
		{"cache", func(c *Config) { c.CacheSize, c.CacheMaxAge, c.NegativeCacheMaxAge = 10, time.Minute, -1 }, ""},
		{"plain http endpoint", func(c *Config) { c.Endpoint = "http://as.example.com/introspect" }, "Endpoint \"http://as.example.com/introspect\" uses plain http"},
		{"relative endpoint", func(c *Config) { c.Endpoint = "/introspect" }, "Endpoint \"/introspect\" is not absolute (no scheme)"},
		{"endpoint with fragment", func(c *Config) { c.Endpoint = "https://as.example.com/i#x" }, "must not contain a fragment"},
		{"endpoint password hidden", func(c *Config) { c.Endpoint = "ftp://u:hunter2@as.example.com/" }, "xxxxx"},
		{"plain http issuer", func(c *Config) { c.Issuer = "http://as.example.com" }, "Issuer \"http://as.example.com\" uses plain http"},
		{"issuer with query", func(c *Config) { c.Issuer = "https://as.example.com?a=b" }, "must not have a query"},
		{"issuer with user", func(c *Config) { c.Issuer = "https://u@as.example.com" }, "must not have user info"},
		{"neither", func(c *Config) { c.Endpoint, c.Issuer = "", "" }, "Endpoint is required"},
		{"no audience", func(c *Config) { c.Audiences = nil }, "Audiences: at least one value is required"},
		{"empty audience", func(c *Config) { c.Audiences = []string{""} }, "Audiences: value \"\" is empty"},
		{"no client id", func(c *Config) { c.ClientID = "" }, "ClientID is required"},
		{"no secret", func(c *Config) { c.ClientSecret = "" }, "ClientSecret is required with client_secret_basic"},
		{"unknown method", func(c *Config) { c.AuthMethod = "private_key_jwt" }, "AuthMethod \"private_key_jwt\" is not supported"},
		{"bad scope", func(c *Config) { c.RequiredScopes = []string{"a b"} }, "RequiredScopes: \"a b\" is not a scope token"},
		{"negative timeout", func(c *Config) { c.Timeout = -1 }, "Timeout -1ns is negative"},
		{"negative body cap", func(c *Config) { c.MaxBodyBytes = -1 }, "MaxBodyBytes -1 is negative"},
		{"negative token cap", func(c *Config) { c.MaxTokenBytes = -1 }, "MaxTokenBytes -1 is negative"},
		{"cache too large", func(c *Config) { c.CacheSize = MaxCacheSize + 1 }, "CacheSize 1048577 is out of range"},
		{"max age without cache", func(c *Config) { c.CacheMaxAge = time.Minute }, "the cache is off"},
		{"negative max age", func(c *Config) { c.CacheSize, c.CacheMaxAge = 1, -1 }, "CacheMaxAge -1ns is negative"},
		{"long negative cache", func(c *Config) { c.CacheSize, c.NegativeCacheMaxAge = 1, time.Minute }, "NegativeCacheMaxAge 1m0s is longer than the maximum 10s"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			tt.edit(&c)
			v, err := New(c)
			if tt.want == "" {
				if err != nil || v == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if !errors.Is(err, mcpauth.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New error = %v; want ErrInvalidConfig containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error %q shows a password", err)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	v, err := New(Config{Endpoint: "https://as.example.com/i", Audiences: []string{"a"}, ClientID: "i", ClientSecret: "s", CacheSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := v.cfg
	if c.method != ClientSecretBasic || c.timeout != DefaultTimeout || c.maxBody != DefaultMaxBodyBytes ||
		c.maxToken != DefaultMaxTokenBytes || c.cacheMaxAge != DefaultCacheMaxAge || c.negativeMaxAge != DefaultNegativeCacheMaxAge {
		t.Fatalf("defaults = %+v", c)
	}
	if v, _ := New(Config{Endpoint: "https://as.example.com/i", Audiences: []string{"a"}, ClientID: "i", ClientSecret: "s"}); v.cache != nil {
		t.Fatal("a zero CacheSize must mean no cache")
	}
}

func TestNilOption(t *testing.T) {
	_, err := New(Config{Endpoint: "https://as.example.com/i", Audiences: []string{"a"}, ClientID: "i", ClientSecret: "s"}, nil)
	if !errors.Is(err, mcpauth.ErrInvalidConfig) || !strings.Contains(err.Error(), "option 1 is nil") {
		t.Fatalf("error = %v", err)
	}
	// A nil value inside an option means the default.
	if _, err := New(Config{Endpoint: "https://as.example.com/i", Audiences: []string{"a"}, ClientID: "i", ClientSecret: "s"},
		WithClock(nil), WithHTTPClient(nil), WithLogger(nil)); err != nil {
		t.Fatal(err)
	}
}
