//go:build soak

package soak

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/testkeys"
)

// Identities of the soak's issuer and resource.
const (
	issuerURL = "https://issuer.soak.example"
	audience  = "https://mcp.soak.example/mcp"
	scope     = "mcp:tools"
	// whoami calls serve's tool without a session (the server is stateless).
	whoami = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`
	// upstreamBody is what the proxy's upstream answers.
	upstreamBody = "upstream-ok"
)

// signingKey is one key of the issuer with the tokens it signed.
type signingKey struct {
	kp  *testkeys.KeyPair
	kid string
	jwk testkeys.JWK
	// valid tokens; the rest must always be refused.
	valid                                    []string
	expired, wrongAudience, tampered, forged string
}

// newSigningKey generates key number i (EC P-256, Ed25519 and RSA in turn)
// and its tokens.
func newSigningKey(t *testing.T, i int, attacker *testkeys.KeyPair) *signingKey {
	t.Helper()
	var kp *testkeys.KeyPair
	var err error
	switch i % 3 {
	case 0:
		kp, err = testkeys.GenerateECKeyPair()
	case 1:
		kp, err = testkeys.GenerateEd25519KeyPair()
	default:
		kp, err = testkeys.GenerateRSAKeyPair()
	}
	if err != nil {
		t.Fatal(err)
	}
	k := &signingKey{kp: kp, kid: kp.KeyID(), jwk: kp.JWK()}
	now := time.Now()
	claims := func(n int, mod func(map[string]any)) []byte {
		c := map[string]any{
			"iss": issuerURL, "aud": audience, "scope": scope + " mcp:read",
			"sub": fmt.Sprintf("user-%d-%d", i, n), "client_id": fmt.Sprintf("client-%d", n),
			"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(3 * time.Hour).Unix(),
			"jti": fmt.Sprintf("soak-%d-%d", i, n),
		}
		if mod != nil {
			mod(c)
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sign := func(signer *testkeys.KeyPair, kid string, payload []byte) string {
		h := fmt.Sprintf(`{"alg":%q,"typ":"at+jwt","kid":%q}`, signer.Algorithm(), kid)
		tok, err := testkeys.SignCompact(signer, signer.Algorithm(), []byte(h), payload)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	for n := range 16 {
		k.valid = append(k.valid, sign(kp, k.kid, claims(n, nil)))
	}
	k.expired = sign(kp, k.kid, claims(100, func(c map[string]any) { c["exp"] = now.Add(-time.Hour).Unix() }))
	k.wrongAudience = sign(kp, k.kid, claims(101, func(c map[string]any) { c["aud"] = "https://other.soak.example/mcp" }))
	k.forged = sign(attacker, k.kid, claims(102, nil))
	parts := strings.Split(k.valid[0], ".")
	other := strings.Split(sign(kp, k.kid, claims(103, func(c map[string]any) { c["scope"] = "mcp:tools mcp:admin" })), ".")
	k.tampered = parts[0] + "." + other[1] + "." + parts[2]
	return k
}

// issuer holds the keys whose tokens are in circulation.
type issuer struct {
	mu     sync.Mutex
	inUse  []*signingKey
	newest *signingKey
}

func (is *issuer) set(newest *signingKey, inUse ...*signingKey) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.newest, is.inUse = newest, inUse
}

func (is *issuer) pick(r *rand.Rand) *signingKey {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.inUse[r.IntN(len(is.inUse))]
}

func (is *issuer) latest() *signingKey {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.newest
}

// target is one process under load.
type target struct {
	name     string
	endpoint string
	proxy    bool
	hold     time.Duration // verified-token cache maximum age
	upstream *atomic.Int64 // requests the proxy's upstream received

	mu       sync.Mutex
	counts   map[string]int64
	failures []string
}

func newTarget(name, url string, proxy bool, hold time.Duration, upstream *atomic.Int64) *target {
	return &target{name: name, endpoint: url + "/mcp", proxy: proxy, hold: hold, upstream: upstream, counts: map[string]int64{}}
}

// count adds one to each counter named.
func (tg *target) count(names ...string) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	for _, n := range names {
		tg.counts[n]++
	}
}

// fail records a failure (the first 20 are kept for the report).
func (tg *target) fail(format string, args ...any) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.counts["FAILURES"]++
	if len(tg.failures) < 20 {
		tg.failures = append(tg.failures, fmt.Sprintf(format, args...))
	}
}

func (tg *target) snapshot() (map[string]int64, []string) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	c := make(map[string]int64, len(tg.counts))
	for k, v := range tg.counts {
		c[k] = v
	}
	return c, slices.Clone(tg.failures)
}

// report renders the counters, sorted.
func (tg *target) report() string {
	c, _ := tg.snapshot()
	names := make([]string, 0, len(c))
	for k := range c {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		fmt.Fprintf(&b, "\n  %-40s %d", k, c[k])
	}
	return b.String()
}

// send posts whoami with the bearer token and returns the status and body.
func (tg *target) send(client *http.Client, token string, closeConn bool) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, tg.endpoint, strings.NewReader(whoami))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	req.Close = closeConn
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body, err
}

// accepted reports whether a 200 response carries what an authenticated
// request gets: whoami's result from serve, the upstream's body through the
// proxy.
func (tg *target) accepted(status int, body []byte) bool {
	if status != http.StatusOK {
		return false
	}
	if tg.proxy {
		return string(body) == upstreamBody
	}
	return bytes.Contains(body, []byte(`"structuredContent"`)) && !bytes.Contains(body, []byte(`"isError":true`))
}

// loadConfig bounds the load generator.
type loadConfig struct {
	validWorkers, floodWorkers int           // per target
	maxRequests                int64         // over all targets
	margin                     time.Duration // time to apply a fetched JWK Set
}

// load runs the workers against the targets until stop is closed (or the
// request budget is spent) and returns when every worker has finished its
// last request.
type load struct {
	cfg      loadConfig
	client   *http.Client
	jwks     *jwksServer
	issuer   *issuer
	attacker *testkeys.KeyPair
	sent     atomic.Int64
	stop     chan struct{}
	wg       sync.WaitGroup
}

func (l *load) run(t *testing.T, targets []*target) {
	l.stop = make(chan struct{})
	for _, tg := range targets {
		for w := range l.cfg.validWorkers {
			l.wg.Add(1)
			go l.validWorker(tg, uint64(w))
		}
		for w := range l.cfg.floodWorkers {
			l.wg.Add(1)
			go l.floodWorker(t, tg, uint64(w))
		}
	}
}

// halt stops the workers and waits for their last requests.
func (l *load) halt() {
	close(l.stop)
	l.wg.Wait()
}

// next reports whether another request may be sent.
func (l *load) next() bool {
	select {
	case <-l.stop:
		return false
	default:
		return l.sent.Add(1) <= l.cfg.maxRequests
	}
}

// validWorker sends tokens signed by the keys in circulation and checks each
// outcome against what the process had cached.
func (l *load) validWorker(tg *target, seed uint64) {
	defer l.wg.Done()
	r := rand.New(rand.NewPCG(seed, 1))
	for l.next() {
		k := l.issuer.pick(r)
		tok := k.valid[r.IntN(len(k.valid))]
		t0 := time.Now()
		status, body, err := tg.send(l.client, tok, false)
		t1 := time.Now()
		ok := err == nil && tg.accepted(status, body)
		switch l.jwks.state(tg.name, k.kid, t0, t1, l.cfg.margin, tg.hold) {
		case cached:
			tg.count("valid, key cached: sent")
			if !ok {
				tg.fail("valid token (kid %.8s, key cached) refused: status %d, error %v, body %.200q", k.kid, status, err, body)
			}
		case absent:
			tg.count("valid, key removed: sent")
			if ok {
				tg.fail("token of a removed key (kid %.8s) accepted", k.kid)
			} else if err != nil {
				tg.fail("token of a removed key: transport error %v", err)
			}
		default:
			tg.count("valid, key set changing: sent")
			if err != nil {
				tg.fail("valid token during a key change: transport error %v", err)
			}
		}
		if ok {
			tg.count("accepted")
		}
	}
}

// floodKinds are the invalid requests, sent in turn.
var floodKinds = []string{"unknown kid", "garbage", "not b64token", "oversized", "expired", "wrong audience", "alg none", "forged with a known kid", "tampered payload"}

// floodWorker sends tokens that must never be accepted.
func (l *load) floodWorker(t *testing.T, tg *target, seed uint64) {
	defer l.wg.Done()
	r := rand.New(rand.NewPCG(seed, 2))
	for i := 0; l.next(); i++ {
		kind := floodKinds[i%len(floodKinds)]
		k := l.issuer.latest()
		var tok string
		switch kind {
		case "unknown kid":
			kid := fmt.Sprintf("%016x", r.Uint64())
			h := fmt.Sprintf(`{"alg":"ES256","typ":"at+jwt","kid":%q}`, kid)
			var err error
			tok, err = testkeys.SignCompact(l.attacker, "ES256", []byte(h), []byte(`{"iss":"`+issuerURL+`","aud":"`+audience+`","scope":"`+scope+`","exp":9999999999}`))
			if err != nil {
				t.Error(err)
				return
			}
		case "garbage":
			b := make([]byte, 48+r.IntN(400))
			const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
			for j := range b {
				b[j] = alphabet[r.IntN(len(alphabet))]
			}
			tok = string(b)
		case "not b64token":
			tok = "not a token " + k.valid[0][:20]
		case "oversized":
			tok = strings.Repeat("A", 20<<10) + ".e30.AAAA"
		case "expired":
			tok = k.expired
		case "wrong audience":
			tok = k.wrongAudience
		case "alg none":
			tok = "eyJhbGciOiJub25lIn0." + strings.Split(k.valid[0], ".")[1] + ".AAAA"
		case "forged with a known kid":
			tok = k.forged
		case "tampered payload":
			tok = k.tampered
		}
		status, body, err := tg.send(l.client, tok, i%4 == 0)
		tg.count("invalid: "+kind, fmt.Sprintf("invalid: status %d", status))
		switch {
		case err != nil:
			tg.fail("invalid token (%s): transport error %v", kind, err)
		case status == http.StatusOK || tg.accepted(status, body):
			tg.fail("invalid token (%s) accepted: status %d", kind, status)
			tg.count("accepted")
		case status >= 500 && status != http.StatusServiceUnavailable:
			tg.fail("invalid token (%s): status %d", kind, status)
		}
	}
}
