//go:build race

package verify

// raceEnabled: sync.Pool drops items at random under the race detector, so
// pooled buffers and HMAC states are allocated again now and then.
const raceEnabled = true
