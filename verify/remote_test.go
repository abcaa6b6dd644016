package verify

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// jwksVerifier builds a verifier on a test JWKS server with a controllable
// clock.
func jwksVerifier(t *testing.T, srv *testkeystest.JWKSServer, now *atomic.Int64, mod func(*Settings)) *JWTVerifier {
	t.Helper()
	s := Settings{JWKSURI: srv.URL(), Issuers: []string{testIssuer}, Audiences: []string{testAudience}, JWKSRefreshRateLimit: time.Minute}
	if mod != nil {
		mod(&s)
	}
	v, err := NewJWTVerifier(s, WithClock(func() time.Time { return time.Unix(now.Load(), 0) }),
		WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

func mintKP(t *testing.T, kp *testkeys.KeyPair, o testkeys.TokenOptions) string {
	t.Helper()
	o.Issuer, o.Audience, o.IssuedAt = testIssuer, []string{testAudience}, testNow
	tok, err := kp.CreateToken(o)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestJWKSVerifier(t *testing.T) {
	rsaKP, ecKP, edKP := testkeystest.SharedRSAKeyPair(t), testkeystest.SharedECKeyPair(t), testkeystest.SharedEd25519KeyPair(t)
	srv := testkeystest.NewJWKSServer(t, rsaKP, ecKP)
	var now atomic.Int64
	now.Store(testNow.Unix())
	v := jwksVerifier(t, srv, &now, nil)
	ctx := context.Background()

	for _, kp := range []*testkeys.KeyPair{rsaKP, ecKP} {
		if _, err := v.VerifyToken(ctx, mintKP(t, kp, testkeys.TokenOptions{})); err != nil {
			t.Fatalf("%s token rejected: %v", kp.Algorithm(), err)
		}
	}
	// PS256 with the RSA key: the JWK is pinned to its alg (RS256).
	_, err := v.VerifyToken(ctx, mintKP(t, rsaKP, testkeys.TokenOptions{Algorithm: "PS256"}))
	wantReason(t, err, mcpauth.ReasonAlgorithm)
	// No kid: the single RS256-compatible key of the set is used.
	if _, err := v.VerifyToken(ctx, mintKP(t, rsaKP, testkeys.TokenOptions{OmitKID: true})); err != nil {
		t.Fatalf("kid-less token with one compatible key rejected: %v", err)
	}
	// A key the set does not have, with its own kid: one refresh, then invalid.
	before := srv.Requests()
	_, err = v.VerifyToken(ctx, mintKP(t, edKP, testkeys.TokenOptions{}))
	wantReason(t, err, mcpauth.ReasonUnknownKey)
	if got := srv.Requests() - before; got != 1 {
		t.Fatalf("unknown kid caused %d fetches; want 1", got)
	}
	// During the cool-down an unknown kid does not fetch.
	_, err = v.VerifyToken(ctx, mintKP(t, edKP, testkeys.TokenOptions{KID: "other"}))
	wantReason(t, err, mcpauth.ReasonUnknownKey)
	if got := srv.Requests() - before; got != 1 {
		t.Fatalf("cool-down fetched: %d", got)
	}
	// HMAC tokens never verify against a JWK Set.
	_, err = v.VerifyToken(ctx, sign(t, "HS256", []byte(testHMAC), map[string]any{"kid": rsaKP.KeyID()}, goodClaims()))
	wantReason(t, err, mcpauth.ReasonAlgorithm)

	// Rotation: the Ed25519 key is published; after the cool-down its
	// token triggers a refresh and verifies.
	srv.SetKeys(rsaKP, edKP)
	now.Add(61)
	tok := mintKP(t, edKP, testkeys.TokenOptions{})
	if _, err := v.VerifyToken(ctx, tok); err != nil {
		t.Fatalf("rotated key rejected: %v", err)
	}
	// Outage: cached keys keep working.
	srv.SetDown(true)
	if err := v.source.(interface{ Refresh(context.Context) error }).Refresh(ctx); err == nil {
		t.Fatal("refresh during outage succeeded")
	}
	if _, err := v.VerifyToken(ctx, tok); err != nil {
		t.Fatalf("cached key rejected during outage: %v", err)
	}
}

func TestJWKSKIDLessAmbiguous(t *testing.T) {
	a := testkeystest.SharedRSAKeyPair(t)
	b, err := testkeys.GenerateRSAKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	srv := testkeystest.NewJWKSServer(t, a, b)
	var now atomic.Int64
	now.Store(testNow.Unix())
	v := jwksVerifier(t, srv, &now, nil)
	_, err = v.VerifyToken(context.Background(), mintKP(t, a, testkeys.TokenOptions{OmitKID: true}))
	wantReason(t, err, mcpauth.ReasonUnknownKey)
	if _, err := v.VerifyToken(context.Background(), mintKP(t, b, testkeys.TokenOptions{})); err != nil {
		t.Fatalf("with kid: %v", err)
	}
}

func TestJWKSNeverReachableIsUnavailable(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	srv := testkeystest.NewJWKSServer(t, kp)
	srv.SetDown(true)
	var now atomic.Int64
	now.Store(testNow.Unix())
	v := jwksVerifier(t, srv, &now, nil)
	tok := mintKP(t, kp, testkeys.TokenOptions{})
	_, err := v.VerifyToken(context.Background(), tok)
	if !errors.Is(err, mcpauth.ErrKeySourceUnavailable) || errors.Is(err, mcpauth.ErrInvalidToken) {
		t.Fatalf("err = %v; want only mcpauth.ErrKeySourceUnavailable", err)
	}
	if mcpauth.ReasonOf(err) != mcpauth.ReasonUnavailable {
		t.Fatalf("reason %q", mcpauth.ReasonOf(err))
	}
	// Malformed tokens are still invalid: structure and header checks come
	// before the key lookup.
	_, err = v.VerifyToken(context.Background(), "a.b")
	wantReason(t, err, mcpauth.ReasonMalformed)

	srv.SetDown(false)
	now.Add(61)
	if _, err := v.VerifyToken(context.Background(), tok); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

func TestJWKSConcurrentUnknownKIDs(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	srv := testkeystest.NewJWKSServer(t, kp)
	var now atomic.Int64
	now.Store(testNow.Unix())
	v := jwksVerifier(t, srv, &now, nil)
	ctx := context.Background()
	if _, err := v.VerifyToken(ctx, mintKP(t, kp, testkeys.TokenOptions{})); err != nil {
		t.Fatal(err)
	}
	before := srv.Requests()
	tok := mintKP(t, kp, testkeys.TokenOptions{KID: "unknown"})
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			_, err := v.VerifyToken(ctx, tok)
			if !errors.Is(err, mcpauth.ErrInvalidToken) {
				t.Errorf("err = %v", err)
			}
		})
	}
	wg.Wait()
	if got := srv.Requests() - before; got > 1 {
		t.Fatalf("%d fetches for one unknown kid; want at most 1", got)
	}
}

func TestJWKSConfigErrors(t *testing.T) {
	for name, s := range map[string]Settings{
		"http non-loopback": {JWKSURI: "http://idp.example.com/jwks"},
		"not a URL":         {JWKSURI: "jwks.json"},
		"hmac":              {JWKSURI: "https://idp.example.com/jwks", Algorithms: []string{"HS256"}},
	} {
		s.Issuers, s.Audiences = []string{testIssuer}, []string{testAudience}
		if _, err := NewJWTVerifier(s); !errors.Is(err, mcpauth.ErrInvalidConfig) {
			t.Errorf("%s: err = %v; want mcpauth.ErrInvalidConfig", name, err)
		}
	}
	s := Settings{JWKSURI: "http://idp.example.com/jwks", InsecureAllowHTTPJWKS: true, Issuers: []string{testIssuer}, Audiences: []string{testAudience}}
	v, err := NewJWTVerifier(s, WithLogger(slog.New(slog.DiscardHandler)), WithHTTPClient(&http.Client{Transport: refuseTransport{}}))
	if err != nil {
		t.Fatalf("InsecureAllowHTTPJWKS: %v", err)
	}
	v.Close()
}

// refuseTransport fails every request without touching the network.
type refuseTransport struct{}

func (refuseTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("network disabled in tests")
}

// TestDiscoveryFromIssuer configures only an issuer: the JWK Set URL comes
// from its OpenID Connect metadata.
func TestDiscoveryFromIssuer(t *testing.T) {
	kp := testkeystest.SharedECKeyPair(t)
	jwksHandler, err := testkeys.JWKSHandler(kp)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	mux.Handle("/keys", jwksHandler)
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"issuer":"` + srv.URL + `","jwks_uri":"` + srv.URL + `/keys"}`))
	})
	v, err := NewJWTVerifier(Settings{Issuers: []string{srv.URL}, Audiences: []string{testAudience}},
		WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	tok, err := kp.CreateToken(testkeys.TokenOptions{Issuer: srv.URL, Audience: []string{testAudience}})
	if err != nil {
		t.Fatal(err)
	}
	at, err := v.VerifyToken(context.Background(), tok)
	if err != nil {
		t.Fatalf("token from the discovered key set rejected: %v", err)
	}
	if at.Issuer != srv.URL {
		t.Fatalf("issuer %q", at.Issuer)
	}
}

// TestCloseWaitsForBackgroundWork: Close returns only when the JWK Set's
// refresh loop and the fetch in flight have ended, so no goroutine of the
// verifier outlives it.
func TestCloseWaitsForBackgroundWork(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case entered <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	v, err := NewJWTVerifier(Settings{JWKSURI: srv.URL, Issuers: []string{testIssuer}, Audiences: []string{testAudience}},
		WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	<-entered // a fetch is in flight
	if err := v.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	if strings.Contains(stacks, "mcpauth/jwks.") {
		t.Fatalf("a jwks goroutine outlives Close:\n%s", stacks)
	}
	if err := v.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}
