//go:build !race

package verify

// raceEnabled reports whether the race detector is on.
const raceEnabled = false
