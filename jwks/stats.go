package jwks

import "time"

// Stats is a snapshot of a [Set]'s fetch counters and current key set, for
// monitoring (Prometheus, OpenTelemetry or a health page). It holds no key
// material.
type Stats struct {
	// Source names the set: the JWK Set URL given to [New], or the issuer
	// given to [NewFromIssuer], with any password redacted. It does not
	// change over the life of the set, so it can label a metric.
	Source string
	// Fetches counts the completed fetches that produced a key set
	// (including discovery, for an issuer), since the set was created.
	Fetches uint64
	// FetchFailures counts the completed fetches that failed: network
	// errors, timeouts, statuses other than 200, oversized or invalid
	// documents, failed discovery. A fetch cancelled by [Set.Close] is not
	// counted.
	FetchFailures uint64
	// Keys is the number of usable keys in the current key set (the keys
	// skipped as invalid or not meant for signatures are not counted); 0
	// before the first successful fetch.
	Keys int
	// LastRefresh is the time (per Options.Clock) of the last successful
	// fetch, or the zero time if there was none; see [Set.LastRefresh].
	LastRefresh time.Time
}

// Stats returns the set's counters and the size and time of its current
// key set. It takes no lock that a lookup takes, and is cheap enough to
// call on every metrics scrape.
func (s *Set) Stats() Stats {
	st := Stats{
		Source:        s.cfg.source,
		Fetches:       s.fetchesOK.Load(),
		FetchFailures: s.fetchesFailed.Load(),
	}
	if snap := s.snap.Load(); snap != nil {
		st.Keys = len(snap.entries)
		st.LastRefresh = snap.fetched
	}
	return st
}
