package jwks

import (
	"context"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// A *Set is a drop-in keyfunc.Keyfunc: code written for
// github.com/MicahParks/keyfunc/v3 can use it unchanged and gets this
// package's stricter lookup (alg pinning, ambiguity checks, no waiting on the
// rate limiter).
var _ keyfunc.Keyfunc = (*Set)(nil)

// Keyfunc is a jwt.Keyfunc for github.com/golang-jwt/jwt/v5. It reads kid
// and alg from the token header and returns [Set.VerificationKey]'s result,
// bounded by the set's own context. Prefer [Set.KeyfuncCtx] inside a
// request.
func (s *Set) Keyfunc(token *jwt.Token) (any, error) {
	return s.KeyfuncCtx(s.ctx)(token)
}

// KeyfuncCtx returns a jwt.Keyfunc that looks keys up with ctx. Unlike
// keyfunc's, it never returns a set of keys to try: a token without kid uses
// the only key compatible with its alg or fails. Use it with
// jwt.WithValidMethods all the same.
func (s *Set) KeyfuncCtx(ctx context.Context) jwt.Keyfunc {
	return func(token *jwt.Token) (any, error) {
		var kid string
		if v, ok := token.Header["kid"]; ok {
			if kid, ok = v.(string); !ok {
				return nil, errKIDNotString
			}
		}
		alg, _ := token.Header["alg"].(string)
		key, err := s.VerificationKey(ctx, kid, alg)
		if err != nil {
			return nil, err
		}
		return key, nil
	}
}

// Storage returns a copy of the current usable keys as a jwkset memory
// storage (public keys only, already validated and filtered). Changing it
// does not change the set. Before the first successful fetch it is empty.
func (s *Set) Storage() jwkset.Storage {
	m := jwkset.NewMemoryStorage()
	if snap := s.snap.Load(); snap != nil {
		jwks := make([]jwkset.JWK, len(snap.entries))
		for i, e := range snap.entries {
			jwks[i] = e.jwk
		}
		_ = m.KeyReplaceAll(context.Background(), jwks)
	}
	return m
}

// VerificationKeySet returns every usable key, for keyfunc.Keyfunc
// compatibility.
//
// WARNING: a key set lets golang-jwt try each key in turn, which loses the
// per-key algorithm pinning; [Set.Keyfunc] never uses it. Returns an error
// matching [mcpauth.ErrKeySourceUnavailable] before the first successful fetch.
func (s *Set) VerificationKeySet(context.Context) (jwt.VerificationKeySet, error) {
	snap := s.snap.Load()
	if snap == nil {
		return jwt.VerificationKeySet{}, errNeverFetched
	}
	keys := make([]jwt.VerificationKey, len(snap.entries))
	for i, e := range snap.entries {
		keys[i] = e.key
	}
	return jwt.VerificationKeySet{Keys: keys}, nil
}
