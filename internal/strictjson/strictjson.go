package strictjson

import (
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"
)

// MaxDepth bounds nesting in headers and claims: JOSE headers and access
// tokens are flat, so a deeper value is refused with [ErrTooDeep].
const MaxDepth = 16

// Errors returned by [ParseObject] and the [Parser] methods. They never quote
// the input.
var (
	ErrInvalidUTF8   = errors.New("JSON is not valid UTF-8")
	ErrLoneSurrogate = errors.New("JSON string has an unpaired UTF-16 surrogate escape")
	ErrDuplicateName = errors.New("JSON object has a duplicate member name")
	ErrNotObject     = errors.New("JSON value is not an object")
	ErrTrailingData  = errors.New("JSON value is followed by trailing data")
	ErrTooDeep       = errors.New("JSON value is nested too deeply")
	ErrMalformed     = errors.New("malformed JSON")
)

// ParseObject decodes a JSON object the way RFC 8725 asks for: UTF-8 only,
// no duplicate member names at any depth, no unpaired surrogate escapes
// (which encoding/json would silently replace), no trailing data, nesting at
// most [MaxDepth]. Numbers are kept as json.Number. Member names and string
// values without escapes share s's memory. The returned errors never quote
// the input.
//
// The checks run in a fixed order, so an input with several faults always
// gets the same error: invalid UTF-8 anywhere, then an unpaired surrogate
// escape anywhere, then the first structural fault in document order.
func ParseObject(s string) (map[string]any, error) {
	p, err := Open(s)
	if err != nil {
		return nil, err
	}
	obj, err := p.object(1)
	if err != nil {
		return nil, err
	}
	if err := p.Finish(); err != nil {
		return nil, err
	}
	return obj, nil
}

// Parser is a strict, single-pass JSON reader over a string, for callers
// that act on members while reading (a JOSE header scan) instead of building
// a map. [Open] checks the whole text first (UTF-8, surrogates). It
// implements RFC 8259's grammar exactly: no comments, no trailing commas, no
// leading zeros, no control characters in strings, whitespace limited to
// space, tab, CR and LF.
type Parser struct {
	s string
	i int
}

// Open checks s's text (valid UTF-8, paired surrogate escapes) and consumes
// the opening brace of the top-level object. Read members with
// [Parser.NextMember], [Parser.Colon] and a value method, then call
// [Parser.Finish].
func Open(s string) (Parser, error) {
	if !utf8.ValidString(s) {
		return Parser{}, ErrInvalidUTF8
	}
	if err := checkSurrogates(s); err != nil {
		return Parser{}, err
	}
	p := Parser{s: s}
	p.SkipSpace()
	if p.i >= len(s) {
		return p, ErrMalformed
	}
	switch s[p.i] {
	case '{':
		p.i++
		return p, nil
	case '[':
		return p, ErrNotObject
	}
	// A scalar: a well-formed one is "not an object", anything else is
	// malformed.
	if _, err := p.Value(1); err != nil {
		return p, ErrMalformed
	}
	if p.i < len(s) && !isJSONSpace(s[p.i]) {
		return p, ErrMalformed
	}
	return p, ErrNotObject
}

// Finish checks that only whitespace follows the top-level value.
func (p *Parser) Finish() error {
	p.SkipSpace()
	if p.i != len(p.s) {
		return ErrTrailingData
	}
	return nil
}

// Peek returns the next byte without consuming it, and false at the end.
func (p *Parser) Peek() (byte, bool) {
	if p.i >= len(p.s) {
		return 0, false
	}
	return p.s[p.i], true
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// SkipSpace skips whitespace.
func (p *Parser) SkipSpace() {
	for p.i < len(p.s) && isJSONSpace(p.s[p.i]) {
		p.i++
	}
}

// NextMember reads, after an object's '{' (first) or after a member's
// value, either the end of the object (more false) or the next member's
// name. The caller then checks the name and calls [Parser.Colon].
func (p *Parser) NextMember(first bool) (name string, more bool, err error) {
	p.SkipSpace()
	if p.i >= len(p.s) {
		return "", false, ErrMalformed
	}
	switch c := p.s[p.i]; {
	case c == '}':
		p.i++
		return "", false, nil
	case first:
	case c == ',':
		p.i++
		p.SkipSpace()
	default:
		return "", false, ErrMalformed
	}
	if p.i >= len(p.s) || p.s[p.i] != '"' {
		return "", false, ErrMalformed
	}
	name, err = p.ReadString()
	return name, err == nil, err
}

// Colon consumes the ':' between a member's name and value.
func (p *Parser) Colon() error {
	p.SkipSpace()
	if p.i >= len(p.s) || p.s[p.i] != ':' {
		return ErrMalformed
	}
	p.i++
	return nil
}

// object reads the members of an object whose '{' was consumed, nested at
// depth (the top-level object is depth 1).
func (p *Parser) object(depth int) (map[string]any, error) {
	if depth > MaxDepth {
		return nil, ErrTooDeep
	}
	var obj map[string]any
	if depth == 1 {
		obj = make(map[string]any, 8) // one group: a typical access token
	} else {
		obj = make(map[string]any)
	}
	for first := true; ; first = false {
		name, more, err := p.NextMember(first)
		if err != nil {
			return nil, err
		}
		if !more {
			return obj, nil
		}
		if _, dup := obj[name]; dup {
			return nil, ErrDuplicateName
		}
		if err := p.Colon(); err != nil {
			return nil, err
		}
		v, err := p.Value(depth)
		if err != nil {
			return nil, err
		}
		obj[name] = v
	}
}

// Value reads one value inside a container at depth (the top-level object
// is depth 1): a string, a json.Number, a bool, nil, []any or
// map[string]any.
func (p *Parser) Value(depth int) (any, error) {
	p.SkipSpace()
	if p.i >= len(p.s) {
		return nil, ErrMalformed
	}
	switch c := p.s[p.i]; c {
	case '"':
		return p.ReadString()
	case '{':
		p.i++
		return p.object(depth + 1)
	case '[':
		p.i++
		return p.array(depth + 1)
	case 't':
		return true, p.Literal("true")
	case 'f':
		return false, p.Literal("false")
	case 'n':
		return nil, p.Literal("null")
	default:
		if c == '-' || ('0' <= c && c <= '9') {
			return p.number()
		}
		return nil, ErrMalformed
	}
}

// array reads the elements of an array whose '[' was consumed.
func (p *Parser) array(depth int) ([]any, error) {
	if depth > MaxDepth {
		return nil, ErrTooDeep
	}
	arr := []any{}
	p.SkipSpace()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return arr, nil
	}
	for {
		v, err := p.Value(depth)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
		p.SkipSpace()
		if p.i >= len(p.s) {
			return nil, ErrMalformed
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return arr, nil
		default:
			return nil, ErrMalformed
		}
	}
}

