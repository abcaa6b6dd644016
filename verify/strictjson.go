package verify

import (
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"
)

// maxJSONDepth bounds nesting in headers and claims; access tokens are flat.
const maxJSONDepth = 16

var (
	errInvalidUTF8   = errors.New("JSON is not valid UTF-8")
	errLoneSurrogate = errors.New("JSON string has an unpaired UTF-16 surrogate escape")
	errDuplicateName = errors.New("JSON object has a duplicate member name")
	errNotObject     = errors.New("JSON value is not an object")
	errTrailingData  = errors.New("JSON value is followed by trailing data")
	errTooDeep       = errors.New("JSON value is nested too deeply")
	errMalformedJSON = errors.New("malformed JSON")
)

// parseStrictObject decodes a JSON object the way RFC 8725 asks for: UTF-8
// only, no duplicate member names at any depth, no unpaired surrogate escapes
// (which encoding/json would silently replace), no trailing data. Numbers are
// kept as json.Number. The returned errors never quote the input.
func parseStrictObject(raw []byte) (map[string]any, error) {
	return parseStrictJSON(string(raw))
}

// parseStrictJSON is parseStrictObject over a string. Member names and
// string values without escapes share s's memory.
//
// The checks run in a fixed order, so an input with several faults always
// gets the same error: invalid UTF-8 anywhere, then an unpaired surrogate
// escape anywhere, then the first structural fault in document order.
func parseStrictJSON(s string) (map[string]any, error) {
	p, err := openObject(s)
	if err != nil {
		return nil, err
	}
	obj, err := p.object(1)
	if err != nil {
		return nil, err
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return obj, nil
}

// jsonParser is a strict, single-pass JSON reader over a string that has
// already passed checkText. It implements RFC 8259's grammar exactly: no
// comments, no trailing commas, no leading zeros, no control characters in
// strings, whitespace limited to space, tab, CR and LF.
type jsonParser struct {
	s string
	i int
}

// openObject checks s's text and consumes the opening brace of the
// top-level object.
func openObject(s string) (jsonParser, error) {
	if !utf8.ValidString(s) {
		return jsonParser{}, errInvalidUTF8
	}
	if err := checkSurrogates(s); err != nil {
		return jsonParser{}, err
	}
	p := jsonParser{s: s}
	p.ws()
	if p.i >= len(s) {
		return p, errMalformedJSON
	}
	switch s[p.i] {
	case '{':
		p.i++
		return p, nil
	case '[':
		return p, errNotObject
	}
	// A scalar: a well-formed one is "not an object", anything else is
	// malformed.
	if _, err := p.value(1); err != nil {
		return p, errMalformedJSON
	}
	if p.i < len(s) && !isJSONSpace(s[p.i]) {
		return p, errMalformedJSON
	}
	return p, errNotObject
}

// finish checks that only whitespace follows the top-level value.
func (p *jsonParser) finish() error {
	p.ws()
	if p.i != len(p.s) {
		return errTrailingData
	}
	return nil
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// ws skips whitespace.
func (p *jsonParser) ws() {
	for p.i < len(p.s) && isJSONSpace(p.s[p.i]) {
		p.i++
	}
}

// nextMember reads, after an object's '{' (first) or after a member's
// value, either the end of the object (more false) or the next member's
// name. The caller then checks the name and calls colon.
func (p *jsonParser) nextMember(first bool) (name string, more bool, err error) {
	p.ws()
	if p.i >= len(p.s) {
		return "", false, errMalformedJSON
	}
	switch c := p.s[p.i]; {
	case c == '}':
		p.i++
		return "", false, nil
	case first:
	case c == ',':
		p.i++
		p.ws()
	default:
		return "", false, errMalformedJSON
	}
	if p.i >= len(p.s) || p.s[p.i] != '"' {
		return "", false, errMalformedJSON
	}
	name, err = p.str()
	return name, err == nil, err
}

// colon consumes the ':' between a member's name and value.
func (p *jsonParser) colon() error {
	p.ws()
	if p.i >= len(p.s) || p.s[p.i] != ':' {
		return errMalformedJSON
	}
	p.i++
	return nil
}

// object reads the members of an object whose '{' was consumed, nested at
// depth (the top-level object is depth 1).
func (p *jsonParser) object(depth int) (map[string]any, error) {
	if depth > maxJSONDepth {
		return nil, errTooDeep
	}
	var obj map[string]any
	if depth == 1 {
		obj = make(map[string]any, 8) // one group: a typical access token
	} else {
		obj = make(map[string]any)
	}
	for first := true; ; first = false {
		name, more, err := p.nextMember(first)
		if err != nil {
			return nil, err
		}
		if !more {
			return obj, nil
		}
		if _, dup := obj[name]; dup {
			return nil, errDuplicateName
		}
		if err := p.colon(); err != nil {
			return nil, err
		}
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		obj[name] = v
	}
}

// value reads one value inside a container at depth: a string, a
// json.Number, a bool, nil, []any or map[string]any.
func (p *jsonParser) value(depth int) (any, error) {
	p.ws()
	if p.i >= len(p.s) {
		return nil, errMalformedJSON
	}
	switch c := p.s[p.i]; c {
	case '"':
		return p.str()
	case '{':
		p.i++
		return p.object(depth + 1)
	case '[':
		p.i++
		return p.array(depth + 1)
	case 't':
		return true, p.literal("true")
	case 'f':
		return false, p.literal("false")
	case 'n':
		return nil, p.literal("null")
	default:
		if c == '-' || ('0' <= c && c <= '9') {
			return p.number()
		}
		return nil, errMalformedJSON
	}
}

// array reads the elements of an array whose '[' was consumed.
func (p *jsonParser) array(depth int) ([]any, error) {
	if depth > maxJSONDepth {
		return nil, errTooDeep
	}
	arr := []any{}
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return arr, nil
	}
	for {
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
		p.ws()
		if p.i >= len(p.s) {
			return nil, errMalformedJSON
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return arr, nil
		default:
			return nil, errMalformedJSON
		}
	}
}

// literal consumes the literal lit.
func (p *jsonParser) literal(lit string) error {
	if !strings.HasPrefix(p.s[p.i:], lit) {
		return errMalformedJSON
	}
	p.i += len(lit)
	return nil
}

// number reads a number per RFC 8259 §6 and keeps its text.
func (p *jsonParser) number() (json.Number, error) {
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
		return "", errMalformedJSON
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return "", errMalformedJSON
		}
		i = skipDigits(s, i)
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return "", errMalformedJSON
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

// str reads a string at its opening quote. Without escapes the result
// shares the parser's memory.
func (p *jsonParser) str() (string, error) {
	s := p.s
	start := p.i + 1
	for i := start; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			p.i = i + 1
			return s[start:i], nil
		case c == '\\':
			return p.unescape(start, i)
		case c < 0x20:
			return "", errMalformedJSON
		}
	}
	return "", errMalformedJSON
}

