package jwks

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mcpauth/mcpauth"
)

// idp is a fake authorization server: metadata documents by path, and a
// JWK Set at /jwks.
type idp struct {
	*httptest.Server
	mu    sync.Mutex
	docs  map[string]func(base string) (int, string)
	hits  map[string]int
	jwks  []byte
	count atomic.Int64
}

func newIDP(t *testing.T, jwks []byte) *idp {
	t.Helper()
	i := &idp{docs: map[string]func(string) (int, string){}, hits: map[string]int{}, jwks: jwks}
	i.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i.count.Add(1)
		i.mu.Lock()
		i.hits[r.URL.Path]++
		doc, ok := i.docs[r.URL.Path]
		body := i.jwks
		i.mu.Unlock()
		switch {
		case r.URL.Path == "/jwks":
			w.Write(body)
		case ok:
			code, s := doc("http://" + r.Host)
			w.WriteHeader(code)
			w.Write([]byte(s))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(i.Close)
	return i
}

func (i *idp) set(path string, f func(base string) (int, string)) {
	i.mu.Lock()
	i.docs[path] = f
	i.mu.Unlock()
}

func (i *idp) hitsFor(path string) int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.hits[path]
}

// metadataDoc answers with issuer and jwks_uri relative to the server.
func metadataDoc(issuerPath, jwksPath string) func(string) (int, string) {
	return func(base string) (int, string) {
		return 200, `{"issuer":"` + base + issuerPath + `","jwks_uri":"` + base + jwksPath + `","token_endpoint":"` + base + `/token"}`
	}
}

func newIssuerHarness(t *testing.T, issuer string) *harness {
	t.Helper()
	opts, c, l := testOptions()
	h := &harness{clock: c, logs: l, fetched: make(chan error, 100), waiting: make(chan struct{}, 100)}
	s, err := newIssuerSet(context.Background(), issuer, opts, hooks{fetched: func(err error) { h.fetched <- err }})
	if err != nil {
		t.Fatalf("NewFromIssuer: %v", err)
	}
	h.Set = s
	t.Cleanup(func() { s.Close() })
	return h
}

func TestDiscoveryOpenIDConfiguration(t *testing.T) {
	k := testKeys(t)
	srv := newIDP(t, doc(t, rsaJWK("r1", &k.rsa1.PublicKey)))
	srv.set(OpenIDConfigurationPath, metadataDoc("", "/jwks"))
	h := newIssuerHarness(t, srv.URL)
	if err := h.nextFetch(t); err != nil {
		t.Fatalf("first fetch: %v", err)
	}
	mustKey(t, h.Set, "r1", "RS256", &k.rsa1.PublicKey)
	if !strings.Contains(h.logs.String(), "discovered the JWK Set URL") {
		t.Fatalf("logs: %s", h.logs)
	}
	// Discovery happens once; refreshes go straight to the JWK Set.
	if err := h.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := srv.hitsFor(OpenIDConfigurationPath); n != 1 {
		t.Fatalf("metadata fetched %d times; want 1", n)
	}
	if n := srv.hitsFor("/jwks"); n != 2 {
		t.Fatalf("JWK Set fetched %d times; want 2", n)
	}
}

func TestDiscoveryRFC8414WithPath(t *testing.T) {
	k := testKeys(t)
	srv := newIDP(t, doc(t, rsaJWK("r1", &k.rsa1.PublicKey)))
	// OIDC location answers 404; RFC 8414 inserts the well-known segment
	// before the issuer's path.
	srv.set(OAuthServerMetadataPath+"/tenant", metadataDoc("/tenant", "/jwks"))
	h := newIssuerHarness(t, srv.URL+"/tenant")
	if err := h.nextFetch(t); err != nil {
		t.Fatalf("first fetch: %v", err)
	}
	mustKey(t, h.Set, "r1", "RS256", &k.rsa1.PublicKey)
	if srv.hitsFor("/tenant"+OpenIDConfigurationPath) != 1 {
		t.Fatal("the OpenID location was not tried first")
	}
}