// Literal consumes the literal lit (true, false or null).
func (p *Parser) Literal(lit string) error {
	if !strings.HasPrefix(p.s[p.i:], lit) {
		return ErrMalformed
	}
	p.i += len(lit)
	return nil
}

// Number reads a number at its first character (a '-' or a digit), as
// [Parser.Value] does, without boxing it in an interface.
func (p *Parser) Number() (json.Number, error) { return p.number() }

// number reads a number per RFC 8259 §6 and keeps its text.
func (p *Parser) number() (json.Number, error) {
	s, start := p.s, p.i
	i := start
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		i = skipDigits(s, i)
	default:
		return "", ErrMalformed
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return "", ErrMalformed
		}
		i = skipDigits(s, i)
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return "", ErrMalformed
		}
		i = skipDigits(s, i)
	}
	p.i = i
	return json.Number(s[start:i]), nil
}

func skipDigits(s string, i int) int {
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}

// ReadString reads a string at its opening quote. Without escapes the
// result shares the parser's memory.
func (p *Parser) ReadString() (string, error) {
	s := p.s
	start := p.i + 1
	for i := start; i < len(s); i++ {
		c := s[i]
		if !stringStop[c] {
			continue
		}
		switch {
		case c == '"':
			p.i = i + 1
			return s[start:i], nil
		case c == '\\':
			return p.unescape(start, i)
		default: // a control character
			return "", ErrMalformed
		}
	}
	return "", ErrMalformed
}

// stringStop marks the bytes that end the plain run of a string: the
// closing quote, a backslash and the control characters JSON forbids
// unescaped.
var stringStop = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// unescape finishes reading a string that has an escape at esc. The text
// is valid UTF-8 and every surrogate escape is paired (checked by Open).
func (p *Parser) unescape(start, esc int) (string, error) {
	s := p.s
	// Sized for this string, not the rest of the input: a payload of many
	// short escaped strings must not cost quadratic memory.
	b := make([]byte, 0, esc-start+32)
	b = append(b, s[start:esc]...)
	for i := esc; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			p.i = i + 1
			return string(b), nil
		case c < 0x20:
			return "", ErrMalformed
		case c != '\\':
			b = append(b, c)
			i++
			continue
		}
		if i+1 >= len(s) {
			return "", ErrMalformed
		}
		switch s[i+1] {
		case '"', '\\', '/':
			b = append(b, s[i+1])
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := hex4(s, i+2)
			if !ok {
				return "", ErrMalformed
			}
			i += 6
			if r >= 0xD800 && r <= 0xDBFF {
				// checkSurrogates guarantees a low surrogate escape follows.
				if i+1 >= len(s) || s[i] != '\\' || s[i+1] != 'u' {
					return "", ErrLoneSurrogate
				}
				lo, ok := hex4(s, i+2)
				if !ok {
					return "", ErrLoneSurrogate
				}
				r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
				i += 6
			}
			b = utf8.AppendRune(b, r)
			continue
		default:
			return "", ErrMalformed
		}
		i += 2
	}
	return "", ErrMalformed
}

// checkSurrogates rejects \uD800-\uDFFF escapes that do not form a
// high-low pair. Backslashes only occur inside JSON strings, so a byte scan
// that skips escaped characters is exact.
func checkSurrogates(raw string) error {
	for i := 0; i < len(raw); i++ {
		j := strings.IndexByte(raw[i:], '\\')
		if j < 0 {
			return nil
		}
		i += j
		if i+1 >= len(raw) {
			return ErrMalformed
		}
		if raw[i+1] != 'u' {
			i++ // skip the escaped character
			continue
		}
		r, ok := hex4(raw, i+2)
		if !ok {
			return ErrMalformed
		}
		i += 5
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return ErrLoneSurrogate
		case r >= 0xD800 && r <= 0xDBFF:
			if i+6 >= len(raw) || raw[i+1] != '\\' || raw[i+2] != 'u' {
				return ErrLoneSurrogate
			}
			lo, ok := hex4(raw, i+3)
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return ErrLoneSurrogate
			}
			i += 6
		}
	}
	return nil
}

// hex4 parses four hex digits at raw[at:].
func hex4(raw string, at int) (rune, bool) {
	if at < 0 || at+4 > len(raw) {
		return 0, false
	}
	var r rune
	for i := at; i < at+4; i++ {
		c := raw[i]
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c-'a') + 10
		case c >= 'A' && c <= 'F':
			r |= rune(c-'A') + 10
		default:
			return 0, false
		}
	}
	return r, true
}
