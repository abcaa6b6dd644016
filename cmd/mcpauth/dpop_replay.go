package main

// dpop_replay.go builds the DPoP replay store of serve, proxy and authz:
// in memory, or Redis (MCPAUTH_DPOP_REPLAY_REDIS_URL) shared by every
// replica of the resource.

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strconv"
	"strings"

	"github.com/mcpauth/mcpauth/dpop"
)

// checkRedisURL validates a replay store URL: redis:// or rediss://, a
// host, an optional port, an optional database number as the path, and
// neither query nor fragment. Its errors never quote the URL, which may
// hold a password.
func checkRedisURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URL; want redis://[:password@]host:port/db or rediss://...")
	}
	switch strings.ToLower(u.Scheme) {
	case "redis", "rediss":
	case "":
		return errors.New("no scheme; want redis://host:port/db or rediss://host:port/db")
	default:
		return errors.New("the scheme is not redis or rediss")
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return errors.New("no host; want redis://host:port/db")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return errors.New("the port is not a number in 1..65535")
		}
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		if n, err := strconv.Atoi(db); err != nil || n < 0 || strconv.Itoa(n) != db {
			return errors.New("the path is not a database number (redis://host:port/0)")
		}
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#") {
		return errors.New("a query or fragment is not supported; the URL is redis://[user:password@]host:port/db")
	}
	return nil
}

// newDPoPVerifier returns the DPoP verifier of a server for resource (nil
// when MCPAUTH_DPOP=off) and a function that releases its replay store.
func newDPoPVerifier(_ context.Context, cfg *serverConfig, resource string, logger *slog.Logger) (*dpop.Verifier, func(), error) {
	s := cfg.dpop
	if s == nil || s.config.Mode == dpop.Off {
		return nil, func() {}, nil
	}
	if s.config.RequireNonce && len(s.config.NonceSecret) == 0 {
		logger.Warn("mcpauth: DPoP nonces use a random secret: a nonce is valid only on the replica that issued it; set the shared secret on every replica",
			slog.String("variable", envDPoPNonceSecret))
	}
	v, err := s.verifier(nil, cfg.now)
	if err != nil {
		return nil, nil, err
	}
	return v, func() {}, nil
}
