package strictjson

import (
	"errors"
	"slices"
	"strings"
	"unicode"
)

// memberName is one member name of an object being read: the raw text
// between the quotes when plain (no escapes, ASCII only), else unescaped.
type memberName[T Text] struct {
	name  T
	plain bool
}

// smallObject is the number of member names an object's duplicate check
// compares pairwise before it switches to a map.
const smallObject = 16

// isDuplicate reports whether name equals (or, with FoldedNames, folds
// to) a name read before in object o, and records it.
func (s *Scanner[T]) isDuplicate(o *Object, name T, plain bool) bool {
	if o.seen == nil && s.nNames-o.base < smallObject {
		for k := o.base; k < s.nNames; k++ {
			p := s.nameAt(k)
			if s.fold {
				if (len(p.name) == len(name) || !p.plain || !plain) && foldEqual(p.name, p.plain, name, plain) {
					return true
				}
			} else if string(p.name) == string(name) {
				return true
			}
		}
		s.pushName(memberName[T]{name, plain})
		return false
	}
	if o.seen == nil {
		o.seen = make(map[string]struct{}, 2*smallObject)
		for k := o.base; k < s.nNames; k++ {
			o.seen[s.nameKey(s.nameAt(k).name)] = struct{}{}
		}
	}
	k := s.nameKey(name)
	if _, dup := o.seen[k]; dup {
		return true
	}
	o.seen[k] = struct{}{}
	return false
}

// nameKey is the map key of a name: the name, or its folding key.
func (s *Scanner[T]) nameKey(name T) string {
	if s.fold {
		return foldKey(name)
	}
	return string(name)
}

// pushName puts n on top of the name stack.
func (s *Scanner[T]) pushName(n memberName[T]) {
	if s.nNames < len(s.inline) {
		s.inline[s.nNames] = n
	} else {
		s.spill = append(s.spill, n)
	}
	s.nNames++
}

// nameAt returns entry k of the name stack.
func (s *Scanner[T]) nameAt(k int) *memberName[T] {
	if k < len(s.inline) {
		return &s.inline[k]
	}
	return &s.spill[k-len(s.inline)]
}

// popNames drops the entries from base on.
func (s *Scanner[T]) popNames(base int) {
	s.nNames = base
	s.spill = s.spill[:max(0, base-len(s.inline))]
}

// foldEqual reports whether a and b are equal under Unicode simple case
// folding, the matching encoding/json and other case-insensitive decoders
// apply to member names (so "k" matches the Kelvin sign). aASCII (bASCII)
// says that a (b) is known to be all ASCII.
func foldEqual[T Text](a T, aASCII bool, b T, bASCII bool) bool {
	if (aASCII || isASCII(a)) && (bASCII || isASCII(b)) {
		if len(a) != len(b) {
			return false
		}
		for i := 0; i < len(a); i++ {
			if upperASCII(a[i]) != upperASCII(b[i]) {
				return false
			}
		}
		return true
	}
	return foldKey(a) == foldKey(b)
}

// foldKey maps every rune of s to the smallest rune of its simple case
// folding orbit, so that two strings are equal under simple folding exactly
// when their keys are equal.
func foldKey[T Text](s T) string {
	if isASCII(s) {
		b := make([]byte, len(s))
		for i := 0; i < len(s); i++ {
			b[i] = upperASCII(s[i])
		}
		return string(b)
	}
	out := make([]rune, 0, len(s))
	for _, r := range string(s) {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		out = append(out, m)
	}
	return string(out)
}

func upperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

func isASCII[T Text](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// IsCaseVariant reports whether name is not one of names but equals one of
// them when letter case is ignored (with Unicode simple folding, so the
// Kelvin sign matches "k"). Such a member must be refused wherever some
// reader of the same text matches names case-insensitively. Every member of
// names must be lower case except for characters a plain name (ASCII
// lower-case letters, digits, '_') cannot have.
func IsCaseVariant[T Text](name T, names []string) bool {
	// A name of lower-case ASCII letters, digits and '_' folds to a
	// registered name only if it equals that name in lower case: every
	// registered name is lower case already, except x5t#S256, whose '#'
	// such a name cannot have.
	plain := true
	for i := 0; i < len(name) && plain; i++ {
		c := name[i]
		plain = 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_'
	}
	if plain {
		return false
	}
	if slices.Contains(names, string(name)) {
		return false
	}
	for _, n := range names {
		if strings.EqualFold(string(name), n) {
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
