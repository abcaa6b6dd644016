package verify

import (
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/tokencache"
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
		return nil, configErr("{CacheSize} %d is out of range (0 for no cache, at most %d)", size, MaxCacheSize)
	case maxAge < 0:
		return nil, configErr("{CacheMaxAge} %s is negative", maxAge)
	case size == 0 && maxAge != 0:
		return nil, configErr("{CacheMaxAge} is set but the cache is off; set {CacheSize} too")
	case size == 0:
		return nil, nil
	case maxAge == 0:
		maxAge = DefaultCacheMaxAge
	}
	return newTokenCache(size, maxAge), nil
}

// tokenCache is the shared bounded cache of verified tokens.
type tokenCache = tokencache.Cache[*mcpauth.AccessToken]

// cacheKey is the SHA-256 digest of a whole token. The raw token is never a
// key.
type cacheKey = tokencache.Key

// newTokenCache returns a cache of size entries in total.
func newTokenCache(size int, maxAge time.Duration) *tokenCache {
	return tokencache.New[*mcpauth.AccessToken](size, maxAge)
}

// sharedCopy returns a copy of a cached token for one caller.
var sharedCopy = tokencache.SharedCopy
