package jwks

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
)

// Test keys, generated once per package run.
type testKeySet struct {
	rsa1, rsa2, rsaWeak *rsa.PrivateKey
	p256, p384, p521    *ecdsa.PrivateKey
	ed                  ed25519.PrivateKey
}

var (
	keysOnce sync.Once
	tk       testKeySet
)

func testKeys(tb testing.TB) *testKeySet {
	tb.Helper()
	keysOnce.Do(func() {
		must := func(err error) {
			if err != nil {
				panic(err)
			}
		}
		var err error
		tk.rsa1, err = rsa.GenerateKey(rand.Reader, 2048)
		must(err)
		tk.rsa2, err = rsa.GenerateKey(rand.Reader, 2048)
		must(err)
		tk.rsaWeak, err = rsa.GenerateKey(rand.Reader, 1024)
		must(err)
		tk.p256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(err)
		tk.p384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		must(err)
		tk.p521, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		must(err)
		_, tk.ed, err = ed25519.GenerateKey(rand.Reader)
		must(err)
	})
	return &tk
}

func (k *testKeySet) edPub() ed25519.PublicKey { return k.ed.Public().(ed25519.PublicKey) }

// jwk is a JWK under construction; with returns a modified copy.
type jwk map[string]any

func (j jwk) with(kv ...any) jwk {
	out := maps.Clone(j)
	for i := 0; i < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(out, k)
			continue
		}
		out[k] = kv[i+1]
	}
	return out
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func rsaJWK(kid string, pub *rsa.PublicKey) jwk {
	return jwk{"kty": "RSA", "kid": kid, "n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes())}
}

// ecXY splits the uncompressed point of pub.
func ecXY(tb testing.TB, pub *ecdsa.PublicKey) (x, y []byte) {
	tb.Helper()
	raw, err := pub.Bytes()
	if err != nil {
		tb.Fatal(err)
	}
	n := (len(raw) - 1) / 2
	return raw[1 : 1+n], raw[1+n:]
}

func ecJWK(tb testing.TB, kid string, pub *ecdsa.PublicKey) jwk {
	tb.Helper()
	x, y := ecXY(tb, pub)
	return jwk{"kty": "EC", "kid": kid, "crv": pub.Curve.Params().Name, "x": b64(x), "y": b64(y)}
}

func edJWK(kid string, pub ed25519.PublicKey) jwk {
	return jwk{"kty": "OKP", "kid": kid, "crv": "Ed25519", "x": b64(pub)}
}

// doc renders a JWK Set document.
func doc(tb testing.TB, keys ...jwk) []byte {
	tb.Helper()
	if keys == nil {
		keys = []jwk{}
	}
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// server is a JWK Set endpoint whose behaviour tests change on the fly. It
// counts the requests it receives.
type server struct {
	*httptest.Server
	hits    atomic.Int64
	mu      sync.Mutex
	handler http.HandlerFunc
}

func newServer(tb testing.TB, body []byte) *server {
	tb.Helper()
	s := &server{}
	s.serve(body)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		h := s.handler
		s.mu.Unlock()
		h(w, r)
	}))
	tb.Cleanup(func() { s.Close() })
	return s
}

// serve makes the server answer 200 with body.
func (s *server) serve(body []byte) {
	s.set(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(body)
	})
}

func (s *server) set(h http.HandlerFunc) {
	s.mu.Lock()
	s.handler = h
	s.mu.Unlock()
}

// block makes the server hold every request until release is closed or the
// client gives up. entered receives one value per request (non-blocking).
func (s *server) block(body []byte) (entered chan struct{}, release func()) {
	entered = make(chan struct{}, 100)
	rel := make(chan struct{})
	s.set(func(w http.ResponseWriter, r *http.Request) {
		select {
		case entered <- struct{}{}:
		default:
		}
		select {
		case <-rel:
			_, _ = w.Write(body)
		case <-r.Context().Done():
		}
	})
	var once sync.Once
	return entered, func() { once.Do(func() { close(rel) }) }
}

// clock is an injectable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// logBuffer collects log output safely.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// harness bundles a Set with what tests observe about it.
type harness struct {
	*Set
	clock   *clock
	logs    *logBuffer
	fetched chan error    // one value per completed fetch
	waiting chan struct{} // one value per caller that starts waiting for a fetch
}

