// Package soak holds the soak test of the mcpauth command (tests only,
// behind the build tag "soak"): the built binary runs "mcpauth serve" and
// "mcpauth proxy" as processes on loopback under steady concurrent load
// from a bounded load generator, while the JWK Set they verify against
// rotates its keys, goes down for longer than the refresh interval (503s,
// dropped connections and hung responses in turn) and comes back, and a
// flood of unknown-kid and garbage tokens runs alongside.
//
// It passes when
//
//   - no valid request is refused while the key that signed it is cached
//     (known from the JWK Set server's own log of what it served to each
//     process, with a margin for the fetch to be applied);
//   - nothing invalid is accepted: no unknown-kid, attacker-signed,
//     expired, wrong-audience, alg-none, tampered or garbage token, and no
//     token signed by a key after its removal was served (plus the
//     verified-token cache's maximum age for the process that has one);
//     through the proxy, the upstream sees exactly the accepted requests;
//   - after the load, the resident memory (VmRSS) and the descriptor count
//     of each process return to their values after warm-up (descriptors
//     exactly, memory within a tolerance), and its goroutines, counted
//     from the runtime's SIGQUIT dump at the end (there is no debug
//     endpoint), are as many as those of an identical process that saw
//     only a few requests.
//
// Run it with "make soak" (five minutes of rotation cycles; SOAK_DURATION
// sets another length) or "make soak-short" (CI: one cycle, well under a
// minute), that is go test -tags soak ./internal/soak [-args
// -soak.duration=5m -soak.workers=3].
package soak
