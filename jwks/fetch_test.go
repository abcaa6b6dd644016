package jwks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
)

// failure describes a broken JWK Set endpoint.
type failure struct {
	name    string
	handler func(t *testing.T, good []byte) http.HandlerFunc
	want    string // in the fetch error
	timeout time.Duration
}

func failures() []failure {
	status := func(code int) func(*testing.T, []byte) http.HandlerFunc {
		return func(_ *testing.T, good []byte) http.HandlerFunc {
			return func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(code)
				_, _ = w.Write(good) // a valid body must not rescue a bad status
			}
		}
	}
	body := func(b string) func(*testing.T, []byte) http.HandlerFunc {
		return func(*testing.T, []byte) http.HandlerFunc {
			return func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(b)) }
		}
	}
	// splice puts text in front of the good document's first key.
	splice := func(text string) func(*testing.T, []byte) http.HandlerFunc {
		return func(t *testing.T, good []byte) http.HandlerFunc {
			b := strings.Replace(string(good), `{"keys":[`, text, 1)
			if b == string(good) {
				t.Fatalf("document %s does not start with the keys", good)
			}
			return func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(b)) }
		}
	}
	return []failure{
		// The strict JSON rule refuses the whole document, even beside a
		// good key.
		{name: "keys repeated", handler: splice(`{"keys":[],"keys":[`), want: "duplicate member name"},
		{name: "invalid UTF-8 in another key", handler: splice("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"\xff\"},"), want: "not valid UTF-8"},
		{name: "lone surrogate in another key", handler: splice(`{"keys":[{"kty":"RSA","kid":"\ud800"},`), want: "unpaired UTF-16 surrogate"},
		{name: "nested too deep", handler: splice(`{"x":` + strings.Repeat("[", 16) + strings.Repeat("]", 16) + `,"keys":[`), want: "nested too deeply"},
		{name: "status 500", handler: status(500), want: "status 500"},
		{name: "status 404", handler: status(404), want: "status 404"},
		{name: "status 204", handler: status(204), want: "status 204"},
		{name: "status 201", handler: status(201), want: "status 201"},
		{name: "invalid JSON", handler: body(`{"keys": [`), want: "not a JSON object"},
		{name: "trailing garbage", handler: body(`{"keys": []} x`), want: "not a JSON object"},
		{name: "top-level array", handler: body(`[{"kty":"RSA"}]`), want: "not a JSON object"},
		{name: "JSON null", handler: body(`null`), want: `no "keys" member`},
		{name: "no keys member", handler: body(`{"jwks": []}`), want: `no "keys" member`},
		{name: "keys null", handler: body(`{"keys": null}`), want: `"keys" is not an array`},
		{name: "keys object", handler: body(`{"keys": {"kty": "RSA"}}`), want: `"keys" is not an array`},
		{name: "keys empty", handler: body(`{"keys": []}`), want: "no usable key among 0"},
		{name: "only unusable keys", handler: body(`{"keys": [{"kty":"oct","k":"AAAA"}, 1]}`), want: "no usable key among 2"},
		{
			name: "oversized with Content-Length",
			handler: func(*testing.T, []byte) http.HandlerFunc {
				return func(w http.ResponseWriter, _ *http.Request) {
					b := []byte(`{"keys":[]}` + strings.Repeat(" ", 2048))
					w.Header().Set("Content-Length", strconv.Itoa(len(b)))
					_, _ = w.Write(b)
				}
			},
			want: "body of 2059 bytes exceeds the 1024-byte limit",
		},
		{
			name: "oversized chunked",
			handler: func(t *testing.T, good []byte) http.HandlerFunc {
				return func(w http.ResponseWriter, _ *http.Request) {
					// Valid JSON followed by padding, streamed without a
					// Content-Length: only the read cap can catch it.
					_, _ = w.Write(good[:len(good)-1])
					w.(http.Flusher).Flush()
					_, _ = w.Write([]byte(strings.Repeat(" ", 1024)))
					_, _ = w.Write([]byte("}"))
				}
			},
			want: "body exceeds the 1024-byte limit",
		},
		{
			name: "redirect",
			handler: func(*testing.T, []byte) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, "/elsewhere", http.StatusFound)
				}
			},
			want: "status 302 (redirects are not followed)",
		},
		{
			name: "slow server",
			handler: func(*testing.T, []byte) http.HandlerFunc {
				return func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
			},
			want:    "no complete response within 200ms",
			timeout: 200 * time.Millisecond,
		},
		{
			name: "slow body",
			handler: func(_ *testing.T, good []byte) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					_, _ = w.Write(good[:10])
					w.(http.Flusher).Flush()
					<-r.Context().Done()
				}
			},
			want:    "no complete response within 200ms",
			timeout: 200 * time.Millisecond,
		},
	}
}

