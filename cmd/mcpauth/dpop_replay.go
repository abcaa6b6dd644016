package main

// dpop_replay.go builds the DPoP verifier of serve, proxy and authz and its
// replay store: in memory, or Redis (MCPAUTH_DPOP_REPLAY_REDIS_URL) shared
// by every replica of the resource.

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"

	"github.com/mcpauth/mcpauth/dpop"
	"github.com/mcpauth/mcpauth/dpop/redisstore"
)

// newDPoPVerifier returns the DPoP verifier of a server for resource (nil
// when MCPAUTH_DPOP=off) and a function that releases its replay store.
func newDPoPVerifier(ctx context.Context, cfg *serverConfig, resource string, logger *slog.Logger) (*dpop.Verifier, func(), error) {
	s := cfg.dpop
	if s == nil || s.config.Mode == dpop.Off {
		return nil, func() {}, nil
	}
	if s.config.RequireNonce && len(s.config.NonceSecret) == 0 {
		logger.Warn("mcpauth: DPoP nonces use a random secret: a nonce is valid only on the replica that issued it; set the shared secret on every replica",
			slog.String("variable", envDPoPNonceSecret))
	}
	var store dpop.ReplayStore
	closeFn := func() {}
	if s.redisURL != "" {
		rs, client, err := newRedisReplayStore(ctx, s, resource, cfg, logger)
		if err != nil {
			return nil, nil, err
		}
		store, closeFn = rs, func() { client.Close() }
	}
	v, err := s.verifier(store, cfg.now)
	if err != nil {
		closeFn()
		return nil, nil, err
	}
	return v, closeFn, nil
}

// newRedisReplayStore connects the Redis replay store for resource. A Redis
// that does not answer now is logged, not fatal: proofs get 503 until it
// answers (or use the fallback), as requests get 503 while no
// verification keys are available.
func newRedisReplayStore(ctx context.Context, s *dpopSettings, resource string, cfg *serverConfig, logger *slog.Logger) (*redisstore.Store, *redis.Client, error) {
	opts, err := redisstore.ClientOptions(s.redisURL, s.replayTimeout)
	if err != nil {
		return nil, nil, configErrorf("%s: %v", envDPoPRedisURL, err)
	}
	redisLogger.Store(logger)
	redisLoggerOnce.Do(func() { redis.SetLogger(redisLog{}) })
	client := redis.NewClient(opts)
	o := redisstore.Options{Namespace: resource, Timeout: s.replayTimeout, Logger: logger, Clock: cfg.now}
	where := slog.String("redis", redisstore.RedactedURL(s.redisURL))
	if s.fallbackLocal {
		o.Fallback = dpop.NewMemoryStore(0, cfg.now)
		logger.Warn("mcpauth: DPoP replay store: while Redis cannot answer, proofs are checked against this process's memory only, so they can be replayed to other replicas",
			where, slog.String("variable", envDPoPFallback))
	}
	store, err := redisstore.New(client, o)
	if err != nil {
		client.Close()
		return nil, nil, fmt.Errorf("DPoP replay store: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, s.replayTimeout)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		logger.Error("mcpauth: DPoP replay store: Redis does not answer; DPoP proofs get 503 until it does", where, slog.String("error", err.Error()))
	} else {
		logger.Info("mcpauth: DPoP replay store: Redis", where)
	}
	return store, client, nil
}

// go-redis logs through one process-wide logger: its lines (a failed dial,
// with the address only) go to the last server's logger at level debug,
// since the replay store logs what matters itself.
var (
	redisLogger     atomic.Pointer[slog.Logger]
	redisLoggerOnce sync.Once
)

// redisLog is go-redis's logger.
type redisLog struct{}

func (redisLog) Printf(ctx context.Context, format string, v ...any) {
	if l := redisLogger.Load(); l != nil {
		l.Log(ctx, slog.LevelDebug, "mcpauth: go-redis: "+fmt.Sprintf(format, v...))
	}
}
