package strictjson

import (
	"math/bits"
	"unicode/utf8"
)

// String reads the string at the scanner's position (after whitespace)
// and returns its unescaped value: the text's own memory when the string
// has no escapes, else a new copy.
func (s *Scanner[T]) String() (T, error) {
	var zero T
	s.SkipSpace()
	if s.Peek() != '"' {
		return zero, ErrMalformed
	}
	start := s.i + 1
	plain, err := s.skipString()
	if err != nil {
		return zero, err
	}
	end := s.i - 1
	if plain || !hasBackslash(s.text[start:end]) {
		return s.text[start:end], nil
	}
	s.i = start
	out := make([]byte, 0, end-start)
	for s.i < end {
		c := s.text[s.i]
		if c == '\\' {
			r, err := s.escape()
			if err != nil {
				return zero, err
			}
			out = utf8.AppendRune(out, r)
			continue
		}
		out = append(out, c)
		s.i++
	}
	s.i = end + 1
	return T(out), nil
}

// hasBackslash reports whether t has a backslash.
func hasBackslash[T Text](t T) bool {
	for i := 0; i < len(t); i++ {
		if t[i] == '\\' {
			return true
		}
	}
	return false
}

// skipString validates the string at the scanner's position (which must be
// '"') and moves past it. plain reports a string without escapes made of
// ASCII only.
func (s *Scanner[T]) skipString() (plain bool, err error) {
	t := s.text
	i := s.i + 1 // '"'
	plain = true
	for {
		// Fast path over plain ASCII: eight bytes at a time, then one.
		for i+8 <= len(t) {
			if m := specialBytes(load64(t, i)); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		for i < len(t) && plainASCII[t[i]] {
			i++
		}
		if i >= len(t) {
			s.i = i
			return false, ErrMalformed
		}
		c := t[i]
		switch {
		case c == '"':
			s.i = i + 1
			return plain, nil
		case c < 0x20:
			s.i = i
			return false, ErrControlCharacter
		case c == '\\':
			plain = false
			s.i = i
			if _, err := s.escape(); err != nil {
				return false, err
			}
			i = s.i
		default: // c >= 0x80
			plain = false
			n := utf8Len(t, i)
			if n == 0 {
				s.i = i
				return false, ErrInvalidUTF8
			}
			i += n
		}
	}
}

// load64 reads eight bytes at t[i:] as a little-endian number.
func load64[T Text](t T, i int) uint64 {
	w := t[i : i+8] // one bounds check; the compiler merges the loads
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}

// specialBytes returns a mask whose lowest set bit is in the first byte of
// x (little-endian) that is not plainASCII, and 0 when there is none. Above
// that byte the mask may have false positives; the first is exact, because
// the borrows of the subtractions only run upwards from a byte that matched.
func specialBytes(x uint64) uint64 {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	zero := func(v uint64) uint64 { return (v - ones) & ^v & high }
	return (x-ones*0x20)&^x&high | // a byte below 0x20
		zero(x^(ones*'"')) | zero(x^(ones*'\\')) |
		x&high // a byte from 0x80 on
}

// plainASCII marks the bytes that a string can hold as they are: printable
// ASCII other than '"' and '\\'.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// utf8Len returns the length of the well-formed UTF-8 sequence that starts
// at t[i] (a byte from 0x80 on), or 0 when it is not one: a stray
// continuation byte, an overlong form, an encoded surrogate, a code point
// above U+10FFFF or a truncated sequence (RFC 3629 §4).
func utf8Len[T Text](t T, i int) int {
	n := len(t) - i
	c0 := t[i]
	switch {
	case c0 < 0xC2:
		return 0
	case c0 < 0xE0:
		if n < 2 || t[i+1]&0xC0 != 0x80 {
			return 0
		}
		return 2
	case c0 < 0xF0:
		if n < 3 {
			return 0
		}
		lo, hi := byte(0x80), byte(0xBF)
		switch c0 {
		case 0xE0:
			lo = 0xA0
		case 0xED:
			hi = 0x9F
		}
		if c1 := t[i+1]; c1 < lo || c1 > hi || t[i+2]&0xC0 != 0x80 {
			return 0
		}
		return 3
	case c0 < 0xF5:
		if n < 4 {
			return 0
		}
		lo, hi := byte(0x80), byte(0xBF)
		switch c0 {
		case 0xF0:
			lo = 0x90
		case 0xF4:
			hi = 0x8F
		}
		if c1 := t[i+1]; c1 < lo || c1 > hi || t[i+2]&0xC0 != 0x80 || t[i+3]&0xC0 != 0x80 {
			return 0
		}
		return 4
	}
	return 0
}

// escape reads the escape sequence at the scanner's position ('\\') and
// returns its rune. A \u escape of a UTF-16 surrogate must be a high one
// followed by an escaped low one.
func (s *Scanner[T]) escape() (rune, error) {
	if s.i+1 >= len(s.text) {
		return 0, ErrMalformed
	}
	c := s.text[s.i+1]
	s.i += 2
	switch c {
	case '"', '\\', '/':
		return rune(c), nil
	case 'b':
		return '\b', nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'u':
	default:
		return 0, ErrMalformed
	}
	u, ok := s.hex4()
	if !ok {
		return 0, ErrMalformed
	}
	switch {
	case 0xDC00 <= u && u <= 0xDFFF:
		return 0, ErrLoneSurrogate
	case 0xD800 <= u && u <= 0xDBFF:
		if s.i+1 >= len(s.text) || s.text[s.i] != '\\' || s.text[s.i+1] != 'u' {
			return 0, ErrLoneSurrogate
		}
		s.i += 2
		lo, ok := s.hex4()
		if !ok {
			return 0, ErrMalformed
		}
		if lo < 0xDC00 || lo > 0xDFFF {
			return 0, ErrLoneSurrogate
		}
		return 0x10000 + (u-0xD800)<<10 + (lo - 0xDC00), nil
	}
	return u, nil
}

// hex4 reads four hex digits.
func (s *Scanner[T]) hex4() (rune, bool) {
	if len(s.text)-s.i < 4 {
		return 0, false
	}
	var v rune
	for k := s.i; k < s.i+4; k++ {
		switch c := s.text[k]; {
		case '0' <= c && c <= '9':
			v = v<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			v = v<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			v = v<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	s.i += 4
	return v, true
}