// opts returns test defaults: injected clock, captured logs, 10s timeout (generous: CI machines are shared).
func testOptions() (Options, *clock, *logBuffer) {
	c := newClock()
	l := &logBuffer{}
	return Options{Clock: c.Now, Logger: l.logger(), Timeout: 10 * time.Second}, c, l
}

// newHarness creates a Set for url; mod adjusts the options.
func newHarness(tb testing.TB, url string, mod func(*Options)) *harness {
	tb.Helper()
	opts, c, l := testOptions()
	if mod != nil {
		mod(&opts)
	}
	h := &harness{clock: c, logs: l, fetched: make(chan error, 10000), waiting: make(chan struct{}, 10000)}
	s, err := newSet(context.Background(), url, opts, hooks{
		waiting: func() {
			select {
			case h.waiting <- struct{}{}:
			default:
			}
		},
		fetched: func(err error) {
			select {
			case h.fetched <- err:
			default:
			}
		},
	})
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	h.Set = s
	tb.Cleanup(func() { s.Close() })
	return h
}

// ready waits for the first successful fetch.
func (h *harness) ready(tb testing.TB) {
	tb.Helper()
	waitChan(tb, h.Ready(), "first successful fetch")
}

// nextFetch returns the result of the next completed fetch.
func (h *harness) nextFetch(tb testing.TB) error {
	tb.Helper()
	select {
	case err := <-h.fetched:
		return err
	case <-time.After(10 * time.Second):
		tb.Fatal("timed out waiting for a fetch to complete")
		return nil
	}
}

// waitChan fails the test if ch is not closed (or does not deliver) in time.
func waitChan[T any](tb testing.TB, ch <-chan T, what string) {
	tb.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		tb.Fatalf("timed out waiting for %s", what)
	}
}

// waitN receives n values from ch.
func waitN[T any](tb testing.TB, ch <-chan T, n int, what string) {
	tb.Helper()
	timeout := time.After(10 * time.Second)
	for i := range n {
		select {
		case <-ch:
		case <-timeout:
			tb.Fatalf("timed out waiting for %s (%d of %d)", what, i, n)
		}
	}
}

// mustKey asserts a successful lookup returning want.
func mustKey(tb testing.TB, s *Set, kid, alg string, want any) {
	tb.Helper()
	got, err := s.VerificationKey(context.Background(), kid, alg)
	if err != nil {
		tb.Fatalf("VerificationKey(%q, %q): %v", kid, alg, err)
	}
	type equaler interface{ Equal(x crypto.PublicKey) bool }
	if e, ok := want.(equaler); !ok || !e.Equal(got) {
		tb.Fatalf("VerificationKey(%q, %q) = %T, not the expected key", kid, alg, got)
	}
}

// mustErr asserts a failed lookup matching target.
func mustErr(tb testing.TB, s *Set, kid, alg string, target error) error {
	tb.Helper()
	got, err := s.VerificationKey(context.Background(), kid, alg)
	if !matches(err, target) {
		tb.Fatalf("VerificationKey(%q, %q) = %v, %v; want error matching %v", kid, alg, got, err, target)
	}
	if got != nil {
		tb.Fatalf("VerificationKey(%q, %q) returned a key with error %v", kid, alg, err)
	}
	return err
}

// reasonTarget is a test target that matches an *mcpauth.InvalidTokenError
// by its reason.
type reasonTarget mcpauth.Reason

func (r reasonTarget) Error() string { return "invalid token: " + string(r) }

// Lookup errors the tests expect, by reason.
const (
	wantAlgorithm  = reasonTarget(mcpauth.ReasonAlgorithm)
	wantUnknownKey = reasonTarget(mcpauth.ReasonUnknownKey)
)

// matches reports whether err matches target: by reason (and
// mcpauth.ErrInvalidToken) for a reasonTarget, with errors.Is otherwise.
func matches(err, target error) bool {
	if r, ok := target.(reasonTarget); ok {
		return errors.Is(err, mcpauth.ErrInvalidToken) && mcpauth.ReasonOf(err) == mcpauth.Reason(r)
	}
	return errors.Is(err, target)
}
