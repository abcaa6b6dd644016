package dpop

import (
	"container/heap"
	"context"
	"errors"
	"sync"
	"time"
)

// ReplayStore remembers the proofs already accepted (RFC 9449 §11.1). One
// store must serve every replica of a resource, or a proof replayed to
// another replica passes. Implementations must be safe for concurrent use.
type ReplayStore interface {
	// Seen records key until expiry, atomically, and reports whether the
	// key is fresh: true the first time it is recorded (or after its
	// previous record expired), false for a replay. An error means the
	// store cannot tell; the proof is then refused with
	// [ErrReplayStoreUnavailable], never accepted. Keys are at most 64
	// bytes of base64url.
	Seen(ctx context.Context, key string, expiry time.Time) (fresh bool, err error)
}

// ErrStoreFull is returned by [MemoryStore.Seen] when the store holds its
// maximum number of unexpired keys: it fails closed rather than forget a
// key that could then be replayed.
var ErrStoreFull = errors.New("DPoP in-memory replay store is full")

// MemoryStore is a bounded in-memory [ReplayStore] whose keys expire. It
// protects one process only.
type MemoryStore struct {
	max int
	now func() time.Time

	mu   sync.Mutex
	keys map[string]int64 // key -> expiry (Unix nanoseconds)
	exp  expiryHeap
}

// NewMemoryStore returns a store holding at most max unexpired keys (max
// <= 0 means [DefaultMemoryStoreSize]). now is the clock; nil means
// time.Now.
func NewMemoryStore(max int, now func() time.Time) *MemoryStore {
	if max <= 0 {
		max = DefaultMemoryStoreSize
	}
	if now == nil {
		now = time.Now
	}
	return &MemoryStore{max: max, now: now, keys: make(map[string]int64)}
}

// Seen implements [ReplayStore]. It never blocks on I/O; it returns
// [ErrStoreFull] when max unexpired keys are held.
func (s *MemoryStore) Seen(_ context.Context, key string, expiry time.Time) (bool, error) {
	now := s.now().UnixNano()
	e := expiry.UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	if old, ok := s.keys[key]; ok && old > now {
		return false, nil
	}
	if e <= now {
		// Already expired: the window check refuses such proofs, so there
		// is nothing to remember.
		return true, nil
	}
	if len(s.keys) >= s.max {
		return false, ErrStoreFull
	}
	s.keys[key] = e
	heap.Push(&s.exp, expiryEntry{at: e, key: key})
	return true, nil
}

// Len returns the number of keys held, expired ones included until the
// next call to Seen.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys)
}

// expire drops the keys whose expiry is not after now.
func (s *MemoryStore) expire(now int64) {
	for len(s.exp) > 0 && s.exp[0].at <= now {
		e := heap.Pop(&s.exp).(expiryEntry)
		if s.keys[e.key] == e.at {
			delete(s.keys, e.key)
		}
	}
}

// expiryEntry is one key's expiry in the heap.
type expiryEntry struct {
	at  int64
	key string
}

// expiryHeap is a min-heap of expiries (container/heap).
type expiryHeap []expiryEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiryEntry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
