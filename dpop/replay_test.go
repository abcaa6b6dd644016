package dpop

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMemoryStore(t *testing.T) {
	now := testNow
	s := NewMemoryStore(3, func() time.Time { return now })
	ctx := context.Background()
	seen := func(key string, exp time.Duration) bool {
		t.Helper()
		fresh, err := s.Seen(ctx, key, now.Add(exp))
		if err != nil {
			t.Fatal(err)
		}
		return fresh
	}
	if !seen("a", time.Minute) || seen("a", time.Minute) {
		t.Fatal("a: want fresh, then replay")
	}
	if !seen("b", 2*time.Minute) || !seen("c", 3*time.Minute) {
		t.Fatal("b, c: want fresh")
	}
	if _, err := s.Seen(ctx, "d", now.Add(time.Minute)); !errors.Is(err, ErrStoreFull) {
		t.Fatalf("full store: %v; want ErrStoreFull", err)
	}
	if seen("b", time.Minute) {
		t.Fatal("b replayed while the store is full")
	}
	now = now.Add(time.Minute) // a expires
	if !seen("d", time.Minute) {
		t.Fatal("d: want fresh after a expired")
	}
	if s.Len() != 3 {
		t.Fatalf("Len = %d; want 3 (b, c, d)", s.Len())
	}
	now = now.Add(time.Minute) // b and d expire
	if !seen("a", time.Minute) {
		t.Fatal("a: want fresh after expiry")
	}
	if s.Len() != 2 {
		t.Fatalf("Len = %d; want 2 (c, a)", s.Len())
	}
	// An already expired key must not be stored: asking twice is fresh twice.
	for i := range 2 {
		if !seen("gone", -time.Second) {
			t.Fatalf("attempt %d: an already expired key must not be stored", i+1)
		}
	}
}

// TestMemoryStoreConcurrent: of many goroutines racing on one key, exactly
// one sees it fresh.
func TestMemoryStoreConcurrent(t *testing.T) {
	s := NewMemoryStore(0, func() time.Time { return testNow })
	var fresh atomic.Int32
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 50 {
				f, err := s.Seen(context.Background(), fmt.Sprint("k", k), testNow.Add(time.Minute))
				if err != nil {
					t.Error(err)
				}
				if f {
					fresh.Add(1)
				}
				_ = i
			}
		}()
	}
	wg.Wait()
	if fresh.Load() != 50 {
		t.Fatalf("%d fresh; want 50", fresh.Load())
	}
}

// TestMemoryStoreExpiryOrder: keys inserted with expiries in random order
// expire exactly when their time comes (the expiry heap keeps its order).
func TestMemoryStoreExpiryOrder(t *testing.T) {
	now := testNow
	s := NewMemoryStore(0, func() time.Time { return now })
	rnd := rand.New(rand.NewPCG(1, 2))
	exp := make([]time.Duration, 500)
	for i := range exp {
		exp[i] = time.Duration(1+rnd.IntN(1000)) * time.Second
		if f, err := s.Seen(context.Background(), fmt.Sprint("k", i), now.Add(exp[i])); !f || err != nil {
			t.Fatalf("key %d: fresh %v, err %v", i, f, err)
		}
	}
	for step := time.Duration(0); step <= 1000*time.Second; step += 37 * time.Second {
		now = testNow.Add(step)
		want := 0
		for _, e := range exp {
			if e > step {
				want++
			}
		}
		// Seen expires what is due; a key that expired is fresh again.
		if f, _ := s.Seen(context.Background(), "probe", now); !f {
			t.Fatal("probe")
		}
		if got := s.Len(); got != want {
			t.Fatalf("after %v: %d keys; want %d", step, got, want)
		}
		for i, e := range exp {
			if e > step {
				if f, _ := s.Seen(context.Background(), fmt.Sprint("k", i), now.Add(time.Hour)); f {
					t.Fatalf("after %v: key %d (expiry %v) fresh again", step, i, e)
				}
			}
		}
	}
}

// TestMemoryStoreProofID: a proof's replayID is a function of its
// thumbprint and jti (the same pair, the same ID, so a replay is found),
// and pairs whose concatenations are equal stay apart.
func TestMemoryStoreProofID(t *testing.T) {
	s := NewMemoryStore(0, nil)
	thumb, jti := "thumb", "jti-1"
	if a, b := s.proofID(thumb, jti), s.proofID(strings.Clone(thumb), strings.Clone(jti)); a != b {
		t.Fatalf("the same thumbprint and jti give different IDs: %v, %v", a, b)
	}
	pairs := [][2]string{{"thumb", "jti-1"}, {"thumb", "jti-2"}, {"thumbj", "ti-1"}, {"thum", "bjti-1"}, {"other", "jti-1"}, {"", "thumbjti-1"}}
	ids := map[replayID][2]string{}
	for _, p := range pairs {
		id := s.proofID(p[0], p[1])
		if q, ok := ids[id]; ok {
			t.Errorf("%q and %q have the same ID", p, q)
		}
		ids[id] = p
	}
	ctx := context.Background()
	exp := time.Now().Add(time.Minute)
	if fresh, err := s.Seen(ctx, "thumb\x00jti-1", exp); err != nil || !fresh {
		t.Fatalf("Seen: %v, %v; want fresh", fresh, err)
	}
	if fresh, err := s.Seen(ctx, "thumb\x00jti-1", exp); err != nil || fresh {
		t.Fatalf("Seen again: %v, %v; want a replay", fresh, err)
	}
}
