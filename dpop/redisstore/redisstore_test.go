package redisstore_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/dpop"
	"github.com/mcpauth/mcpauth/dpop/redisstore"
	"github.com/mcpauth/mcpauth/internal/redistest"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// TestMain fails the package's tests when a goroutine they started is
// still running after the last test (go.uber.org/goleak).
func TestMain(m *testing.M) {
	redis.SetLogger(quiet{}) // the tests stop Redis on purpose
	goleak.VerifyTestMain(m)
}

// quiet discards go-redis's own log lines.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// client returns a go-redis client for srv, closed when t ends.
func client(t *testing.T, srv *redistest.Server) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, ContextTimeoutEnabled: true, DialTimeout: time.Second, DialerRetries: 1, DialerRetryTimeout: 10 * time.Millisecond})
	t.Cleanup(func() { c.Close() })
	return c
}

func newStore(t *testing.T, c redis.UniversalClient, o redisstore.Options) *redisstore.Store {
	t.Helper()
	if o.Namespace == "" {
		o.Namespace = "https://mcp.example.com/mcp"
	}
	s, err := redisstore.New(c, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSeen(t *testing.T) {
	srv := redistest.Start(t)
	c := client(t, srv)
	ctx := context.Background()
	a := newStore(t, c, redisstore.Options{})
	b := newStore(t, client(t, srv), redisstore.Options{}) // another replica
	other := newStore(t, c, redisstore.Options{Namespace: "https://other.example.com/mcp"})
	exp := time.Now().Add(2 * time.Second)

	if fresh, err := a.Seen(ctx, "key-1", exp); !fresh || err != nil {
		t.Fatalf("first: %v %v", fresh, err)
	}
	if fresh, err := a.Seen(ctx, "key-1", exp); fresh || err != nil {
		t.Errorf("replay on the same store: %v %v", fresh, err)
	}
	if fresh, err := b.Seen(ctx, "key-1", exp); fresh || err != nil {
		t.Errorf("replay on another replica: %v %v", fresh, err)
	}
	if fresh, err := other.Seen(ctx, "key-1", exp); !fresh || err != nil {
		t.Errorf("the same key for another resource: %v %v", fresh, err)
	}

	// SET key 1 NX PX: the key is namespaced and expires with the proof.
	key := a.Key("key-1")
	if !strings.HasPrefix(key, redisstore.KeyPrefix) || !strings.HasSuffix(key, ":key-1") || key == other.Key("key-1") {
		t.Errorf("key %q (other resource %q)", key, other.Key("key-1"))
	}
	if v, err := c.Get(ctx, key).Result(); v != "1" || err != nil {
		t.Errorf("GET %s = %q, %v", key, v, err)
	}
	if ttl, err := c.PTTL(ctx, key).Result(); err != nil || ttl <= 0 || ttl > 2*time.Second {
		t.Errorf("PTTL = %v, %v; want at most 2s", ttl, err)
	}

	// Once the window is over, the key is gone (Redis expired it).
	short := time.Now().Add(150 * time.Millisecond)
	if fresh, _ := a.Seen(ctx, "key-2", short); !fresh {
		t.Fatal("key-2 not fresh")
	}
	time.Sleep(300 * time.Millisecond)
	if n, err := c.Exists(ctx, a.Key("key-2")).Result(); n != 0 || err != nil {
		t.Errorf("key-2 still exists after its expiry: %d %v", n, err)
	}

	// An expiry in the past costs no call and is fresh (the verifier's
	// window check refused such proofs already).
	if fresh, err := a.Seen(ctx, "key-3", time.Now().Add(-time.Second)); !fresh || err != nil {
		t.Errorf("expired: %v %v", fresh, err)
	}
	if n, _ := c.Exists(ctx, a.Key("key-3")).Result(); n != 0 {
		t.Error("an expired key was written")
	}
}

// TestSeenConcurrent: of many replicas racing with one key, exactly one
// sees it fresh.
func TestSeenConcurrent(t *testing.T) {
	srv := redistest.Start(t)
	stores := make([]*redisstore.Store, 8)
	for i := range stores {
		stores[i] = newStore(t, client(t, srv), redisstore.Options{})
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		fresh int
	)
	for _, s := range stores {
		for range 4 {
			wg.Go(func() {
				ok, err := s.Seen(context.Background(), "race", time.Now().Add(time.Minute))
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					fresh++
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	if fresh != 1 {
		t.Errorf("%d callers saw the key fresh, want 1", fresh)
	}
}

// TestRedisDownFailsClosed: with Redis stopped, Seen returns an error
// (never fresh), and the verifier refuses with ErrReplayStoreUnavailable.
func TestRedisDownFailsClosed(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, client(t, srv), redisstore.Options{})
	ctx := context.Background()
	if fresh, err := s.Seen(ctx, "k", time.Now().Add(time.Minute)); !fresh || err != nil {
		t.Fatalf("up: %v %v", fresh, err)
	}
	srv.Stop()
	for _, key := range []string{"k", "new"} {
		if fresh, err := s.Seen(ctx, key, time.Now().Add(time.Minute)); fresh || err == nil {
			t.Errorf("down, key %s: fresh %v, error %v; want an error", key, fresh, err)
		}
	}
}

// TestHungRedisTimesOut: a Redis that accepts but never answers costs at
// most Options.Timeout, or the request's own deadline when it is sooner.
func TestHungRedisTimesOut(t *testing.T) {
	srv := redistest.Start(t)
	c := client(t, srv)
	s := newStore(t, c, redisstore.Options{Timeout: 200 * time.Millisecond})
	if _, err := s.Seen(context.Background(), "warm", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err) // a pooled connection exists
	}
	srv.Pause()
	defer srv.Resume()
	done := make(chan error, 1)
	go func() {
		_, err := s.Seen(context.Background(), "k", time.Now().Add(time.Minute))
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a hung Redis gave no error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Seen did not return within 10s with a 200ms timeout")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	long := newStore(t, c, redisstore.Options{Timeout: time.Hour})
	go func() {
		_, err := long.Seen(ctx, "k2", time.Now().Add(time.Minute))
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a hung Redis gave no error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Seen did not return within 10s of a 50ms request deadline")
	}
}

// TestFallback: with a fallback store, Seen answers from it while Redis is
// down and logs each fallback at level error, rate-limited.
func TestFallback(t *testing.T) {
	srv := redistest.Start(t)
	var logs bytes.Buffer
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	local := dpop.NewMemoryStore(100, clock)
	s := newStore(t, client(t, srv), redisstore.Options{
		Fallback:    local,
		Logger:      slog.New(slog.NewTextHandler(&logs, nil)),
		LogInterval: time.Minute,
		Clock:       clock,
	})
	ctx := context.Background()
	exp := now.Add(time.Minute)
	if fresh, err := s.Seen(ctx, "before", exp); !fresh || err != nil || local.Len() != 0 {
		t.Fatalf("up: %v %v, local %d", fresh, err, local.Len())
	}
	srv.Stop()
	if fresh, err := s.Seen(ctx, "k", exp); !fresh || err != nil {
		t.Fatalf("down, fresh key: %v %v", fresh, err)
	}
	if fresh, err := s.Seen(ctx, "k", exp); fresh || err != nil {
		t.Errorf("down, replay to this process: %v %v", fresh, err)
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 1 || !strings.Contains(logs.String(), "fallbacks=1 ") {
		t.Errorf("logs after two fallbacks within the interval:\n%s", logs.String())
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	s.Seen(ctx, "k3", now.Add(time.Minute))
	if n := strings.Count(logs.String(), "level=ERROR"); n != 2 || !strings.Contains(logs.String(), "fallbacks=2 fallbacks_total=3") {
		t.Errorf("logs after the interval:\n%s", logs.String())
	}
	if s.Fallbacks() != 3 {
		t.Errorf("Fallbacks() = %d", s.Fallbacks())
	}
	// A cancelled request is not Redis's failure: no fallback.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if fresh, err := s.Seen(cctx, "k4", now.Add(time.Minute)); fresh || err == nil {
		t.Errorf("cancelled request: %v %v", fresh, err)
	}
}

// TestVerifierWithRedis: two verifiers (replicas) sharing one Redis: a
// proof accepted by one is a replay for the other; with Redis stopped the
// proof is refused with ErrReplayStoreUnavailable, never accepted.
func TestVerifierWithRedis(t *testing.T) {
	srv := redistest.Start(t)
	key := testkeystest.SharedECKeyPair(t)
	replica := func() *dpop.Verifier {
		v, err := dpop.NewVerifier(dpop.Config{ReplayStore: newStore(t, client(t, srv), redisstore.Options{})})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	a, b := replica(), replica()
	const uri = "https://mcp.example.com/mcp"
	req := func() dpop.Request {
		p, err := testkeys.CreateDPoPProof(key, testkeys.DPoPProofOptions{Method: "POST", URL: uri, AccessToken: "tok"})
		if err != nil {
			t.Fatal(err)
		}
		return dpop.Request{Method: "POST", URI: uri, Proofs: []string{p}, AccessToken: "tok", Thumbprint: key.KeyID()}
	}
	ctx := context.Background()
	r := req()
	if _, err := a.Verify(ctx, r); err != nil {
		t.Fatalf("replica a: %v", err)
	}
	if _, err := b.Verify(ctx, r); !errors.Is(err, dpop.ErrInvalidProof) || mcpauth.ReasonOf(err) != dpop.ReasonReplay {
		t.Errorf("the same proof on replica b: %v, want a replay", err)
	}
	srv.Stop()
	if _, err := b.Verify(ctx, req()); !errors.Is(err, dpop.ErrReplayStoreUnavailable) {
		t.Errorf("a fresh proof with Redis stopped: %v, want ErrReplayStoreUnavailable", err)
	}
	if _, err := a.Verify(ctx, r); !errors.Is(err, dpop.ErrReplayStoreUnavailable) {
		t.Errorf("a replay with Redis stopped: %v, want ErrReplayStoreUnavailable", err)
	}
}

func TestNewErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		c redis.UniversalClient
		o redisstore.Options
	}{
		"nil client":        {nil, redisstore.Options{Namespace: "x"}},
		"no namespace":      {redis.NewClient(&redis.Options{}), redisstore.Options{}},
		"negative timeout":  {redis.NewClient(&redis.Options{}), redisstore.Options{Namespace: "x", Timeout: -1}},
		"negative interval": {redis.NewClient(&redis.Options{}), redisstore.Options{Namespace: "x", LogInterval: -1}},
	} {
		if tc.c != nil {
			defer tc.c.Close()
		}
		if _, err := redisstore.New(tc.c, tc.o); !errors.Is(err, mcpauth.ErrInvalidConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestClientOptions(t *testing.T) {
	o, err := redisstore.ClientOptions("redis://:s3cret@127.0.0.1:6380/2", 250*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if o.Addr != "127.0.0.1:6380" || o.DB != 2 || o.Password != "s3cret" || o.TLSConfig != nil || o.MaxRetries != -1 ||
		o.ReadTimeout != 250*time.Millisecond || o.DialTimeout != 250*time.Millisecond || !o.ContextTimeoutEnabled {
		t.Errorf("options %+v", o)
	}
	if o, err := redisstore.ClientOptions("rediss://user:pw@redis.internal", 0); err != nil || o.TLSConfig == nil || o.Username != "user" || o.Addr != "redis.internal:6379" || o.ReadTimeout != redisstore.DefaultTimeout {
		t.Errorf("rediss: %+v %v", o, err)
	}
	for raw, want := range map[string]string{
		"http://:s3cret@127.0.0.1:6379/0":      "the scheme is not redis or rediss",
		"127.0.0.1:6379":                       "want redis://",
		"redis://:s3cret@:6379/0":              "no host",
		"redis://:s3cret@127.0.0.1:99999/0":    "port",
		"redis://:s3cret@127.0.0.1:6379/db1":   "database number",
		"redis://:s3cret@127.0.0.1:6379/0?x=1": "query",
		"redis://:s3cret@127.0.0.1:6379/0#x":   "query or fragment",
		"redis://:s3cr et\x7f@127.0.0.1/0":     "not a URL",
	} {
		_, err := redisstore.ClientOptions(raw, 0)
		if err == nil || !errors.Is(err, mcpauth.ErrInvalidConfig) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", raw, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr") {
			t.Errorf("%q: the error quotes the password: %v", raw, err)
		}
	}
	if got := redisstore.RedactedURL("redis://:s3cret@127.0.0.1:6379/0"); strings.Contains(got, "s3cret") || !strings.Contains(got, "127.0.0.1:6379") {
		t.Errorf("RedactedURL = %q", got)
	}
}

// BenchmarkSeen measures one proof's round trip to a real redis-server on
// loopback, beside the in-memory store.
func BenchmarkSeen(b *testing.B) {
	srv := redistest.Start(b)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, ContextTimeoutEnabled: true})
	defer c.Close()
	s, err := redisstore.New(c, redisstore.Options{Namespace: "https://mcp.example.com/mcp"})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for name, store := range map[string]dpop.ReplayStore{"redis": s, "memory": dpop.NewMemoryStore(0, nil)} {
		b.Run(name, func(b *testing.B) {
			exp := time.Now().Add(time.Minute)
			run := strconv.FormatInt(time.Now().UnixNano(), 36) + ":" // fresh keys in every run
			i := 0
			for b.Loop() {
				i++
				if fresh, err := store.Seen(ctx, run+strconv.Itoa(i), exp); !fresh || err != nil {
					b.Fatal(fresh, err)
				}
			}
		})
	}
}
