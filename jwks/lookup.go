package jwks

import (
	"context"
	"crypto"
	"sort"
	"time"
)

// VerificationKey returns the public key for a token with header kid
// (possibly empty) and alg. It never fetches a URL taken from the token.
// A token that no key fits gets an [*mcpauth.InvalidTokenError] with reason
// [mcpauth.ReasonAlgorithm] or [mcpauth.ReasonUnknownKey]:
//
//   - alg not in the allow-list (including "none", HS* and unknown names):
//     ReasonAlgorithm. This is checked first, before any key or fetch.
//   - kid non-empty: the keys with that kid that allow alg; exactly one is
//     returned, several are ReasonUnknownKey (ambiguous), none while the kid
//     exists is ReasonAlgorithm (the key is pinned to other algorithms). An
//     unknown kid triggers one refresh (shared by concurrent callers, at
//     most one per RefreshRateLimit) and, if still unknown, is
//     ReasonUnknownKey. During the rate-limit cool-down it returns
//     immediately; callers only ever wait for a fetch already in flight,
//     bounded by ctx and Options.Timeout.
//   - kid empty: the only key in the set that allows alg; none or several
//     is ReasonUnknownKey. This never triggers a refresh.
//   - no successful fetch yet: waits for the fetch in flight (or starts one
//     if the rate limit allows) and otherwise returns an error matching
//     [mcpauth.ErrKeySourceUnavailable] and wrapping the last fetch error,
//     never an invalid-token error.
//
// The steady-state errors are preallocated. Error messages never contain
// the kid or alg.
func (s *Set) VerificationKey(ctx context.Context, kid, alg string) (crypto.PublicKey, error) {
	id, ok := parseAlg(alg)
	if !ok || !s.cfg.allowed.has(id) {
		return nil, errAlgNotAllowed
	}
	snap := s.snap.Load()
	if snap != nil {
		key, err := snap.lookup(kid, id)
		if err != errUnknownKID {
			return key, err
		}
	}
	return s.slowLookup(ctx, kid, id, snap)
}

// snapshot is an immutable parsed key set. Lookups read it without locks.
type snapshot struct {
	entries []*entry
	byKID   map[string][]*entry
	// kidless[id] is the key allowing id when kidlessN[id] == 1.
	kidless  [numAlgs]*entry
	kidlessN [numAlgs]int
	fetched  time.Time
	skipped  int
}

func newSnapshot(entries []*entry, skipped int, fetched time.Time) *snapshot {
	s := &snapshot{
		entries: entries,
		byKID:   make(map[string][]*entry, len(entries)),
		fetched: fetched,
		skipped: skipped,
	}
	for _, e := range entries {
		if e.kid != "" {
			s.byKID[e.kid] = append(s.byKID[e.kid], e)
		}
		for id := range numAlgs {
			if e.algs.has(id) {
				s.kidless[id] = e
				s.kidlessN[id]++
			}
		}
	}
	return s
}

// lookup finds the key for a token. It returns errUnknownKID only when kid
// is non-empty and no key carries it; that is the one case that may trigger
// a refresh. It does not allocate.
func (s *snapshot) lookup(kid string, id algID) (crypto.PublicKey, error) {
	if kid == "" {
		switch s.kidlessN[id] {
		case 0:
			return nil, errNoKidlessKey
		case 1:
			return s.kidless[id].key, nil
		default:
			return nil, errAmbiguousNoKID
		}
	}
	es, ok := s.byKID[kid]
	if !ok {
		return nil, errUnknownKID
	}
	var found *entry
	n := 0
	for _, e := range es {
		if e.algs.has(id) {
			found = e
			n++
		}
	}
	switch n {
	case 0:
		return nil, errAlgNotForKey
	case 1:
		return found.key, nil
	default:
		return nil, errAmbiguousKID
	}
}

// kids returns the distinct key IDs, sorted.
func (s *snapshot) kids() []string {
	out := make([]string, 0, len(s.byKID))
	for k := range s.byKID {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