// unescape finishes reading a string that has an escape at esc. The text
// is valid UTF-8 and every surrogate escape is paired (checkText).
func (p *jsonParser) unescape(start, esc int) (string, error) {
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
			return "", errMalformedJSON
		case c != '\\':
			b = append(b, c)
			i++
			continue
		}
		if i+1 >= len(s) {
			return "", errMalformedJSON
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
				return "", errMalformedJSON
			}
			i += 6
			if r >= 0xD800 && r <= 0xDBFF {
				// checkSurrogates guarantees a low surrogate escape follows.
				if i+1 >= len(s) || s[i] != '\\' || s[i+1] != 'u' {
					return "", errLoneSurrogate
				}
				lo, ok := hex4(s, i+2)
				if !ok {
					return "", errLoneSurrogate
				}
				r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
				i += 6
			}
			b = utf8.AppendRune(b, r)
			continue
		default:
			return "", errMalformedJSON
		}
		i += 2
	}
	return "", errMalformedJSON
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
			return errMalformedJSON
		}
		if raw[i+1] != 'u' {
			i++ // skip the escaped character
			continue
		}
		r, ok := hex4(raw, i+2)
		if !ok {
			return errMalformedJSON
		}
		i += 5
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return errLoneSurrogate
		case r >= 0xD800 && r <= 0xDBFF:
			if i+6 >= len(raw) || raw[i+1] != '\\' || raw[i+2] != 'u' {
				return errLoneSurrogate
			}
			lo, ok := hex4(raw, i+3)
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return errLoneSurrogate
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
