package introspect

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// issuerServer serves metadata at the OIDC or RFC 8414 path and an
// introspection endpoint; the issuer is its own URL plus path.
type issuerServer struct {
	*httptest.Server
	issuer    string
	metaCalls atomic.Int64
	introCall atomic.Int64
	meta      func(issuer, base string) map[string]any
	oidc      bool // serve OIDC Discovery (else only RFC 8414)
	fail      atomic.Bool
}

func newIssuerServer(t *testing.T, path string, oidc bool, meta func(issuer, base string) map[string]any) *issuerServer {
	t.Helper()
	s := &issuerServer{meta: meta, oidc: oidc}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case path + OpenIDConfigurationPath, OAuthServerMetadataPath + path:
			s.metaCalls.Add(1)
			if s.fail.Load() {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			if (r.URL.Path == path+OpenIDConfigurationPath) != s.oidc {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(s.meta(s.issuer, s.URL))
		case "/introspect":
			s.introCall.Add(1)
			m := activeAnswer()
			m["iss"] = s.issuer
			writeJSON(w, m)
		default:
			http.NotFound(w, r)
		}
	}))
	s.issuer = s.URL + path
	t.Cleanup(s.Close)
	return s
}

func goodMeta(issuer, base string) map[string]any {
	return map[string]any{"issuer": issuer, "introspection_endpoint": base + "/introspect"}
}

func discoveryVerifier(t *testing.T, s *issuerServer, clk *clock) *Verifier {
	t.Helper()
	return newVerifier(t, Config{Issuer: s.issuer, Audiences: []string{testAudience}, ClientID: "id", ClientSecret: "secret"}, clk)
}

func TestDiscovery(t *testing.T) {
	for _, tt := range []struct {
		name string
		path string
		oidc bool
	}{
		{"OIDC", "", true},
		{"OIDC with a path", "/tenant/a", true},
		{"RFC 8414 after a 404", "", false},
		{"RFC 8414 with a path", "/tenant/a", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newIssuerServer(t, tt.path, tt.oidc, goodMeta)
			v := discoveryVerifier(t, s, nil)
			for _, tok := range []string{"a", "b", "c"} {
				at, err := v.VerifyToken(context.Background(), tok)
				if err != nil {
					t.Fatal(err)
				}
				if at.Issuer != s.issuer {
					t.Fatalf("issuer %q", at.Issuer)
				}
			}
			want := int64(1)
			if !tt.oidc {
				want = 2 // the OIDC 404, then RFC 8414
			}
			if n := s.metaCalls.Load(); n != want {
				t.Fatalf("%d metadata fetches for three tokens; want %d (discovered once)", n, want)
			}
			if n := s.introCall.Load(); n != 3 {
				t.Fatalf("%d introspection calls", n)
			}
		})
	}
}

func TestDiscoveryFailures(t *testing.T) {
	for _, tt := range []struct {
		name string
		meta func(issuer, base string) map[string]any
		want string
	}{
		{"another issuer", func(_, base string) map[string]any {
			return map[string]any{"issuer": "https://evil.example.com", "introspection_endpoint": base + "/introspect"}
		}, "names another issuer"},
		{"no issuer", func(_, base string) map[string]any {
			return map[string]any{"introspection_endpoint": base + "/introspect"}
		}, "has no issuer"},
		{"no endpoint", func(issuer, _ string) map[string]any {
			return map[string]any{"issuer": issuer}
		}, "has no introspection_endpoint"},
		{"plain http endpoint elsewhere", func(issuer, _ string) map[string]any {
			return map[string]any{"issuer": issuer, "introspection_endpoint": "http://as.example.com/introspect"}
		}, "uses plain http"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newIssuerServer(t, "", true, tt.meta)
			v := discoveryVerifier(t, s, nil)
			_, err := v.VerifyToken(context.Background(), "tok")
			wantUnavailable(t, err)
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q; want %q", err, tt.want)
			}
			if n := s.introCall.Load(); n != 0 {
				t.Fatalf("%d introspection calls after a failed discovery", n)
			}
		})
	}
}

func TestDiscoveryRetryInterval(t *testing.T) {
	s := newIssuerServer(t, "", true, goodMeta)
	s.fail.Store(true)
	clk := newClock()
	v := discoveryVerifier(t, s, clk)
	_, err := v.VerifyToken(context.Background(), "a")
	wantUnavailable(t, err)
	s.fail.Store(false)
	clk.Advance(DiscoveryRetryInterval - time.Nanosecond)
	_, err = v.VerifyToken(context.Background(), "b")
	wantUnavailable(t, err)
	if n := s.metaCalls.Load(); n != 1 {
		t.Fatalf("%d metadata fetches within the retry interval; want 1", n)
	}
	clk.Advance(time.Nanosecond)
	if _, err := v.VerifyToken(context.Background(), "c"); err != nil {
		t.Fatalf("not retried after the interval: %v", err)
	}
}

// TestDiscoveryNeverFromToken: a token that looks like a URL or names
// another issuer does not change where the verifier asks.
func TestDiscoveryNeverFromToken(t *testing.T) {
	s := newIssuerServer(t, "", true, goodMeta)
	other := newIssuerServer(t, "", true, goodMeta)
	v := discoveryVerifier(t, s, nil)
	for _, tok := range []string{other.URL + "/introspect", other.issuer, "eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwOi8vMTI3LjAuMC4xIn0.x"} {
		_, _ = v.VerifyToken(context.Background(), tok)
	}
	if n := other.metaCalls.Load() + other.introCall.Load(); n != 0 {
		t.Fatalf("%d requests to a server named only by tokens", n)
	}
}
