package jwks

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestStatsCountFetchesAndKeys(t *testing.T) {
	k := testKeys(t)
	srv := newServer(t, doc(t,
		rsaJWK("a", &k.rsa1.PublicKey),
		ecJWK(t, "b", &k.p256.PublicKey),
		rsaJWK("weak", &k.rsaWeak.PublicKey), // skipped: not counted
	))
	h := newHarness(t, strings.Replace(srv.URL, "http://", "http://user:secret@", 1), nil)
	if st := h.Stats(); st.Keys != 0 || !st.LastRefresh.IsZero() {
		t.Errorf("Stats before any fetch = %+v", st)
	}
	if err := h.nextFetch(t); err != nil {
		t.Fatalf("first fetch: %v", err)
	}
	st := h.Stats()
	want := Stats{Source: strings.Replace(srv.URL, "http://", "http://user:xxxxx@", 1), Fetches: 1, Keys: 2, LastRefresh: h.clock.Now()}
	if st != want {
		t.Fatalf("Stats after one fetch = %+v, want %+v", st, want)
	}

	// A failed refresh counts as a failure and keeps the key set.
	srv.set(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	h.clock.Advance(time.Minute)
	if err := h.Refresh(context.Background()); !errors.Is(err, ErrFetch) {
		t.Fatalf("Refresh() = %v, want ErrFetch", err)
	}
	want.FetchFailures = 1
	if st := h.Stats(); st != want {
		t.Fatalf("Stats after a failed refresh = %+v, want %+v", st, want)
	}

	// A good one again: a new time and key count.
	srv.serve(doc(t, rsaJWK("a", &k.rsa1.PublicKey)))
	if err := h.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	want.Fetches, want.Keys, want.LastRefresh = 2, 1, h.clock.Now()
	if st := h.Stats(); st != want {
		t.Fatalf("Stats after recovery = %+v, want %+v", st, want)
	}

	// A fetch cancelled by Close is not a failure.
	entered, release := srv.block(doc(t))
	defer release()
	go h.Refresh(context.Background())
	waitChan(t, entered, "the blocked fetch")
	h.Close()
	if st := h.Stats(); st != want {
		t.Fatalf("Stats after Close = %+v, want %+v", st, want)
	}
}

func TestStatsSourceIsTheIssuerForDiscovery(t *testing.T) {
	opts, _, _ := testOptions()
	s, err := NewFromIssuer(context.Background(), "http://127.0.0.1:1/tenant", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.Stats().Source; got != "http://127.0.0.1:1/tenant" {
		t.Errorf("Source = %q, want the issuer", got)
	}
}
