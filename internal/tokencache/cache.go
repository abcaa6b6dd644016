package tokencache

import (
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"sync"
	"time"

	"github.com/mcpauth/mcpauth"
)

// Key is the SHA-256 digest of a whole token.
type Key [sha256.Size]byte

// Cache is a bounded, sharded cache of values of type V with CLOCK eviction.
// It is safe for concurrent use.
type Cache[V any] struct {
	shards []shard[V]
	maxAge time.Duration
}

// shard is one lock's worth of the cache.
type shard[V any] struct {
	mu    sync.Mutex
	index map[Key]int32 // key -> slot
	slots []slot[V]     // fixed length: the shard's capacity
	free  []int32       // unused slots
	hand  int           // CLOCK hand
	// Counters for Stats, updated under mu.
	hits, misses, evictions uint64
	_                       [64]byte // keep shards' locks on separate cache lines
}

// slot holds one entry.
type slot[V any] struct {
	key      Key
	value    V         // the cached value
	deadline time.Time // served only before this instant
	ref      bool      // used since the hand last passed
}

// Shard sizing: shards large enough for CLOCK to approximate LRU, and no
// more of them than lock contention needs.
const (
	MinShardSlots = 64
	MaxShards     = 16
)

// New returns a cache of size entries in total (size >= 1) whose entries
// are served at most maxAge after they were stored.
func New[V any](size int, maxAge time.Duration) *Cache[V] {
	n := min(MaxShards, max(1, size/MinShardSlots))
	c := &Cache[V]{shards: make([]shard[V], n), maxAge: maxAge}
	for i := range c.shards {
		capacity := size / n
		if i < size%n {
			capacity++
		}
		sh := &c.shards[i]
		sh.index = make(map[Key]int32, capacity)
		sh.slots = make([]slot[V], capacity)
		sh.free = make([]int32, capacity)
		for j := range sh.free {
			sh.free[j] = int32(capacity - 1 - j)
		}
	}
	return c
}

// MaxAge returns the longest time an entry is served after it was stored.
func (c *Cache[V]) MaxAge() time.Duration { return c.maxAge }

func (c *Cache[V]) shard(k *Key) *shard[V] {
	return &c.shards[binary.LittleEndian.Uint64(k[:8])%uint64(len(c.shards))]
}

// Get returns the value stored under k if it may still be served at now.
// An entry past its deadline is dropped.
func (c *Cache[V]) Get(k *Key, now time.Time) (V, bool) {
	sh := c.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	var zero V
	i, ok := sh.index[*k]
	if !ok {
		sh.misses++
		return zero, false
	}
	s := &sh.slots[i]
	if !now.Before(s.deadline) {
		sh.remove(i)
		sh.misses++
		return zero, false
	}
	s.ref = true
	sh.hits++
	return s.value, true
}

// Put stores v under k at now. The entry is served until expires or
// now plus the cache's maximum age, whichever comes first.
func (c *Cache[V]) Put(k *Key, v V, now, expires time.Time) {
	deadline := now.Add(c.maxAge)
	if expires.Before(deadline) {
		deadline = expires
	}
	sh := c.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	i, ok := sh.index[*k]
	if !ok {
		i = sh.alloc(now)
		sh.index[*k] = i
	}
	sh.slots[i] = slot[V]{key: *k, value: v, deadline: deadline}
}

// alloc returns a free slot, evicting an entry when the shard is full:
// the first expired or not recently used entry the CLOCK hand finds.
func (sh *shard[V]) alloc(now time.Time) int32 {
	if n := len(sh.free); n > 0 {
		i := sh.free[n-1]
		sh.free = sh.free[:n-1]
		return i
	}
	for {
		i := int32(sh.hand)
		sh.hand = (sh.hand + 1) % len(sh.slots)
		s := &sh.slots[i]
		if s.ref && now.Before(s.deadline) {
			s.ref = false
			continue
		}
		delete(sh.index, s.key)
		*s = slot[V]{}
		sh.evictions++
		return i
	}
}

// remove frees slot i.
func (sh *shard[V]) remove(i int32) {
	delete(sh.index, sh.slots[i].key)
	sh.slots[i] = slot[V]{}
	sh.free = append(sh.free, i)
}

// Len returns the number of entries, expired ones included until they are
// looked up or evicted.
func (c *Cache[V]) Len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		n += len(sh.index)
		sh.mu.Unlock()
	}
	return n
}

// Stats returns the counters summed over the shards, the number of entries
// (as Len) and the capacity.
func (c *Cache[V]) Stats() mcpauth.CacheStats {
	var st mcpauth.CacheStats
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		st.Hits += sh.hits
		st.Misses += sh.misses
		st.Evictions += sh.evictions
		st.Entries += len(sh.index)
		st.Capacity += len(sh.slots)
		sh.mu.Unlock()
	}
	return st
}

// Capacity returns the number of slots of each shard, for tests.
func (c *Cache[V]) Capacity() []int {
	out := make([]int, len(c.shards))
	for i := range c.shards {
		out[i] = len(c.shards[i].slots)
	}
	return out
}

// Contains reports whether an entry, live or expired, is stored under k.
func (c *Cache[V]) Contains(k *Key) bool {
	sh := c.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	_, ok := sh.index[*k]
	return ok
}

// SharedCopy returns a copy of a cached token for one caller: reassigning
// its fields, or changing its Scopes and Audience, does not affect other
// callers. The Claims map is shared and must be treated as read-only.
func SharedCopy(t *mcpauth.AccessToken) *mcpauth.AccessToken {
	c := *t
	c.Scopes = slices.Clone(t.Scopes)
	c.Audience = slices.Clone(t.Audience)
	return &c
}
