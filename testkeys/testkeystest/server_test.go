package testkeystest_test

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

// fatalRecorder is a testing.TB whose Fatalf records the message and stops
// the calling goroutine, so tests can check that a helper fails its TB.
type fatalRecorder struct {
	testing.TB
	mu  sync.Mutex
	msg string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.msg = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}

// fatalMessage runs f in its own goroutine with a recorder wrapping t and
// returns the message f passed to Fatalf, or "" if it did not call it.
func fatalMessage(t *testing.T, f func(tb testing.TB)) string {
	t.Helper()
	rec := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(rec)
	}()
	<-done
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.msg
}

func TestJWKSServerFailsItsTestOnMisuse(t *testing.T) {
	tests := []struct {
		name string
		run  func(tb testing.TB)
		want string
	}{
		{"nil key at start", func(tb testing.TB) { testkeystest.NewJWKSServer(tb, nil) }, "key pair 0 is nil"},
		{"nil key on rotation", func(tb testing.TB) {
			testkeystest.NewJWKSServer(tb, testkeystest.SharedEd25519KeyPair(t)).SetKeys(testkeystest.SharedEd25519KeyPair(t), nil)
		}, "key pair 1 is nil"},
		{"status too low", func(tb testing.TB) {
			testkeystest.NewJWKSServer(tb).SetStatus(http.StatusContinue)
		}, "status 100 is not between 200 and 599"},
		{"status too high", func(tb testing.TB) {
			testkeystest.NewJWKSServer(tb).SetStatus(600)
		}, "status 600 is not between 200 and 599"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if msg := fatalMessage(t, tc.run); !strings.Contains(msg, tc.want) {
				t.Errorf("Fatal message = %q, want it to mention %q", msg, tc.want)
			}
		})
	}
	// Valid statuses do not fail the test.
	valid := func(tb testing.TB) {
		srv := testkeystest.NewJWKSServer(tb)
		srv.SetStatus(200)
		srv.SetStatus(599)
		srv.SetKeys()
	}
	if msg := fatalMessage(t, valid); msg != "" {
		t.Errorf("valid statuses failed the test: %s", msg)
	}
}

// TestSharedKeyPairs: one pair per kind and process, of the right kind.
func TestSharedKeyPairs(t *testing.T) {
	for _, tt := range []struct {
		get func(testing.TB) string
		alg string
	}{
		{func(tb testing.TB) string { return testkeystest.SharedRSAKeyPair(tb).Algorithm() }, "RS256"},
		{func(tb testing.TB) string { return testkeystest.SharedECKeyPair(tb).Algorithm() }, "ES256"},
		{func(tb testing.TB) string { return testkeystest.SharedEd25519KeyPair(tb).Algorithm() }, "EdDSA"},
	} {
		if got := tt.get(t); got != tt.alg {
			t.Errorf("algorithm %s, want %s", got, tt.alg)
		}
	}
	if a, b := testkeystest.SharedRSAKeyPair(t), testkeystest.SharedRSAKeyPair(t); a != b {
		t.Error("SharedRSAKeyPair returned two different pairs")
	}
}

// TestNewJWKSServerClosesAtCleanup: the server stops when its test ends.
func TestNewJWKSServerClosesAtCleanup(t *testing.T) {
	var url string
	t.Run("inner", func(t *testing.T) {
		srv := testkeystest.NewJWKSServer(t, testkeystest.SharedEd25519KeyPair(t))
		url = srv.URL()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	})
	http.DefaultClient.CloseIdleConnections()
	if resp, err := http.Get(url); err == nil {
		resp.Body.Close()
		t.Error("the server still answers after its test ended")
	}
}
