package introspect

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/tokencache"
)

// Verifier verifies opaque (or any) access tokens by asking the
// authorization server's introspection endpoint (RFC 7662). Build it with
// [New]; it is safe for concurrent use and needs no Close.
type Verifier struct {
	cfg    *config
	now    func() time.Time
	client *http.Client
	logger *slog.Logger
	cache  *tokencache.Cache[result] // nil when caching is off
	flight flight
	disc   discovery
}

var (
	_ mcpauth.TokenVerifier = (*Verifier)(nil)
	_ mcpauth.ScopeRequirer = (*Verifier)(nil)
)

// New validates c and returns a verifier. Every configuration problem is
// reported here, as an error matching [mcpauth.ErrInvalidConfig]. New makes
// no network call: a discovered endpoint is looked up on the first token.
func New(c Config, opts ...Option) (*Verifier, error) {
	var o options
	for i, opt := range opts {
		if opt == nil {
			return nil, configErr("option %d is nil", i+1)
		}
		opt(&o)
	}
	cfg, err := c.validate()
	if err != nil {
		return nil, err
	}
	v := &Verifier{cfg: cfg, now: o.now, logger: o.logger}
	if v.now == nil {
		v.now = time.Now
	}
	if v.logger == nil {
		v.logger = slog.Default()
	}
	client := &http.Client{}
	if o.client != nil {
		cp := *o.client
		client = &cp
	}
	client.CheckRedirect = noRedirects
	v.client = client
	v.disc.endpoint = cfg.endpoint
	if cfg.cacheSize > 0 {
		v.cache = tokencache.New[result](cfg.cacheSize, cfg.cacheMaxAge)
	}
	return v, nil
}

// RequiredScopes returns the scopes every token must grant. It implements
// [mcpauth.ScopeRequirer].
func (v *Verifier) RequiredScopes() []string { return slices.Clone(v.cfg.requiredScopes) }

// DefersDPoPBinding reports whether Config.DPoPBound is set: the verifier
// then accepts DPoP-bound tokens and leaves their proof to the middleware
// (it implements [mcpauth.DPoPBindingDeferrer]).
func (v *Verifier) DefersDPoPBinding() bool { return v.cfg.dpopBound }

// Issuer returns the configured issuer, or "" when none is configured.
func (v *Verifier) Issuer() string { return v.cfg.issuer }

// Audiences returns the accepted audiences.
func (v *Verifier) Audiences() []string { return slices.Clone(v.cfg.audiences) }

// VerifyToken asks the introspection endpoint about token and accepts it
// only when the answer says it is active, not expired, issued by the
// configured issuer (when the answer names one) and intended for one of the
// configured audiences. It implements [mcpauth.TokenVerifier].
//
// A refusal is an [*mcpauth.InvalidTokenError]; a token lacking a required
// scope gets an [*mcpauth.InsufficientScopeError]. When the endpoint cannot
// be reached, times out, answers anything but 200 with a well-formed JSON
// object, or its address cannot be discovered, the error matches
// [mcpauth.ErrKeySourceUnavailable] (HTTP 503): a token that might be valid
// is never refused because the endpoint failed.
//
// Concurrent calls for the same token share one introspection call. With
// the cache on, an accepted token is answered from the cache until its exp
// or CacheMaxAge after the call, whichever is first, and a refused one for
// NegativeCacheMaxAge; endpoint failures are never cached.
func (v *Verifier) VerifyToken(ctx context.Context, token string) (*mcpauth.AccessToken, error) {
	switch {
	case token == "":
		return nil, invalid(mcpauth.ReasonMalformed, "the token is empty")
	case len(token) > v.cfg.maxToken:
		return nil, invalid(mcpauth.ReasonTooLarge, "the token exceeds the size limit")
	}
	// A buffer on the stack for the usual token, so that a cache hit
	// allocates only the caller's copy of the access token.
	var buf [512]byte
	key := tokencache.Key(sha256.Sum256(append(buf[:0], token...)))
	if v.cache != nil {
		if r, ok := v.cache.Get(&key, v.now()); ok {
			return v.finish(r, token)
		}
	}
	return v.finish(v.miss(ctx, token, key), token)
}

// miss introspects token, sharing a call in flight for the same key. The
// key is a copy, so that VerifyToken's stays on its stack.
func (v *Verifier) miss(ctx context.Context, token string, key tokencache.Key) result {
	return v.flight.do(ctx, &key, func(ctx context.Context) result {
		return v.introspect(ctx, token, &key)
	})
}

// finish turns a shared result into one caller's answer.
func (v *Verifier) finish(r result, token string) (*mcpauth.AccessToken, error) {
	if r.err != nil {
		return nil, r.err
	}
	at := tokencache.SharedCopy(r.at)
	at.Token = token
	if err := at.CheckScopes(v.cfg.requiredScopes); err != nil {
		return nil, err
	}
	return at, nil
}

// introspect makes one call, bounded by the timeout, and caches a definite
// answer. The cached token does not hold the raw token.
func (v *Verifier) introspect(ctx context.Context, token string, key *tokencache.Key) result {
	endpoint, err := v.endpoint(ctx)
	if err != nil {
		return result{err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, v.cfg.timeout)
	defer cancel()
	at, err := v.call(ctx, endpoint, token)
	if v.cache != nil {
		now := v.now()
		switch {
		case err == nil:
			expires := at.ExpiresAt
			if expires.IsZero() {
				expires = now.Add(v.cfg.cacheMaxAge)
			}
			v.cache.Put(key, result{at: at}, now, expires)
		case errors.Is(err, mcpauth.ErrInvalidToken) && v.cfg.negativeMaxAge > 0:
			v.cache.Put(key, result{err: err}, now, now.Add(v.cfg.negativeMaxAge))
		}
	}
	return result{at: at, err: err}
}

// CacheStats returns the counters and size of the cache, and false when the
// cache is off (Config.CacheSize is 0). Accepted and refused answers share
// the cache and the counters. It is meant for monitoring: a metrics
// collector can call it on every scrape.
func (v *Verifier) CacheStats() (mcpauth.CacheStats, bool) {
	if v.cache == nil {
		return mcpauth.CacheStats{}, false
	}
	return v.cache.Stats(), true
}
