package tokencache

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth"
)

var testNow = time.Unix(1_700_000_000, 0)

func key(s string) *Key {
	k := Key(sha256.Sum256([]byte(s)))
	return &k
}

func TestCacheCapacity(t *testing.T) {
	for _, size := range []int{1, 2, 63, 64, 100, 127, 128, 1000, 1025, 5000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			c := New[int](size, time.Hour)
			caps := c.Capacity()
			if len(caps) > MaxShards {
				t.Fatalf("%d shards", len(caps))
			}
			total := 0
			for i, n := range caps {
				if n < min(size, MinShardSlots) {
					t.Fatalf("shard %d has %d slots; CLOCK needs at least %d", i, n, min(size, MinShardSlots))
				}
				total += n
			}
			if total != size {
				t.Fatalf("%d slots in all; want %d", total, size)
			}
			for i := range 3 * size {
				c.Put(key(fmt.Sprintf("token-%d", i)), i, testNow, testNow.Add(time.Hour))
				if n := c.Len(); n > size {
					t.Fatalf("%d entries after %d puts; the bound is %d", n, i+1, size)
				}
			}
			if n := c.Len(); n != size {
				t.Fatalf("%d entries when full; want %d", n, size)
			}
		})
	}
}

func TestDeadline(t *testing.T) {
	c := New[string](10, time.Minute)
	// expires later than the maximum age: the maximum age wins.
	c.Put(key("a"), "a", testNow, testNow.Add(time.Hour))
	// expires before the maximum age: the expiry wins.
	c.Put(key("b"), "b", testNow, testNow.Add(10*time.Second))
	for _, tt := range []struct {
		name string
		at   time.Duration
		a, b bool
	}{
		{"fresh", 0, true, true},
		{"just before b expires", 10*time.Second - 1, true, true},
		{"b expired", 10 * time.Second, true, false},
		{"just before the maximum age", time.Minute - 1, true, false},
		{"maximum age reached", time.Minute, false, false},
	} {
		if v, ok := c.Get(key("a"), testNow.Add(tt.at)); ok != tt.a || (ok && v != "a") {
			t.Errorf("%s: a served %v (%q), want %v", tt.name, ok, v, tt.a)
		}
		if v, ok := c.Get(key("b"), testNow.Add(tt.at)); ok != tt.b || (ok && v != "b") {
			t.Errorf("%s: b served %v (%q), want %v", tt.name, ok, v, tt.b)
		}
	}
	if c.Len() != 0 {
		t.Fatalf("%d entries left after both expired and were looked up", c.Len())
	}
}

func TestEvictionPrefersExpiredAndUnused(t *testing.T) {
	c := New[int](2, time.Hour)
	c.Put(key("short"), 1, testNow, testNow.Add(time.Second))
	c.Put(key("long"), 2, testNow, testNow.Add(time.Hour))
	later := testNow.Add(2 * time.Second)
	if _, ok := c.Get(key("long"), later); !ok {
		t.Fatal("long entry missing")
	}
	c.Put(key("new"), 3, later, later.Add(time.Hour))
	if _, ok := c.Get(key("long"), later); !ok {
		t.Fatal("a live, recently used entry was evicted while an expired one was kept")
	}
	if _, ok := c.Get(key("new"), later); !ok {
		t.Fatal("the new entry is missing")
	}
}

func TestContainsIsKeyedByDigest(t *testing.T) {
	c := New[int](4, time.Hour)
	c.Put(key("tok"), 1, testNow, testNow.Add(time.Hour))
	if !c.Contains(key("tok")) || c.Contains(key("tok2")) {
		t.Fatal("Contains does not follow the digest key")
	}
}

func TestSharedCopy(t *testing.T) {
	orig := &mcpauth.AccessToken{ClientID: "c", Scopes: []string{"a"}, Audience: []string{"x"}}
	cp := SharedCopy(orig)
	cp.Scopes[0] = "changed"
	cp.Audience[0] = "changed"
	cp.ClientID = "other"
	if orig.Scopes[0] != "a" || orig.Audience[0] != "x" || orig.ClientID != "c" {
		t.Fatalf("the copy shares state with the original: %+v", orig)
	}
}

func TestStats(t *testing.T) {
	c := New[int](2, time.Minute) // one shard of two slots
	want := mcpauth.CacheStats{Capacity: 2}
	check := func(what string) {
		t.Helper()
		if got := c.Stats(); got != want {
			t.Fatalf("%s: Stats() = %+v, want %+v", what, got, want)
		}
	}
	check("new")
	c.Get(key("a"), testNow)
	want.Misses = 1
	check("miss")
	c.Put(key("a"), 1, testNow, testNow.Add(time.Hour))
	c.Put(key("b"), 2, testNow, testNow.Add(time.Second))
	want.Entries = 2
	check("two puts")
	c.Get(key("a"), testNow)
	c.Get(key("a"), testNow)
	want.Hits = 2
	check("hits")
	c.Put(key("c"), 3, testNow, testNow.Add(time.Hour)) // evicts b (unused)
	want.Evictions = 1
	check("eviction")
	c.Get(key("c"), testNow.Add(2*time.Minute)) // expired: dropped, a miss
	want.Misses, want.Entries = 2, 1
	check("expired lookup")
	c.Put(key("a"), 4, testNow, testNow.Add(time.Hour)) // overwrite: no eviction
	check("overwrite")
}
