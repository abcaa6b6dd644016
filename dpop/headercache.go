package dpop

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mcpauth/mcpauth/internal/jose"
)

// headerCacheSize bounds each generation of the header cache: two
// generations hold at most twice as many clients' headers.
const headerCacheSize = 2048

// maxCachedHeader is the longest header (base64url) the cache keeps: room
// for an RSA-4096 jwk; longer ones are checked every time. With the size
// above the cache holds at most 2 × 2048 × 1.5 KiB = 6 MiB of keys.
const maxCachedHeader = 1536

// checkedHeader is the outcome of a proof header that passed every header
// and key check: its algorithm and its parsed key with thumbprint.
type checkedHeader struct {
	alg string
	jwk jose.PublicJWK
	ath atomic.Pointer[athEntry] // the last token sent with it (tokenATH)
}

// headerCache remembers the headers that passed the checks, keyed by their
// base64url text. A client signs every proof with the
// same key, so its header (typ, alg, jwk) is the same bytes each time:
// decoding, parsing and validating it again would cost more than the rest
// of the proof's checks together. Only accepted headers are stored, and the
// checks are a function of those bytes and of the Verifier's fixed
// configuration, so a hit decides exactly as a miss would. The signature is
// verified for every proof. Two generations bound the memory: when the
// current one is full it becomes the previous one and the oldest is
// dropped.
type headerCache struct {
	mu        sync.Mutex
	cur, prev map[string]*checkedHeader
}

func (c *headerCache) get(k string) *checkedHeader {
	if len(k) > maxCachedHeader {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if h, ok := c.cur[k]; ok {
		return h
	}
	if h, ok := c.prev[k]; ok {
		c.putLocked(k, h)
		return h
	}
	return nil
}

// put caches h under k and reports whether it did (not for a header
// longer than maxCachedHeader).
func (c *headerCache) put(k string, h *checkedHeader) bool {
	if len(k) > maxCachedHeader {
		return false
	}
	k = strings.Clone(k) // not the whole proof's memory
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(k, h)
	return true
}

func (c *headerCache) putLocked(k string, h *checkedHeader) {
	if c.cur == nil || len(c.cur) >= headerCacheSize {
		c.prev, c.cur = c.cur, make(map[string]*checkedHeader, 64)
	}
	c.cur[k] = h
}
