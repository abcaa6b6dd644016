package main

// dpop_config.go decides DPoP (RFC 9449) for serve, proxy and authz: the
// MCPAUTH_DPOP mode, the proof window, server nonces and the replay store
// (in memory, or Redis shared by the replicas), and builds the verifier.

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/dpop"
	"github.com/mcpauth/mcpauth/dpop/redisstore"
)

// DPoP variables. MCPAUTH_DPOP and MCPAUTH_DPOP_REPLAY_REDIS_URL are a
// fixed interface (issue 13).
const (
	envDPoP              = "MCPAUTH_DPOP"
	envDPoPMaxAge        = "MCPAUTH_DPOP_MAX_AGE"
	envDPoPMaxSkew       = "MCPAUTH_DPOP_MAX_SKEW"
	envDPoPAlgorithms    = "MCPAUTH_DPOP_ALGORITHMS"
	envDPoPNonce         = "MCPAUTH_DPOP_NONCE"
	envDPoPNonceSecret   = "MCPAUTH_DPOP_NONCE_SECRET"
	envDPoPNonceLifetime = "MCPAUTH_DPOP_NONCE_LIFETIME"
	envDPoPRedisURL      = "MCPAUTH_DPOP_REPLAY_REDIS_URL"
	envDPoPFallback      = "MCPAUTH_DPOP_REPLAY_FALLBACK"
	envDPoPReplayTimeout = "MCPAUTH_DPOP_REPLAY_TIMEOUT"
)

// dpopVariables lists the DPoP variables with their help text, in help
// order.
var dpopVariables = []struct{ name, help string }{
	{envDPoP, "allow (default: Bearer tokens as before, DPoP-bound tokens only with the DPoP"},
	{"", "scheme and a valid proof), require (only DPoP-bound, proven tokens) or off"},
	{"", "(the DPoP scheme is refused)"},
	{envDPoPMaxAge, "how old a proof's iat may be, Go duration (default 60s; 1s..1h); the"},
	{"", "replay store keeps each proof this long"},
	{envDPoPMaxSkew, "how far in the future a proof's iat may be (default 5s; 0s..1h)"},
	{envDPoPAlgorithms, "proof algorithms, comma-separated (default: every asymmetric one)"},
	{envDPoPNonce, "true: proofs must carry a server nonce (RFC 9449 §8, DPoP-Nonce header)"},
	{envDPoPNonceSecret, "secret of the nonces, at least 32 bytes; replicas must share it"},
	{"", "(default: random per process: a nonce works only on the replica that issued it)"},
	{envDPoPNonceLifetime, "how long a nonce is current, Go duration (default 5m; accepted one more)"},
	{envDPoPRedisURL, "redis://[:password@]host:port/db (or rediss://): the replay store shared"},
	{"", "by every replica of the resource (default: in memory, this process only)"},
	{envDPoPFallback, "local: while Redis cannot answer, use the in-memory store, logged at level"},
	{"", "error (default unset: such proofs get 503; a replay is never accepted)"},
	{envDPoPReplayTimeout, "timeout of one Redis call, Go duration (default 1s; never past the request)"},
}

// dpopVars are the names of the DPoP variables.
var dpopVars = func() []string {
	var out []string
	for _, v := range dpopVariables {
		if v.name != "" {
			out = append(out, v.name)
		}
	}
	return out
}()

// dpopHelp is the help section of the DPoP variables.
func dpopHelp(row func(name, desc string)) {
	for _, v := range dpopVariables {
		row(v.name, v.help)
	}
}

// defaultReplayTimeout bounds one call to the Redis replay store.
const defaultReplayTimeout = time.Second

// dpopSettings is the validated DPoP configuration.
type dpopSettings struct {
	config dpop.Config // without ReplayStore and Clock
	// redisURL is MCPAUTH_DPOP_REPLAY_REDIS_URL; "" for the in-memory store.
	redisURL string
	// fallbackLocal: MCPAUTH_DPOP_REPLAY_FALLBACK=local.
	fallbackLocal bool
	replayTimeout time.Duration
}

