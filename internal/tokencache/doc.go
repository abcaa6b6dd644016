// Package tokencache is the bounded cache of verification results shared by
// the JWT verifier (package verify) and the introspection verifier (package
// introspect).
//
// Entries are keyed by the SHA-256 digest of the whole token ([Key]); the raw
// token is never a key. Each entry carries its own deadline, never later than
// the cache's maximum age after it was stored. The cache is sharded, each
// shard has a fixed number of slots, so the number of entries never exceeds
// the configured size; a full shard evicts with CLOCK (second chance): the
// first expired or not recently used entry.
package tokencache
