package testkeys_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mcpauth/mcpauth/testkeys"
	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// do sends req and returns the response and its body.
func do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// get fetches url and returns the status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := do(t, req)
	return resp.StatusCode, body
}

// kids returns the key IDs of a JWK Set document.
func kids(t *testing.T, doc string) []string {
	t.Helper()
	var set testkeys.JWKSet
	if err := json.Unmarshal([]byte(doc), &set); err != nil {
		t.Fatalf("not a JWK Set: %v: %s", err, doc)
	}
	var ids []string
	for _, k := range set.Keys {
		ids = append(ids, k.Kid)
	}
	return ids
}

func TestJWKSServerServesKeys(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	srv := testkeystest.NewJWKSServer(t, kp)
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") || !strings.HasSuffix(srv.URL(), testkeys.JWKSPath) {
		t.Errorf("URL() = %q, want a loopback URL ending in %s", srv.URL(), testkeys.JWKSPath)
	}
	want, err := testkeys.JWKS(kp)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, srv.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := do(t, req)
	if resp.StatusCode != http.StatusOK || body != string(want) {
		t.Errorf("got %d %s, want 200 %s", resp.StatusCode, body, want)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if n := srv.Requests(); n != 1 {
		t.Errorf("Requests() = %d, want 1", n)
	}

	// Other paths are not the key set and are not counted.
	if status, _ := get(t, strings.TrimSuffix(srv.URL(), testkeys.JWKSPath)+"/jwks"); status != http.StatusNotFound {
		t.Errorf("other path: status %d, want 404", status)
	}
	if n := srv.Requests(); n != 1 {
		t.Errorf("after a request to another path, Requests() = %d, want 1", n)
	}

	// Other methods get 405 but are counted.
	req, err = http.NewRequest(http.MethodPost, srv.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := do(t, req); resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: status %d, Allow %q; want 405, GET, HEAD", resp.StatusCode, resp.Header.Get("Allow"))
	}
	if n := srv.Requests(); n != 2 {
		t.Errorf("Requests() = %d, want 2", n)
	}
}

func TestJWKSServerRotation(t *testing.T) {
	a, b := testkeystest.SharedRSAKeyPair(t), otherRSAKeyPair(t)
	srv := testkeystest.NewJWKSServer(t, a)
	steps := []struct {
		name   string
		change func()
		want   []string
	}{
		{"initial", func() {}, []string{a.KeyID()}},
		{"both during rotation", func() { srv.SetKeys(a, b) }, []string{a.KeyID(), b.KeyID()}},
		{"new key only", func() { srv.SetKeys(b) }, []string{b.KeyID()}},
		{"empty set", func() { srv.SetKeys() }, nil},
	}
	for i, st := range steps {
		st.change()
		status, body := get(t, srv.URL())
		if status != http.StatusOK {
			t.Fatalf("%s: status %d", st.name, status)
		}
		if got := kids(t, body); strings.Join(got, ",") != strings.Join(st.want, ",") {
			t.Errorf("%s: kids = %v, want %v", st.name, got, st.want)
		}
		if n := srv.Requests(); n != i+1 {
			t.Errorf("%s: Requests() = %d, want %d", st.name, n, i+1)
		}
	}
}

func TestJWKSServerSetDocument(t *testing.T) {
	kp := testkeystest.SharedECKeyPair(t)
	srv := testkeystest.NewJWKSServer(t, kp)
	raw := []byte(`{"keys":[{"kty":"RSA"`)
	srv.SetDocument(raw)
	raw[0] = 'X' // the server keeps its own copy
	if status, body := get(t, srv.URL()); status != http.StatusOK || body != `{"keys":[{"kty":"RSA"` {
		t.Errorf("got %d %q, want the raw document", status, body)
	}
	srv.SetDocument(nil)
	if status, body := get(t, srv.URL()); status != http.StatusOK || body != "" {
		t.Errorf("got %d %q, want an empty 200 response", status, body)
	}
	srv.SetKeys(kp)
	if _, body := get(t, srv.URL()); strings.Join(kids(t, body), ",") != kp.KeyID() {
		t.Errorf("after SetKeys: %s", body)
	}
}

func TestJWKSServerOutageAndRecovery(t *testing.T) {
	kp := testkeystest.SharedECKeyPair(t)
	srv := testkeystest.NewJWKSServer(t, kp)
	steps := []struct {
		name   string
		change func()
		status int
	}{
		{"up", func() {}, http.StatusOK},
		{"down", func() { srv.SetDown(true) }, http.StatusServiceUnavailable},
		{"status while down", func() { srv.SetStatus(http.StatusInternalServerError) }, http.StatusServiceUnavailable},
		{"back up with an error status", func() { srv.SetDown(false) }, http.StatusInternalServerError},
		{"not found", func() { srv.SetStatus(http.StatusNotFound) }, http.StatusNotFound},
		{"recovered", func() { srv.SetStatus(http.StatusOK) }, http.StatusOK},
	}
	for i, st := range steps {
		st.change()
		status, body := get(t, srv.URL())
		if status != st.status {
			t.Errorf("%s: status %d, want %d", st.name, status, st.status)
		}
		if status == http.StatusOK {
			if got := strings.Join(kids(t, body), ","); got != kp.KeyID() {
				t.Errorf("%s: kids = %s", st.name, got)
			}
		} else if body != http.StatusText(status)+"\n" {
			t.Errorf("%s: body %q, want the status text", st.name, body)
		}
		if n := srv.Requests(); n != i+1 {
			t.Errorf("%s: Requests() = %d, want %d", st.name, n, i+1)
		}
	}
}

