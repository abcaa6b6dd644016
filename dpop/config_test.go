package dpop

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
)

// TestNewVerifierConfig refuses each invalid configuration with an error
// naming the field.
func TestNewVerifierConfig(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string // substring; "" means accepted
	}{
		{"zero", Config{}, ""},
		{"require with nonces", Config{Mode: Require, RequireNonce: true}, ""},
		{"bad mode", Config{Mode: 7}, "Mode"},
		{"alg none", Config{Algorithms: []string{"none"}}, "none"},
		{"alg HS256", Config{Algorithms: []string{"ES256", "HS256"}}, "HS256 is symmetric"},
		{"alg unknown", Config{Algorithms: []string{"ES256K"}}, "not supported"},
		{"alg Ed448", Config{Algorithms: []string{"Ed448"}}, "Ed448"},
		{"MaxAge too short", Config{MaxAge: time.Millisecond}, "MaxAge"},
		{"MaxAge too long", Config{MaxAge: 2 * time.Hour}, "MaxAge"},
		{"MaxSkew negative", Config{MaxSkew: -time.Second}, "MaxSkew"},
		{"MaxProofBytes too small", Config{MaxProofBytes: 10}, "MaxProofBytes"},
		{"short nonce secret", Config{RequireNonce: true, NonceSecret: []byte("short")}, "NonceSecret"},
		{"nonce secret without nonces", Config{NonceSecret: make([]byte, 32)}, "RequireNonce"},
		{"nonce lifetime", Config{RequireNonce: true, NonceLifetime: time.Millisecond}, "NonceLifetime"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := NewVerifier(c.cfg)
			if c.want == "" {
				if err != nil || v == nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if !errors.Is(err, mcpauth.ErrInvalidConfig) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v; want ErrInvalidConfig mentioning %q", err, c.want)
			}
		})
	}
}

// TestVerifierAccessors reports the configured algorithms and challenge.
func TestVerifierAccessors(t *testing.T) {
	v := newTestVerifier(t, func(c *Config) { c.Algorithms = []string{"ES256", "EdDSA"}; c.Mode = Require })
	if got := v.Challenge(); got != `algs="ES256 EdDSA"` {
		t.Fatalf("Challenge() = %s", got)
	}
	algs := v.Algorithms()
	algs[0] = "none"
	if v.Algorithms()[0] != "ES256" {
		t.Fatal("Algorithms() shares its slice")
	}
	if v.Mode() != Require {
		t.Fatal("Mode()")
	}
	if d := newTestVerifier(t, nil).Algorithms(); strings.Join(d, " ") != strings.Join(DefaultAlgorithms(), " ") {
		t.Fatalf("default algorithms %v", d)
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": Allow, "allow": Allow, " Require ": Require, "OFF": Off} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"on", "true", "required"} {
		if _, err := ParseMode(in); err == nil {
			t.Errorf("ParseMode(%q) accepted", in)
		}
	}
	for m, s := range map[Mode]string{Allow: "allow", Require: "require", Off: "off", 9: "Mode(9)"} {
		if m.String() != s {
			t.Errorf("%d.String() = %s", m, m.String())
		}
	}
}
