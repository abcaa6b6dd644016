package strictjson

// Text is what a [Scanner] reads: a string or a byte slice. Names and
// strings it returns share the text's memory unless they had escapes.
type Text interface{ ~string | ~[]byte }

// Names says which member names of one object count as duplicates.
type Names uint8

const (
	// ExactNames refuses names that are equal after unescaping: the JOSE
	// rule (member names are case-sensitive, RFC 7515 §4).
	ExactNames Names = iota
	// FoldedNames also refuses names that are equal under Unicode simple
	// case folding ("k" and the Kelvin sign): the rule for text that is
	// forwarded to decoders matching names case-insensitively, such as
	// encoding/json.
	FoldedNames
)

// Scanner is a strict, single-pass, allocation-free reader over one JSON
// text. It validates everything it passes over, skipped values included:
// grammar, UTF-8, escapes, duplicate names and the depth limit.
//
// Read an object with [Scanner.Object] and [Scanner.Member], an array with
// [Scanner.Array] and [Scanner.Element], a string with [Scanner.String],
// anything else with [Scanner.SkipValue], and end with [Scanner.Done]. After
// an error the scanner's position is unspecified.
type Scanner[T Text] struct {
	text     T
	i        int
	depth    int
	maxDepth int
	fold     bool
	// noteDup makes a duplicate name set sawDup instead of failing
	// (SkipValueNotingDuplicates).
	noteDup, sawDup bool
	// The member names of the objects being read, innermost object last,
	// for the duplicate check: nNames of them, the first in inline (no
	// allocation for typical texts), the rest in spill.
	nNames int
	inline [inlineNames]memberName[T]
	spill  []memberName[T]
}

// inlineNames is how many names of the open objects the scanner holds
// without allocating.
const inlineNames = 24

// NewScanner returns a scanner at the start of text that refuses nesting
// deeper than maxDepth (the top-level container is at depth 1) and compares
// member names by names.
func NewScanner[T Text](text T, maxDepth int, names Names) Scanner[T] {
	return Scanner[T]{text: text, maxDepth: maxDepth, fold: names == FoldedNames}
}

// Pos returns the byte offset of the scanner in its text.
func (s *Scanner[T]) Pos() int { return s.i }

// Peek returns the byte at the scanner's position, or 0 at the end.
func (s *Scanner[T]) Peek() byte {
	if s.i < len(s.text) {
		return s.text[s.i]
	}
	return 0
}

// SkipSpace skips JSON whitespace: space, tab, CR and LF.
func (s *Scanner[T]) SkipSpace() {
	i := s.i
	for i < len(s.text) && s.text[i] <= ' ' {
		switch s.text[i] {
		case ' ', '\t', '\n', '\r':
			i++
			continue
		}
		break
	}
	s.i = i
}

// Done checks that only whitespace follows the value just read.
func (s *Scanner[T]) Done() error {
	s.SkipSpace()
	if s.i != len(s.text) {
		return ErrTrailingData
	}
	return nil
}

// TopLevelObject starts reading a text that must be one object: it
// returns [ErrNotObject] for another well-formed value and the value's
// fault otherwise.
func (s *Scanner[T]) TopLevelObject() (Object, error) {
	s.SkipSpace()
	switch s.Peek() {
	case '{':
		return s.Object()
	case '[':
		return Object{}, ErrNotObject
	}
	if err := s.SkipValue(); err != nil {
		return Object{}, err
	}
	if c := s.Peek(); c != 0 && c != ' ' && c != '\t' && c != '\n' && c != '\r' {
		return Object{}, ErrMalformed
	}
	return Object{}, ErrNotObject
}

// Object is an object being read; see [Scanner.Object].
type Object struct {
	base  int                 // the object's names start at this entry of the name stack
	after bool                // a member was read
	seen  map[string]struct{} // keys of the names, once the object has more than smallObject
}

// Object starts reading the object at the scanner's position (after
// whitespace). Read its members with [Scanner.Member].
func (s *Scanner[T]) Object() (Object, error) {
	return Object{base: s.nNames}, s.open('{')
}

// open consumes the opening bracket c of a container, one level deeper.
func (s *Scanner[T]) open(c byte) error {
	s.SkipSpace()
	if s.Peek() != c {
		return ErrMalformed
	}
	s.depth++
	if s.depth > s.maxDepth {
		return ErrTooDeep
	}
	s.i++
	return nil
}