// The good document for these tests fits in 1024 bytes only without the
// second key, so MaxBodyBytes can be small.
func TestFailedRefreshKeepsLastGoodSet(t *testing.T) {
	k := testKeys(t)
	good := doc(t, edJWK("ed", k.edPub()))
	for _, f := range failures() {
		t.Run(f.name, func(t *testing.T) {
			srv := newServer(t, good)
			var elsewhere atomic.Int64
			h := newHarness(t, srv.URL, func(o *Options) {
				o.MaxBodyBytes = 1024
				if f.timeout != 0 {
					o.Timeout = f.timeout
				}
			})
			h.ready(t)
			before := h.LastRefresh()
			srv.set(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/elsewhere" {
					elsewhere.Add(1)
					_, _ = w.Write(good)
					return
				}
				f.handler(t, good)(w, r)
			})
			h.clock.Advance(time.Minute)

			err := h.Refresh(context.Background())
			if !errors.Is(err, ErrFetch) || !strings.Contains(err.Error(), f.want) {
				t.Fatalf("Refresh() = %v; want ErrFetch mentioning %q", err, f.want)
			}
			if h.LastError() == nil {
				t.Error("LastError() = nil after a failed refresh")
			}
			mustKey(t, h.Set, "ed", "EdDSA", k.ed.Public())
			if got := h.KeyIDs(); len(got) != 1 || got[0] != "ed" {
				t.Errorf("KeyIDs() = %v after failed refresh", got)
			}
			if !h.LastRefresh().Equal(before) {
				t.Errorf("LastRefresh moved to %v on a failed refresh", h.LastRefresh())
			}
			if !strings.Contains(h.logs.String(), "refresh failed; keeping the last good key set") {
				t.Errorf("no warning logged:\n%s", h.logs)
			}
			if elsewhere.Load() != 0 {
				t.Error("the redirect was followed")
			}
		})
	}
}

func TestFailedFirstFetchIsUnavailable(t *testing.T) {
	k := testKeys(t)
	good := doc(t, edJWK("ed", k.edPub()))
	for _, f := range failures() {
		t.Run(f.name, func(t *testing.T) {
			srv := newServer(t, nil)
			srv.set(f.handler(t, good))
			h := newHarness(t, srv.URL, func(o *Options) {
				o.MaxBodyBytes = 1024
				o.RefreshRateLimit = time.Hour // no retry during the test
				if f.timeout != 0 {
					o.Timeout = f.timeout
				}
			})
			if err := h.nextFetch(t); err == nil {
				t.Fatal("first fetch succeeded")
			}
			for _, kid := range []string{"ed", ""} {
				_, err := h.VerificationKey(context.Background(), kid, "EdDSA")
				if !errors.Is(err, mcpauth.ErrKeySourceUnavailable) || matches(err, wantUnknownKey) {
					t.Fatalf("lookup(kid %q) = %v; want mcpauth.ErrKeySourceUnavailable and not wantUnknownKey", kid, err)
				}
				if !errors.Is(err, ErrFetch) || !strings.Contains(err.Error(), f.want) {
					t.Errorf("lookup error %q does not carry the fetch failure %q", err, f.want)
				}
			}
			if !strings.Contains(h.logs.String(), "no key set available yet") {
				t.Errorf("no warning logged:\n%s", h.logs)
			}
		})
	}
}

func TestBodyCapBoundary(t *testing.T) {
	k := testKeys(t)
	good := doc(t, edJWK("ed", k.edPub()))
	for _, tt := range []struct {
		extra int
		ok    bool
	}{{0, true}, {1, false}} {
		t.Run(fmt.Sprintf("cap%+d", tt.extra), func(t *testing.T) {
			const limit = 1000
			body := append([]byte(strings.Repeat(" ", limit-len(good)+tt.extra)), good...)
			srv := newServer(t, body)
			h := newHarness(t, srv.URL, func(o *Options) { o.MaxBodyBytes = limit })
			err := h.nextFetch(t)
			if (err == nil) != tt.ok {
				t.Fatalf("fetch of a %d-byte body with a %d-byte cap: %v", len(body), limit, err)
			}
		})
	}
}

func TestRequest(t *testing.T) {
	k := testKeys(t)
	good := doc(t, edJWK("ed", k.edPub()))
	srv := newServer(t, nil)
	type seen struct{ method, accept, path, query string }
	got := make(chan seen, 1)
	srv.set(func(w http.ResponseWriter, r *http.Request) {
		got <- seen{r.Method, r.Header.Get("Accept"), r.URL.Path, r.URL.RawQuery}
		_, _ = w.Write(good)
	})
	h := newHarness(t, srv.URL+"/tenant/jwks?x=1", nil)
	h.ready(t)
	want := seen{"GET", "application/jwk-set+json, application/json", "/tenant/jwks", "x=1"}
	if s := <-got; s != want {
		t.Fatalf("request %+v, want %+v", s, want)
	}
}

func TestRedirectRefusedEvenIfClientFollows(t *testing.T) {
	k := testKeys(t)
	good := doc(t, edJWK("ed", k.edPub()))
	srv := newServer(t, nil)
	var target atomic.Int64
	srv.set(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/real" {
			target.Add(1)
			_, _ = w.Write(good)
			return
		}
		http.Redirect(w, r, "/real", http.StatusMovedPermanently)
	})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}
	h := newHarness(t, srv.URL+"/jwks", func(o *Options) { o.HTTPClient = client })
	if err := h.nextFetch(t); err == nil || !strings.Contains(err.Error(), "status 301") {
		t.Fatalf("fetch through a redirect = %v, want failure on status 301", err)
	}
	if target.Load() != 0 {
		t.Fatal("redirect target was requested")
	}
}

func TestLogsRedactPassword(t *testing.T) {
	srv := newServer(t, nil)
	srv.set(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) })
	u := strings.Replace(srv.URL, "http://", "http://user:s3cret@", 1)
	h := newHarness(t, u, nil)
	err := h.nextFetch(t)
	if err == nil {
		t.Fatal("fetch succeeded")
	}
	if strings.Contains(h.logs.String(), "s3cret") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("password leaked:\n%s\n%v", h.logs, err)
	}
	if !strings.Contains(h.logs.String(), "user:xxxxx@") {
		t.Fatalf("log does not name the (redacted) URL:\n%s", h.logs)
	}
}
