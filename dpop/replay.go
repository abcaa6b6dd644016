package dpop

import (
	"context"
	"errors"
	"hash/maphash"
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
	max  int
	now  func() time.Time
	seed [2]maphash.Seed // random per store: keys are held as replayIDs

	mu   sync.Mutex
	keys map[replayID]int64 // the key's replayID -> expiry (Unix nanoseconds)
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
	return &MemoryStore{
		max:  max,
		now:  now,
		seed: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		keys: make(map[replayID]int64),
	}
}

// Seen implements [ReplayStore]. It never blocks on I/O; it returns
// [ErrStoreFull] when max unexpired keys are held.
func (s *MemoryStore) Seen(_ context.Context, key string, expiry time.Time) (bool, error) {
	return s.seenAt(replayID{maphash.String(s.seed[0], key), maphash.String(s.seed[1], key)}, expiry, s.now())
}

// replayID is a key as a [MemoryStore] holds it: two 64-bit hashes of it
// under the store's two random seeds, fixed-size, so that recording a key
// allocates and keeps no string, and cheaper to compute than a SHA-256.
// The same key always gives the same replayID, so a replay is always
// refused; two different keys give the same replayID with probability
// 2^-128, and the seeds, secret and per process, keep an attacker from
// choosing keys that collide (a collision could only refuse a fresh
// proof, never accept a replay).
type replayID [2]uint64

// proofID is the replayID of a proof's key, its thumbprint and jti (what
// [replayKey] hashes), without building that string.
func (s *MemoryStore) proofID(thumbprint, jti string) replayID {
	k := proofKey{thumbprint, jti}
	return replayID{maphash.Comparable(s.seed[0], k), maphash.Comparable(s.seed[1], k)}
}

// proofKey is a proof's replay key as its parts; maphash.Comparable hashes
// each field's whole text, so distinct pairs are distinct inputs.
type proofKey struct{ thumbprint, jti string }

// seenAt is Seen of the key whose replayID is key, at the time at, read
// from the store's clock: a Verifier that made the store shares its
// clock, and its reading, and passes the proof's [MemoryStore.proofID].
func (s *MemoryStore) seenAt(key replayID, expiry, at time.Time) (bool, error) {
	now := at.UnixNano()
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
	s.exp.push(expiryEntry{at: e, key: key})
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
		e := s.exp.pop()
		if s.keys[e.key] == e.at {
			delete(s.keys, e.key)
		}
	}
}

// expiryEntry is one key's expiry in the heap.
type expiryEntry struct {
	at  int64
	key replayID
}

// expiryHeap is a min-heap of expiries by at (typed, so that a push
// boxes nothing).
type expiryHeap []expiryEntry

// push adds e.
func (h *expiryHeap) push(e expiryEntry) {
	*h = append(*h, e)
	a := *h
	for i := len(a) - 1; i > 0; {
		parent := (i - 1) / 2
		if a[parent].at <= a[i].at {
			break
		}
		a[parent], a[i] = a[i], a[parent]
		i = parent
	}
}

// pop removes and returns the earliest entry; h must not be empty.
func (h *expiryHeap) pop() expiryEntry {
	a := *h
	top := a[0]
	last := len(a) - 1
	a[0] = a[last]
	a[last] = expiryEntry{} // drop the key's memory
	a = a[:last]
	for i := 0; ; {
		l := 2*i + 1
		if l >= len(a) {
			break
		}
		m := l
		if r := l + 1; r < len(a) && a[r].at < a[l].at {
			m = r
		}
		if a[i].at <= a[m].at {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return top
}
