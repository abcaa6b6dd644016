package verify

import (
	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/jwks"
)

// CacheStats returns the counters and size of the verified-token cache,
// and false when the verifier has none (Settings.CacheSize is 0). It is
// meant for monitoring: a metrics collector can call it on every scrape.
func (v *JWTVerifier) CacheStats() (mcpauth.CacheStats, bool) {
	if v.cache == nil {
		return mcpauth.CacheStats{}, false
	}
	return v.cache.Stats(), true
}

// KeySetStats returns the statistics of every JWK Set the verifier fetches
// keys from (Settings.JWKSURI, a discovered one, each provider's), in the
// order of the providers; a key source given with [WithKeySource] is
// included when it has a Stats() jwks.Stats method, as *jwks.Set does. It
// is empty for a verifier with only PEM keys or secrets. It is meant for
// monitoring: a metrics collector can call it on every scrape.
func (v *JWTVerifier) KeySetStats() []jwks.Stats {
	var out []jwks.Stats
	if v.providers != nil {
		for _, p := range v.providers.all {
			out = append(out, p.KeySetStats()...)
		}
		return out
	}
	if s, ok := v.source.(interface{ Stats() jwks.Stats }); ok {
		out = append(out, s.Stats())
	}
	return out
}