// dpopFromEnv validates the DPoP variables (get returns a trimmed value).
func dpopFromEnv(get func(string) string) (*dpopSettings, error) {
	mode, err := dpop.ParseMode(get(envDPoP))
	if err != nil {
		return nil, configErrorf("%s %q is not one of allow (the default), require, off", envDPoP, get(envDPoP))
	}
	s := &dpopSettings{config: dpop.Config{Mode: mode}, replayTimeout: defaultReplayTimeout}
	if mode == dpop.Off {
		for _, name := range dpopVars[1:] {
			if get(name) != "" {
				return nil, configErrorf("%s has no effect with %s=off; unset it", name, envDPoP)
			}
		}
		return s, nil
	}
	// duration reads a Go duration. The library reads zero as its default:
	// zero is refused unless zero substitutes for it (the smallest value
	// with the same effect), rather than run with another value than the
	// one written.
	duration := func(name string, dst *time.Duration, zero time.Duration) error {
		raw := get(name)
		if raw == "" {
			return nil
		}
		d, err := time.ParseDuration(raw)
		switch {
		case err != nil:
			return configErrorf("%s %q is not a Go duration (such as 60s or 2m)", name, raw)
		case d == 0 && zero == 0:
			return configErrorf("%s must be greater than 0s", name)
		case d == 0:
			d = zero
		}
		*dst = d
		return nil
	}
	c := &s.config
	if err := duration(envDPoPMaxAge, &c.MaxAge, 0); err != nil {
		return nil, err
	}
	// No skew at all is a valid choice: 1ns, as iat has whole seconds.
	if err := duration(envDPoPMaxSkew, &c.MaxSkew, time.Nanosecond); err != nil {
		return nil, err
	}
	if raw := get(envDPoPAlgorithms); raw != "" {
		for a := range strings.SplitSeq(raw, ",") {
			a = strings.TrimSpace(a)
			if a == "" {
				return nil, configErrorf("%s has an empty item", envDPoPAlgorithms)
			}
			c.Algorithms = append(c.Algorithms, a)
		}
	}
	if raw := get(envDPoPNonce); raw != "" {
		if c.RequireNonce, err = strconv.ParseBool(raw); err != nil {
			return nil, configErrorf("%s %q is not true or false", envDPoPNonce, raw)
		}
	}
	if secret := get(envDPoPNonceSecret); secret != "" {
		if !c.RequireNonce {
			return nil, configErrorf("%s is set but %s is not true; set both or neither", envDPoPNonceSecret, envDPoPNonce)
		}
		c.NonceSecret = []byte(secret)
	}
	if get(envDPoPNonceLifetime) != "" && !c.RequireNonce {
		return nil, configErrorf("%s is set but %s is not true; set both or neither", envDPoPNonceLifetime, envDPoPNonce)
	}
	if err := duration(envDPoPNonceLifetime, &c.NonceLifetime, 0); err != nil {
		return nil, err
	}
	if err := replayFromEnv(s, get); err != nil {
		return nil, err
	}
	// The library checks the ranges; its messages name the Config fields,
	// which are the variables here.
	if _, err := dpop.NewVerifier(dpopConfigForCheck(s.config)); err != nil {
		msg := strings.TrimPrefix(err.Error(), mcpauth.ErrInvalidConfig.Error()+": dpop: ")
		msg = strings.NewReplacer(
			"MaxAge", envDPoPMaxAge,
			"MaxSkew", envDPoPMaxSkew,
			"Algorithms", envDPoPAlgorithms,
			"NonceSecret", envDPoPNonceSecret,
			"NonceLifetime", envDPoPNonceLifetime,
		).Replace(msg)
		return nil, configErrorf("%s", msg)
	}
	return s, nil
}

// dpopConfigForCheck returns c with a replay store that holds nothing, so
// that validating it allocates no real store.
func dpopConfigForCheck(c dpop.Config) dpop.Config {
	c.ReplayStore = dpop.NewMemoryStore(1, nil)
	return c
}

// replayFromEnv reads the replay store variables into s.
func replayFromEnv(s *dpopSettings, get func(string) string) error {
	redisURL, fallback, timeout := get(envDPoPRedisURL), get(envDPoPFallback), get(envDPoPReplayTimeout)
	if redisURL == "" {
		if fallback != "" {
			return configErrorf("%s is set without %s; unset it (the in-memory store has nothing to fall back from)", envDPoPFallback, envDPoPRedisURL)
		}
		if timeout != "" {
			return configErrorf("%s is set without %s; unset it", envDPoPReplayTimeout, envDPoPRedisURL)
		}
		return nil
	}
	s.redisURL = redisURL
	switch strings.ToLower(fallback) {
	case "":
	case "local":
		s.fallbackLocal = true
	default:
		return configErrorf("%s %q is not local (unset: a proof is refused with 503 while Redis cannot answer)", envDPoPFallback, fallback)
	}
	if timeout != "" {
		d, err := time.ParseDuration(timeout)
		switch {
		case err != nil:
			return configErrorf("%s %q is not a Go duration (such as 500ms)", envDPoPReplayTimeout, timeout)
		case d < time.Millisecond || d > time.Minute:
			return configErrorf("%s %v is outside 1ms..1m", envDPoPReplayTimeout, d)
		}
		s.replayTimeout = d
	}
	// Validated now, so that a bad URL stops the start; the error never
	// quotes the URL, which may hold a password.
	if _, err := redisstore.ClientOptions(redisURL, s.replayTimeout); err != nil {
		return configErrorf("%s: %s", envDPoPRedisURL, strings.TrimPrefix(err.Error(), mcpauth.ErrInvalidConfig.Error()+": redisstore: "))
	}
	return nil
}

// dpopVerifier builds the DPoP verifier with store (nil: in memory) and
// clock (nil: time.Now).
func (s *dpopSettings) verifier(store dpop.ReplayStore, now func() time.Time) (*dpop.Verifier, error) {
	c := s.config
	c.ReplayStore, c.Clock = store, now
	v, err := dpop.NewVerifier(c)
	if err != nil {
		return nil, fmt.Errorf("DPoP: %w", err)
	}
	return v, nil
}