func TestDiscoveryFailures(t *testing.T) {
	k := testKeys(t)
	tests := []struct {
		name string
		doc  func(string) (int, string)
		want string
	}{
		{"issuer mismatch", func(base string) (int, string) {
			return 200, `{"issuer":"https://evil.example.com","jwks_uri":"` + base + `/jwks"}`
		}, "another issuer"},
		{"issuer with trailing slash", func(base string) (int, string) {
			return 200, `{"issuer":"` + base + `/","jwks_uri":"` + base + `/jwks"}`
		}, "another issuer"},
		{"no issuer", func(base string) (int, string) { return 200, `{"jwks_uri":"` + base + `/jwks"}` }, "has no issuer"},
		{"no jwks_uri", func(base string) (int, string) { return 200, `{"issuer":"` + base + `"}` }, "no jwks_uri"},
		{"jwks_uri plain http elsewhere", func(base string) (int, string) {
			return 200, `{"issuer":"` + base + `","jwks_uri":"http://keys.example.com/jwks"}`
		}, "plain http"},
		{"not JSON", func(string) (int, string) { return 200, `<html>` }, "not a JSON object"},
		// Read by the strict JSON reader: encoding/json let the last
		// jwks_uri win and matched ISSUER as issuer.
		{"repeated jwks_uri", func(base string) (int, string) {
			return 200, `{"issuer":"` + base + `","jwks_uri":"` + base + `/jwks","jwks_uri":"https://evil.example.com/jwks"}`
		}, "duplicate member name"},
		{"issuer in another letter case", func(base string) (int, string) {
			return 200, `{"ISSUER":"` + base + `","jwks_uri":"` + base + `/jwks"}`
		}, "has no issuer"},
		{"server error", func(string) (int, string) { return 500, `` }, "status 500"},
		{"redirect", func(base string) (int, string) { return 302, `` }, "redirects are not followed"},
		{"oversized", func(base string) (int, string) {
			return 200, `{"issuer":"` + base + `","jwks_uri":"` + base + `/jwks","x":"` + strings.Repeat("a", DefaultMaxBodyBytes) + `"}`
		}, "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newIDP(t, doc(t, rsaJWK("r1", &k.rsa1.PublicKey)))
			srv.set(OpenIDConfigurationPath, tt.doc)
			h := newIssuerHarness(t, srv.URL)
			err := h.nextFetch(t)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("fetch err = %v; want it to mention %q", err, tt.want)
			}
			if !errors.Is(err, ErrFetch) {
				t.Fatalf("err = %v; want ErrFetch", err)
			}
			mustErr(t, h.Set, "r1", "RS256", mcpauth.ErrKeySourceUnavailable)
			if srv.hitsFor("/jwks") != 0 {
				t.Fatal("the JWK Set was fetched without a valid discovery")
			}
		})
	}
}

func TestDiscoveryNoMetadata(t *testing.T) {
	srv := newIDP(t, nil)
	h := newIssuerHarness(t, srv.URL+"/t")
	err := h.nextFetch(t)
	if err == nil || !strings.Contains(err.Error(), "no metadata document") {
		t.Fatalf("err = %v", err)
	}
	if srv.hitsFor("/t"+OpenIDConfigurationPath) != 1 || srv.hitsFor(OAuthServerMetadataPath+"/t") != 1 {
		t.Fatal("both metadata locations should be tried once")
	}
}

func TestDiscoveryRecoversWhenIssuerComesUp(t *testing.T) {
	k := testKeys(t)
	srv := newIDP(t, doc(t, rsaJWK("r1", &k.rsa1.PublicKey)))
	srv.set(OpenIDConfigurationPath, func(string) (int, string) { return 503, "" })
	h := newIssuerHarness(t, srv.URL)
	if err := h.nextFetch(t); err == nil {
		t.Fatal("fetch succeeded while the issuer was down")
	}
	srv.set(OpenIDConfigurationPath, metadataDoc("", "/jwks"))
	// The background loop retries after its backoff.
	for err := h.nextFetch(t); err != nil; err = h.nextFetch(t) {
	}
	mustKey(t, h.Set, "r1", "RS256", &k.rsa1.PublicKey)
}

func TestNewFromIssuerValidates(t *testing.T) {
	for _, bad := range []string{"", "issuer", "http://idp.example.com", "https://idp.example.com/?tenant=1", "https://u:p@idp.example.com", "https://idp.example.com/#x"} {
		if _, err := NewFromIssuer(context.Background(), bad, Options{}); !errors.Is(err, mcpauth.ErrInvalidConfig) {
			t.Errorf("NewFromIssuer(%q) err = %v; want mcpauth.ErrInvalidConfig", bad, err)
		}
		if _, err := NewFromIssuer(context.Background(), "https://u:secret@idp.example.com", Options{}); err != nil && strings.Contains(err.Error(), "secret") {
			t.Fatal("error echoes the password")
		}
	}
}

// TestDiscoveryRefusesDowngrade: an https issuer whose metadata names a
// plain-http jwks_uri is refused, on loopback and with the insecure switch
// too, and the plain-http URL is never fetched.
func TestDiscoveryRefusesDowngrade(t *testing.T) {
	k := testKeys(t)
	plain := newIDP(t, doc(t, rsaJWK("r1", &k.rsa1.PublicKey)))
	for _, insecure := range []bool{false, true} {
		tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != OpenIDConfigurationPath {
				http.NotFound(w, r)
				return
			}
			w.Write([]byte(`{"issuer":"https://` + r.Host + `","jwks_uri":"` + plain.URL + `/jwks"}`))
		}))
		t.Cleanup(tlsSrv.Close)
		opts, c, l := testOptions()
		opts.HTTPClient = tlsSrv.Client()
		opts.InsecureAllowHTTPJWKS = insecure
		h := &harness{clock: c, logs: l, fetched: make(chan error, 100), waiting: make(chan struct{}, 100)}
		s, err := newIssuerSet(context.Background(), tlsSrv.URL, opts, hooks{fetched: func(err error) { h.fetched <- err }})
		if err != nil {
			t.Fatalf("NewFromIssuer: %v", err)
		}
		h.Set = s
		t.Cleanup(func() { s.Close() })
		err = h.nextFetch(t)
		if err == nil || !errors.Is(err, ErrFetch) || !strings.Contains(err.Error(), "discovery downgrade") {
			t.Fatalf("insecure=%v: fetch err = %v; want a refused discovery downgrade", insecure, err)
		}
		mustErr(t, h.Set, "r1", "RS256", mcpauth.ErrKeySourceUnavailable)
		if plain.hitsFor("/jwks") != 0 {
			t.Fatalf("insecure=%v: the plain-http JWK Set was fetched", insecure)
		}
	}
}
