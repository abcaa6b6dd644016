package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/dpop"
)

// KeyPrefix starts every key the store writes.
const KeyPrefix = "mcpauth:dpop:jti:"

// Defaults applied by [New] for zero [Options] fields.
const (
	// DefaultTimeout bounds one SET.
	DefaultTimeout = time.Second
	// DefaultLogInterval is the least time between two fallback logs.
	DefaultLogInterval = 10 * time.Second
)

// Options configure a [Store].
type Options struct {
	// Namespace separates the resources that share one Redis, usually the
	// resource URL; it is hashed into every key. Every replica of one
	// resource must use the same Namespace. Required.
	Namespace string
	// Timeout bounds one call to Redis; zero means DefaultTimeout. The
	// request's context bounds it too.
	Timeout time.Duration
	// Fallback, when set, answers while Redis cannot (an error or a
	// timeout; not a request that was cancelled): usually a
	// dpop.MemoryStore, which protects this process only, so a proof can
	// then be replayed to another replica. nil (the default) fails
	// closed: Seen returns the error and the proof is refused with 503.
	Fallback dpop.ReplayStore
	// Logger receives a record at level error whenever Seen falls back
	// (at most one per LogInterval, with the number of fallbacks since the
	// last one); nil means slog.Default(). Records never hold a key or a
	// password.
	Logger *slog.Logger
	// LogInterval is the least time between two fallback records; zero
	// means DefaultLogInterval.
	LogInterval time.Duration
	// Clock is the clock that turns an expiry into a PX value; nil means
	// time.Now.
	Clock func() time.Time
}

// Store is a [dpop.ReplayStore] in Redis. It is safe for concurrent use.
type Store struct {
	client   redis.UniversalClient
	prefix   string
	timeout  time.Duration
	fallback dpop.ReplayStore
	logger   *slog.Logger
	interval time.Duration
	now      func() time.Time

	mu        sync.Mutex
	lastLog   time.Time
	unlogged  int // fallbacks since the last record
	fallbacks int64
}

// New returns a Store writing through client, which the caller keeps and
// closes. Errors match mcpauth.ErrInvalidConfig.
func New(client redis.UniversalClient, o Options) (*Store, error) {
	switch {
	case client == nil:
		return nil, configErr("nil client")
	case o.Namespace == "":
		return nil, configErr("Options.Namespace is required (the resource URL): replicas of one resource must share it")
	case o.Timeout < 0 || o.LogInterval < 0:
		return nil, configErr("Options.Timeout and Options.LogInterval must not be negative")
	}
	sum := sha256.Sum256([]byte(o.Namespace))
	s := &Store{
		client:   client,
		prefix:   KeyPrefix + base64.RawURLEncoding.EncodeToString(sum[:12]) + ":",
		timeout:  o.Timeout,
		fallback: o.Fallback,
		logger:   o.Logger,
		interval: o.LogInterval,
		now:      o.Clock,
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.interval == 0 {
		s.interval = DefaultLogInterval
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

func configErr(msg string) error {
	return fmt.Errorf("%w: redisstore: %s", mcpauth.ErrInvalidConfig, msg)
}

// Key returns the Redis key under which Seen records the verifier's key.
func (s *Store) Key(key string) string { return s.prefix + key }

// Seen implements [dpop.ReplayStore] with SET key 1 NX PX <ms>: true when
// the key was set, false when it was already there (a replay). A key whose
// expiry has passed is reported fresh without a call, as by
// dpop.MemoryStore: the verifier's window check has refused such proofs.
func (s *Store) Seen(ctx context.Context, key string, expiry time.Time) (bool, error) {
	ttl := expiry.Sub(s.now())
	if ttl <= 0 {
		return true, nil
	}
	ms := (ttl + time.Millisecond - 1) / time.Millisecond
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	err := s.client.Do(cctx, "SET", s.prefix+key, "1", "NX", "PX", int64(ms)).Err()
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, redis.Nil):
		return false, nil
	}
	err = fmt.Errorf("redisstore: SET NX: %w", err)
	if s.fallback == nil || ctx.Err() != nil {
		// No fallback, or the request is gone: its error, not Redis's.
		return false, err
	}
	s.logFallback(ctx, err)
	return s.fallback.Seen(ctx, key, expiry)
}

// logFallback records a fallback, rate-limited.
func (s *Store) logFallback(ctx context.Context, err error) {
	now := s.now()
	s.mu.Lock()
	s.fallbacks++
	s.unlogged++
	if !s.lastLog.IsZero() && now.Sub(s.lastLog) < s.interval {
		s.mu.Unlock()
		return
	}
	n, total := s.unlogged, s.fallbacks
	s.unlogged, s.lastLog = 0, now
	s.mu.Unlock()
	s.logger.LogAttrs(ctx, slog.LevelError,
		"mcpauth: DPoP replay store: Redis cannot answer; using the local fallback store, so proofs can be replayed to other replicas",
		slog.String("error", err.Error()),
		slog.Int("fallbacks", n),
		slog.Int64("fallbacks_total", total))
}

// Fallbacks returns how many times Seen used the fallback store.
func (s *Store) Fallbacks() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fallbacks
}

// ClientOptions returns go-redis client options for rawURL,
// redis://[user:password@]host[:port][/db] or rediss://... (TLS), tuned for
// a replay store: no retries (a SET NX retried after a lost answer would
// see its own key and refuse the proof), one dial retry, dial, read and
// write timeouts of timeout (zero means DefaultTimeout), and context
// deadlines honoured. Its errors never quote the URL, which may hold a
// password; they match mcpauth.ErrInvalidConfig.
func ClientOptions(rawURL string, timeout time.Duration) (*redis.Options, error) {
	if err := checkURL(rawURL); err != nil {
		return nil, configErr(err.Error())
	}
	o, err := redis.ParseURL(rawURL)
	if err != nil {
		// checkURL refused what url.Parse refuses, so err does not quote
		// the URL.
		return nil, configErr(err.Error())
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	o.MaxRetries = -1
	o.DialerRetries = 1
	o.DialerRetryTimeout = 10 * time.Millisecond
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = timeout, timeout, timeout, timeout
	o.ContextTimeoutEnabled = true
	return o, nil
}

// checkURL validates a Redis URL without quoting it.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URL; want redis://[:password@]host:port/db or rediss://host:port/db")
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

// RedactedURL returns rawURL with its password replaced by xxxxx, for logs;
// "" when it is not a URL.
func RedactedURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return u.Redacted()
}
