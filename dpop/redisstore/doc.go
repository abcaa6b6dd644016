// Package redisstore is a DPoP replay store ([dpop.ReplayStore]) in Redis,
// shared by every replica that serves a resource, so that a proof accepted
// by one replica is refused by the others (RFC 9449 §11.1).
//
// Each proof costs one round trip: SET <key> 1 NX PX <ms until the proof
// leaves the iat window>. The key is
// mcpauth:dpop:jti:<hash of the namespace>:<the verifier's key>, where the
// verifier's key is already a hash of the proof's jti and key thumbprint,
// so that resources sharing one Redis never see each other's proofs and no
// client-chosen text reaches Redis.
//
// An error, a timeout ([Options.Timeout], and never past the request's own
// deadline) or a Redis that cannot answer makes Seen return an error, and
// the verifier refuses the proof with dpop.ErrReplayStoreUnavailable (the
// middleware answers 503): a replay is never accepted because Redis is
// down. [Options.Fallback] opts in to another store (usually a
// dpop.MemoryStore) meanwhile, at the cost of replays across replicas; each
// fallback is logged at level error (at most once per
// [Options.LogInterval], with the count).
//
// This package is the only one of the module that compiles
// github.com/redis/go-redis/v9: importing dpop or middleware does not.
package redisstore
