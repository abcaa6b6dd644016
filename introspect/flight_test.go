package introspect

import (
	"context"
	"net/http"
	"sync"
	"testing"
)

func TestConcurrentRequestsShareOneCall(t *testing.T) {
	for _, cacheSize := range []int{0, 10} {
		t.Run(map[int]string{0: "no cache", 10: "cache"}[cacheSize], func(t *testing.T) {
			release := make(chan struct{})
			s := newAuthServer(t, func(w http.ResponseWriter, _ *http.Request, _ string) {
				<-release
				writeJSON(w, activeAnswer())
			})
			c := testConfig(s)
			c.CacheSize = cacheSize
			v := newVerifier(t, c, nil)
			const n = 8
			joined := make(chan struct{}, n)
			v.flight.joined = func() { joined <- struct{}{} }
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					at, err := v.VerifyToken(context.Background(), "tok")
					if err == nil && at.ClientID != "client-1" {
						err = context.Canceled
					}
					errs <- err
				}()
			}
			for range n - 1 {
				<-joined
			}
			close(release)
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if got := s.calls.Load(); got != 1 {
				t.Fatalf("%d endpoint calls for %d concurrent requests; want 1", got, n)
			}
		})
	}
}

func TestDifferentTokensDoNotShare(t *testing.T) {
	s := newAuthServer(t, answerWith(activeAnswer()))
	v := newVerifier(t, testConfig(s), nil)
	for _, tok := range []string{"a", "b", "c"} {
		if _, err := v.VerifyToken(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.calls.Load(); got != 3 {
		t.Fatalf("%d calls; want one per token", got)
	}
}
