package jwks

import (
	"context"

	"github.com/golang-jwt/jwt/v5"
)

// Keyfunc is a jwt.Keyfunc for github.com/golang-jwt/jwt/v5. It reads kid
// and alg from the token header and returns [Set.VerificationKey]'s result,
// bounded by the set's own context. Prefer [Set.KeyfuncCtx] inside a
// request.
func (s *Set) Keyfunc(token *jwt.Token) (any, error) {
	return s.KeyfuncCtx(s.ctx)(token)
}

// KeyfuncCtx returns a jwt.Keyfunc that looks keys up with ctx.
//
// It keeps this package's algorithm pinning through golang-jwt: the key is
// looked up for the token's alg, which golang-jwt then verifies the
// signature with, so a key pinned to RS256 (by its JWK alg, or to what its
// type and curve allow) is never used for a PS256, ES256 or HS256 token, even
// without jwt.WithValidMethods. It never returns a set of keys to try (the
// golang-jwt VerificationKeySet form, which loses the pinning): a token
// without kid uses the only key compatible with its alg or fails. Pass
// jwt.WithValidMethods all the same, as a second line.
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
