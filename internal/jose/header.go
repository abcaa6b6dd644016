package jose

import (
	"errors"
	"slices"
	"strings"
)

// RegisteredHeaderNames are the JWS header parameters of RFC 7515, 7516 and
// 7797. A member that equals one of them only when letter case is ignored
// must be refused: some JOSE libraries match names case-insensitively.
// Callers must not modify it.
var RegisteredHeaderNames = []string{
	"alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit",
	"enc", "zip", "b64", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c",
}

// IsCaseVariant reports whether name is not one of names but equals one of
// them when letter case is ignored (with Unicode simple folding, so the
// Kelvin sign matches "k"). Every member of names must be lower case except
// for characters a plain name (ASCII lower-case letters, digits, '_')
// cannot have.
func IsCaseVariant(name string, names []string) bool {
	if slices.Contains(names, name) {
		return false
	}
	// A name of lower-case ASCII letters, digits and '_' folds to a
	// registered name only if it equals that name in lower case: every
	// registered name is lower case already, except x5t#S256, whose '#' such
	// a name cannot have.
	plain := true
	for i := 0; i < len(name) && plain; i++ {
		c := name[i]
		plain = 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_'
	}
	if plain {
		return false
	}
	for _, n := range names {
		if strings.EqualFold(name, n) {
			return true
		}
	}
	return false
}

// ErrCaseVariant is returned by [CheckNameCase].
var ErrCaseVariant = errors.New("member name differs from a registered name only in letter case")

// CheckNameCase returns [ErrCaseVariant] when a member of m has a name that
// equals one of names only when letter case is ignored ([IsCaseVariant]).
func CheckNameCase(m map[string]any, names []string) error {
	for k := range m {
		if IsCaseVariant(k, names) {
			return ErrCaseVariant
		}
	}
	return nil
}