func TestJWKSServerHoldAndRelease(t *testing.T) {
	a, b := testkeystest.SharedEd25519KeyPair(t), testkeystest.SharedECKeyPair(t)
	srv := testkeystest.NewJWKSServer(t, a)
	release := srv.Hold()
	if again := srv.Hold(); again == nil {
		t.Fatal("second Hold returned nil")
	}

	type result struct {
		status int
		body   string
	}
	results := make(chan result, 2)
	for range 2 {
		go func() {
			resp, err := http.Get(srv.URL())
			if err != nil {
				results <- result{status: -1, body: err.Error()}
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			results <- result{resp.StatusCode, string(b)}
		}()
	}
	<-srv.AwaitRequests(2)
	if n := srv.Requests(); n != 2 {
		t.Errorf("Requests() = %d while held, want 2", n)
	}
	select {
	case r := <-results:
		t.Fatalf("a held request was answered: %+v", r)
	default:
	}
	srv.SetKeys(b) // the response reflects the state at release
	release()
	release() // idempotent
	for range 2 {
		r := <-results
		if r.status != http.StatusOK || strings.Join(kids(t, r.body), ",") != b.KeyID() {
			t.Errorf("released request got %d %s, want the new key", r.status, r.body)
		}
	}
	// No longer held.
	if status, _ := get(t, srv.URL()); status != http.StatusOK {
		t.Errorf("after release: status %d", status)
	}
}

func TestJWKSServerHeldRequestCanceledByClient(t *testing.T) {
	srv := testkeystest.NewJWKSServer(t, testkeystest.SharedEd25519KeyPair(t))
	defer srv.Hold()()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	<-srv.AwaitRequests(1)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}

func TestJWKSServerCloseReleasesHeldRequests(t *testing.T) {
	srv := testkeystest.NewJWKSServer(t, testkeystest.SharedEd25519KeyPair(t))
	srv.Hold() // never released
	errc := make(chan error, 1)
	go func() {
		resp, err := http.Get(srv.URL())
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	<-srv.AwaitRequests(1)
	srv.Close() // must not wait forever for the held request
	<-errc
	srv.Close() // idempotent
	if _, err := http.Get(srv.URL()); err == nil {
		t.Error("the closed server still answers")
	}
}

func TestJWKSServerAwaitRequests(t *testing.T) {
	srv := testkeystest.NewJWKSServer(t, testkeystest.SharedEd25519KeyPair(t))
	isClosed := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
	if !isClosed(srv.AwaitRequests(0)) {
		t.Error("AwaitRequests(0) is not closed at once")
	}
	two := srv.AwaitRequests(2)
	get(t, srv.URL())
	if isClosed(two) {
		t.Error("AwaitRequests(2) closed after one request")
	}
	get(t, srv.URL())
	if !isClosed(two) {
		t.Error("AwaitRequests(2) not closed after two requests")
	}
	if !isClosed(srv.AwaitRequests(1)) {
		t.Error("AwaitRequests(1) not closed after two requests")
	}
}

func TestJWKSServerCountsConcurrentRequests(t *testing.T) {
	srv := testkeystest.NewJWKSServer(t, testkeystest.SharedEd25519KeyPair(t))
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			resp, err := http.Get(srv.URL())
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
	if n := srv.Requests(); n != 10 {
		t.Errorf("Requests() = %d, want 10", n)
	}
}

// TestJWKSServerErrors: the server of package testkeys reports misuse as
// errors (it has no test to fail) and changes nothing.
func TestJWKSServerErrors(t *testing.T) {
	if _, err := testkeys.NewJWKSServer(nil); err == nil || !strings.Contains(err.Error(), "key pair 0 is nil") {
		t.Errorf("NewJWKSServer(nil): %v", err)
	}
	kp := testkeystest.SharedEd25519KeyPair(t)
	srv, err := testkeys.NewJWKSServer(kp)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, code := range []int{http.StatusContinue, 600} {
		if err := srv.SetStatus(code); err == nil || !strings.Contains(err.Error(), "is not between 200 and 599") {
			t.Errorf("SetStatus(%d): %v", code, err)
		}
	}
	if err := srv.SetKeys(kp, nil); err == nil || !strings.Contains(err.Error(), "key pair 1 is nil") {
		t.Errorf("SetKeys(kp, nil): %v", err)
	}
	status, body := get(t, srv.URL())
	if status != http.StatusOK || !slices.Equal(kids(t, body), []string{kp.KeyID()}) {
		t.Errorf("after refused changes: %d %s", status, body)
	}
	if err := srv.SetStatus(599); err != nil {
		t.Error(err)
	}
	if err := srv.SetKeys(); err != nil {
		t.Error(err)
	}
	srv.Close()
	if err := srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := http.Get(srv.URL()); err == nil {
		t.Error("the closed server still answers")
	}
}
