package verify

import (
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"sync"
	"time"

	"github.com/mcpauth/mcpauth"
)

// Cache limits and defaults, see Settings.CacheSize.
const (
	// MaxCacheSize bounds Settings.CacheSize.
	MaxCacheSize = 1 << 20
	// DefaultCacheMaxAge is how long an entry is served at most when
	// Settings.CacheMaxAge is zero.
	DefaultCacheMaxAge = 5 * time.Minute
)

// newCacheFor builds the cache configured by s.CacheSize and s.CacheMaxAge;
// it returns nil when caching is off.
func newCacheFor(s Settings) (*tokenCache, error) {
	size, maxAge := s.CacheSize, s.CacheMaxAge
	switch {
	case size < 0 || size > MaxCacheSize:
		return nil, configErr("CacheSize %d is out of range (0 for no cache, at most %d)", size, MaxCacheSize)
	case maxAge < 0:
		return nil, configErr("CacheMaxAge %s is negative", maxAge)
	case size == 0 && maxAge != 0:
		return nil, configErr("CacheMaxAge is set but the cache is off (CacheSize is zero)")
	case size == 0:
		return nil, nil
	case maxAge == 0:
		maxAge = DefaultCacheMaxAge
	}
	return newTokenCache(size, maxAge), nil
}

// cacheKey is the SHA-256 digest of a whole token. The raw token is never a
// key.
type cacheKey [sha256.Size]byte

// tokenCache is a bounded, sharded cache of verified tokens with CLOCK
// (second chance) eviction. Each shard has a fixed number of slots, so the
// total number of entries never exceeds the configured size.
type tokenCache struct {
	shards []cacheShard
	maxAge time.Duration
}

// cacheShard is one lock's worth of the cache.
type cacheShard struct {
	mu    sync.Mutex
	index map[cacheKey]int32 // key -> slot
	slots []cacheSlot        // fixed length: the shard's capacity
	free  []int32            // unused slots
	hand  int                // CLOCK hand
	_     [64]byte           // keep shards' locks on separate cache lines
}

// cacheSlot holds one verified token.
type cacheSlot struct {
	key      cacheKey
	token    *mcpauth.AccessToken // nil when the slot is free
	deadline time.Time            // served only before this instant
	ref      bool                 // used since the hand last passed
}

// minShardSlots keeps shards large enough for CLOCK to approximate LRU.
const (
	minShardSlots = 64
	maxShards     = 16
)

// newTokenCache returns a cache of size entries in total.
func newTokenCache(size int, maxAge time.Duration) *tokenCache {
	n := min(maxShards, max(1, size/minShardSlots))
	c := &tokenCache{shards: make([]cacheShard, n), maxAge: maxAge}
	for i := range c.shards {
		capacity := size / n
		if i < size%n {
			capacity++
		}
		sh := &c.shards[i]
		sh.index = make(map[cacheKey]int32, capacity)
		sh.slots = make([]cacheSlot, capacity)
		sh.free = make([]int32, capacity)
		for j := range sh.free {
			sh.free[j] = int32(capacity - 1 - j)
		}
	}
	return c
}

func (c *tokenCache) shard(k *cacheKey) *cacheShard {
	return &c.shards[binary.LittleEndian.Uint64(k[:8])%uint64(len(c.shards))]
}

// get returns the token cached under k if it may still be served at now.
// An entry past its deadline is dropped.
func (c *tokenCache) get(k *cacheKey, now time.Time) *mcpauth.AccessToken {
	sh := c.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	i, ok := sh.index[*k]
	if !ok {
		return nil
	}
	s := &sh.slots[i]
	if !now.Before(s.deadline) {
		sh.remove(i)
		return nil
	}
	s.ref = true
	return s.token
}

// put caches at, verified at now and acceptable until expires, under k.
// The entry is served until expires or now+maxAge, whichever is first.
func (c *tokenCache) put(k *cacheKey, at *mcpauth.AccessToken, now, expires time.Time) {
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
	sh.slots[i] = cacheSlot{key: *k, token: at, deadline: deadline}
}

// alloc returns a free slot, evicting an entry when the shard is full:
// the first expired or not recently used entry the CLOCK hand finds.
func (sh *cacheShard) alloc(now time.Time) int32 {
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
		*s = cacheSlot{}
		return i
	}
}

// remove frees slot i.
func (sh *cacheShard) remove(i int32) {
	delete(sh.index, sh.slots[i].key)
	sh.slots[i] = cacheSlot{}
	sh.free = append(sh.free, i)
}

// len returns the number of entries, for tests.
func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		n += len(sh.index)
		sh.mu.Unlock()
	}
	return n
}

// shared returns a copy of a cached token for one caller: reassigning its
// fields, or changing its Scopes and Audience, does not affect other
// callers. The Claims map is shared and must be treated as read-only.
func sharedCopy(t *mcpauth.AccessToken) *mcpauth.AccessToken {
	c := *t
	c.Scopes = slices.Clone(t.Scopes)
	c.Audience = slices.Clone(t.Audience)
	return &c
}
