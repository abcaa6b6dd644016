package mcpauth

// CacheStats is a snapshot of a verified-token cache (verify's
// Settings.CacheSize, introspect's cache) for monitoring: Prometheus,
// OpenTelemetry or a health page. The counters start at zero when the
// verifier is created and only grow. It holds no token data.
type CacheStats struct {
	// Hits counts lookups answered from the cache.
	Hits uint64
	// Misses counts lookups the cache could not answer (absent or expired
	// entries), each followed by a full verification.
	Misses uint64
	// Evictions counts live or expired entries dropped to make room for a
	// new one because the cache (or its shard) was full. Entries dropped
	// because they expired when looked up are misses, not evictions.
	Evictions uint64
	// Entries is the number of entries stored now, expired ones included
	// until they are looked up or evicted.
	Entries int
	// Capacity is the most entries the cache holds.
	Capacity int
}