// Member reads the next member's name and the colon after it (ok true),
// or the end of the object (ok false). After ok, read the member's value
// before calling Member again. name is the unescaped name, sharing the
// text's memory unless it had escapes; plain reports a name without escapes
// made of ASCII only. A name that duplicates an earlier one of the object
// is [ErrDuplicateName].
func (s *Scanner[T]) Member(o *Object) (name T, plain, ok bool, err error) {
	s.SkipSpace()
	c := s.Peek()
	switch {
	case c == '}': // after '{' or after a member's value
		s.i++
		s.depth--
		s.popNames(o.base)
		return name, false, false, nil
	case !o.after:
	case c == ',':
		s.i++
		s.SkipSpace()
	default:
		return name, false, false, ErrMalformed
	}
	o.after = true
	if s.Peek() != '"' {
		return name, false, false, ErrMalformed
	}
	start := s.i + 1
	if plain, err = s.skipString(); err != nil {
		return name, false, false, err
	}
	name = s.text[start : s.i-1]
	if !plain {
		s.i = start - 1
		if name, err = s.String(); err != nil {
			return name, false, false, err
		}
	}
	if s.isDuplicate(o, name, plain) {
		if !s.noteDup {
			if s.fold {
				return name, false, false, errFoldedDuplicate
			}
			return name, false, false, ErrDuplicateName
		}
		s.sawDup = true
	}
	s.SkipSpace()
	if s.Peek() != ':' {
		return name, false, false, ErrMalformed
	}
	s.i++
	s.SkipSpace()
	return name, plain, true, nil
}

// Array is an array being read; see [Scanner.Array].
type Array struct {
	after bool // an element was read
}

// Array starts reading the array at the scanner's position (after
// whitespace). Read its elements with [Scanner.Element].
func (s *Scanner[T]) Array() (Array, error) {
	return Array{}, s.open('[')
}

// Element moves to the next element (ok true; read it before calling
// Element again) or reads the end of the array (ok false).
func (s *Scanner[T]) Element(a *Array) (ok bool, err error) {
	s.SkipSpace()
	switch c := s.Peek(); {
	case c == ']': // after '[' or after an element
		s.i++
		s.depth--
		return false, nil
	case !a.after:
	case c == ',':
		s.i++
		s.SkipSpace()
	default:
		return false, ErrMalformed
	}
	a.after = true
	return true, nil
}

// SkipValue reads and validates the value at the scanner's position.
func (s *Scanner[T]) SkipValue() error {
	s.SkipSpace()
	switch c := s.Peek(); {
	case c == '{':
		o, err := s.Object()
		if err != nil {
			return err
		}
		for {
			_, _, ok, err := s.Member(&o)
			if err != nil || !ok {
				return err
			}
			if err := s.SkipValue(); err != nil {
				return err
			}
		}
	case c == '[':
		a, err := s.Array()
		if err != nil {
			return err
		}
		for {
			ok, err := s.Element(&a)
			if err != nil || !ok {
				return err
			}
			if err := s.SkipValue(); err != nil {
				return err
			}
		}
	case c == '"':
		_, err := s.skipString()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		return s.number()
	default:
		return ErrMalformed
	}
}

// SkipValueNotingDuplicates is SkipValue for a caller that drops one
// element of a list for a duplicate name (a key of a JWK Set) rather than
// refusing the whole text: a duplicate name anywhere in the value is
// reported as dup, every other fault is an error.
func (s *Scanner[T]) SkipValueNotingDuplicates() (dup bool, err error) {
	s.noteDup, s.sawDup = true, false
	err = s.SkipValue()
	dup = s.sawDup
	s.noteDup, s.sawDup = false, false
	return dup, err
}

// Number reads the number at the scanner's position (after whitespace)
// and returns its text.
func (s *Scanner[T]) Number() (T, error) {
	s.SkipSpace()
	start := s.i
	if err := s.number(); err != nil {
		var zero T
		return zero, err
	}
	return s.text[start:s.i], nil
}

// literal reads one of true, false, null.
func (s *Scanner[T]) literal(lit string) error {
	if len(s.text)-s.i < len(lit) || string(s.text[s.i:s.i+len(lit)]) != lit {
		return ErrMalformed
	}
	s.i += len(lit)
	return nil
}

// number reads a number per RFC 8259 §6.
func (s *Scanner[T]) number() error {
	if s.Peek() == '-' {
		s.i++
	}
	switch c := s.Peek(); {
	case c == '0':
		s.i++
	case '1' <= c && c <= '9':
		s.digits()
	default:
		return ErrMalformed
	}
	if s.Peek() == '.' {
		s.i++
		if !isDigit(s.Peek()) {
			return ErrMalformed
		}
		s.digits()
	}
	if c := s.Peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.Peek(); c == '+' || c == '-' {
			s.i++
		}
		if !isDigit(s.Peek()) {
			return ErrMalformed
		}
		s.digits()
	}
	return nil
}

func (s *Scanner[T]) digits() {
	for s.i < len(s.text) && isDigit(s.text[s.i]) {
		s.i++
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
