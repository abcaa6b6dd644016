package policy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/bits"
	"unicode"
	"unicode/utf8"
)

// maxDepth bounds the nesting of arrays and objects in a request body.
const maxDepth = 512

// Errors of the strict reader. Each names what is wrong; none carries data
// taken from the body.
var (
	errSyntax      = errors.New("the body is not JSON")
	errTrailing    = errors.New("the body has data after its JSON value")
	errDepth       = errors.New("the body nests arrays and objects too deeply")
	errUTF8        = errors.New("the body is not valid UTF-8")
	errSurrogate   = errors.New("the body has a lone UTF-16 surrogate escape")
	errControl     = errors.New("the body has a control character in a string")
	errDuplicate   = errors.New("an object has two members whose names are equal or differ only in letter case")
	errCaseVariant = errors.New("a JSON-RPC member name is spelled in another letter case")
	errNUL         = errors.New("a method, name or uri contains NUL")
	errMethodType  = errors.New("a JSON-RPC method is not a string")
	errParamsType  = errors.New("JSON-RPC params is not an object")
	errNameType    = errors.New("params.name or params.uri is not a string")
)

// message is what the policy reads from one JSON-RPC message. Strings
// without escapes share the body's memory; nothing is copied unless it had
// escapes.
type message struct {
	hasMethod bool
	method    []byte // decoded
	hasID     bool
	id        span // raw JSON of the id, when hasID
	hasParams bool
	paramsObj bool // params is an object
	hasName   bool
	name      []byte // params.name, decoded
	hasURI    bool
	uri       []byte // params.uri, decoded
	badMember error  // a decision member of the wrong type; reported when the policy needs it
}

// span is a half-open byte range of the body.
type span struct{ start, end int }

// body is a strictly parsed request body: the objects at the top level or
// in the top-level array. A single message is held without allocating.
type body struct {
	batch bool
	// other reports top-level values that are not objects (or array
	// elements that are not objects): not JSON-RPC messages.
	other  bool
	one    message // the message of a body that is not a batch
	hasOne bool
	many   []message // the messages of a batch
}

// add appends a message.
func (b *body) add(m message) {
	if b.batch {
		b.many = append(b.many, m)
		return
	}
	b.one, b.hasOne = m, true
}

// len returns the number of messages.
func (b *body) len() int {
	if b.batch {
		return len(b.many)
	}
	if b.hasOne {
		return 1
	}
	return 0
}

// at returns message i.
func (b *body) at(i int) *message {
	if b.batch {
		return &b.many[i]
	}
	return &b.one
}

// reader is a strict, allocation-light JSON reader. It accepts exactly RFC
// 8259 JSON in UTF-8 and refuses what two conforming parsers could read
// differently: duplicate or case-variant member names, invalid UTF-8, lone
// surrogate escapes.
type reader struct {
	b     []byte
	i     int
	depth int
	// names is a stack of the member names of the objects being read,
	// innermost object last, for the duplicate check: nNames of them, the
	// first in inline (no allocation for typical messages), the rest in
	// spill.
	nNames int
	inline [24]memberName
	spill  []memberName
}

// pushName puts n on top of the name stack.
func (r *reader) pushName(n memberName) {
	if r.nNames < len(r.inline) {
		r.inline[r.nNames] = n
	} else {
		r.spill = append(r.spill, n)
	}
	r.nNames++
}

// name returns entry k of the name stack.
func (r *reader) name(k int) *memberName {
	if k < len(r.inline) {
		return &r.inline[k]
	}
	return &r.spill[k-len(r.inline)]
}

// popNames drops the entries from base on.
func (r *reader) popNames(base int) {
	r.nNames = base
	r.spill = r.spill[:max(0, base-len(r.inline))]
}

// parseBody reads a whole request body.
func parseBody(b []byte, dst *body) error {
	r := reader{b: b}
	r.ws()
	if r.i >= len(r.b) {
		return errSyntax
	}
	switch r.b[r.i] {
	case '{':
		m, err := r.message()
		if err != nil {
			return err
		}
		dst.add(m)
	case '[':
		dst.batch = true
		err := r.array(func() error {
			if r.peek() != '{' {
				dst.other = true
				return r.value()
			}
			m, err := r.message()
			if err == nil {
				dst.add(m)
			}
			return err
		})
		if err != nil {
			return err
		}
	default:
		dst.other = true
		if err := r.value(); err != nil {
			return err
		}
	}
	r.ws()
	if r.i != len(r.b) {
		return errTrailing
	}
	return nil
}

// peek returns the current byte, or 0 at the end.
func (r *reader) peek() byte {
	if r.i < len(r.b) {
		return r.b[r.i]
	}
	return 0
}

// ws skips JSON whitespace.
func (r *reader) ws() {
	i := r.i
	for i < len(r.b) && r.b[i] <= ' ' {
		switch r.b[i] {
		case ' ', '\t', '\n', '\r':
			i++
			continue
		}
		break
	}
	r.i = i
}

// Member names the policy decides on.
const (
	keyMethod  = "method"
	keyParams  = "params"
	keyID      = "id"
	keyJSONRPC = "jsonrpc"
	keyName    = "name"
	keyURI     = "uri"
)

// message reads a JSON-RPC message object at r.i.
func (r *reader) message() (message, error) {
	var m message
	err := r.object(func(name []byte, exact bool) error {
		switch {
		case string(name) == keyMethod:
			m.hasMethod = true
			s, isString, err := r.decisionString()
			switch {
			case err != nil:
				return err
			case !isString:
				m.badMember = errMethodType
			}
			m.method = s
			return nil
		case string(name) == keyID:
			start := r.i
			if err := r.value(); err != nil {
				return err
			}
			m.hasID, m.id = true, span{start, r.i}
			return nil
		case string(name) == keyParams:
			m.hasParams = true
			if r.peek() != '{' {
				return r.value()
			}
			m.paramsObj = true
			return r.object(func(name []byte, exact bool) error {
				isName := string(name) == keyName
				isURI := string(name) == keyURI
				if !isName && !isURI {
					if foldEqual(name, exact, []byte(keyName), true) || foldEqual(name, exact, []byte(keyURI), true) {
						return errCaseVariant
					}
					return r.value()
				}
				s, isString, err := r.decisionString()
				switch {
				case err != nil:
					return err
				case !isString:
					if m.badMember == nil {
						m.badMember = errNameType
					}
					return nil
				}
				if isName {
					m.hasName, m.name = true, s
				} else {
					m.hasURI, m.uri = true, s
				}
				return nil
			})
		case string(name) == keyJSONRPC:
			return r.value()
		default:
			for _, k := range [...]string{keyMethod, keyID, keyParams, keyJSONRPC} {
				if foldEqual(name, exact, []byte(k), true) {
					return errCaseVariant
				}
			}
			return r.value()
		}
	})
	if err == nil && m.hasParams && !m.paramsObj && m.badMember == nil {
		m.badMember = errParamsType
	}
	return m, err
}

// decisionString reads a member the policy decides on (method, params.name,
// params.uri): a string's decoded value, refused when it contains NUL, or
// any other value, validated and reported with isString false.
func (r *reader) decisionString() (s []byte, isString bool, err error) {
	if r.peek() != '"' {
		return nil, false, r.value()
	}
	if s, err = r.decodedBytes(); err != nil {
		return nil, false, err
	}
	if bytes.IndexByte(s, 0) >= 0 {
		return nil, false, errNUL
	}
	return s, true, nil
}

// memberName is one member name of an object being read: the raw bytes
// between the quotes when it has no escapes and only ASCII, else decoded.
type memberName struct {
	name  []byte
	plain bool
}

// object reads an object at r.i, calling member for each member with the
// reader positioned at its value; member must consume the value. A nil
// member skips (and validates) every value. It refuses members whose names
// are equal or equal under Unicode simple case folding. name is the decoded
// member name (valid only during the call); exact reports a name without
// escapes or non-ASCII bytes.
func (r *reader) object(member func(name []byte, exact bool) error) error {
	r.depth++
	if r.depth > maxDepth {
		return errDepth
	}
	r.i++            // '{'
	base := r.nNames // this object's names are from base on
	var seen map[string]struct{}
	r.ws()
	if r.peek() == '}' {
		r.i++
		r.depth--
		return nil
	}
	for {
		r.ws()
		if r.peek() != '"' {
			return errSyntax
		}
		start := r.i + 1
		plain, err := r.skipString()
		if err != nil {
			return err
		}
		n := memberName{name: r.b[start : r.i-1], plain: plain}
		if !plain {
			r.i = start - 1
			if n.name, err = r.decodedBytes(); err != nil {
				return err
			}
		}
		// Duplicate and case-variant detection: a linear scan over the
		// first smallObject names, a map of folded names beyond.
		if seen == nil && r.nNames-base < smallObject {
			for k := base; k < r.nNames; k++ {
				o := r.name(k)
				if (len(o.name) == len(n.name) || !o.plain || !n.plain) && foldEqual(o.name, o.plain, n.name, n.plain) {
					return errDuplicate
				}
			}
			r.pushName(n)
		} else {
			if seen == nil {
				seen = make(map[string]struct{}, 2*smallObject)
				for k := base; k < r.nNames; k++ {
					seen[foldKey(r.name(k).name)] = struct{}{}
				}
			}
			k := foldKey(n.name)
			if _, dup := seen[k]; dup {
				return errDuplicate
			}
			seen[k] = struct{}{}
		}
		r.ws()
		if r.peek() != ':' {
			return errSyntax
		}
		r.i++
		r.ws()
		if member == nil {
			err = r.value()
		} else {
			err = member(n.name, plain)
		}
		if err != nil {
			return err
		}
		if more, err := r.more('}'); !more {
			r.popNames(base)
			return err
		}
	}
}

// smallObject is the number of member names an object's duplicate check
// compares pairwise before it switches to a map.
const smallObject = 16

// array reads an array at r.i, calling element for each element with the
// reader positioned at it; element must consume it. A nil element skips
// (and validates) every element.
func (r *reader) array(element func() error) error {
	r.depth++
	if r.depth > maxDepth {
		return errDepth
	}
	r.i++ // '['
	r.ws()
	if r.peek() == ']' {
		r.i++
		r.depth--
		return nil
	}
	for {
		r.ws()
		var err error
		if element == nil {
			err = r.value()
		} else {
			err = element()
		}
		if err != nil {
			return err
		}
		if more, err := r.more(']'); !more {
			return err
		}
	}
}

// more reads what follows a member or an element: ',' (more) or closer,
// which ends the container.
func (r *reader) more(closer byte) (bool, error) {
	r.ws()
	c := r.peek()
	r.i++
	switch c {
	case ',':
		return true, nil
	case closer:
		r.depth--
		return false, nil
	}
	return false, errSyntax
}

// value reads and validates any JSON value at r.i.
func (r *reader) value() error {
	switch c := r.peek(); {
	case c == '{':
		return r.object(nil)
	case c == '[':
		return r.array(nil)
	case c == '"':
		_, err := r.skipString()
		return err
	case c == 't':
		return r.literal("true")
	case c == 'f':
		return r.literal("false")
	case c == 'n':
		return r.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		return r.number()
	default:
		return errSyntax
	}
}

// literal reads one of true, false, null.
func (r *reader) literal(s string) error {
	if len(r.b)-r.i < len(s) || string(r.b[r.i:r.i+len(s)]) != s {
		return errSyntax
	}
	r.i += len(s)
	return nil
}

// number reads an RFC 8259 number.
func (r *reader) number() error {
	if r.peek() == '-' {
		r.i++
	}
	switch c := r.peek(); {
	case c == '0':
		r.i++
	case '1' <= c && c <= '9':
		r.digits()
	default:
		return errSyntax
	}
	if r.peek() == '.' {
		r.i++
		if !isDigit(r.peek()) {
			return errSyntax
		}
		r.digits()
	}
	if c := r.peek(); c == 'e' || c == 'E' {
		r.i++
		if c := r.peek(); c == '+' || c == '-' {
			r.i++
		}
		if !isDigit(r.peek()) {
			return errSyntax
		}
		r.digits()
	}
	return nil
}

func (r *reader) digits() {
	for r.i < len(r.b) && isDigit(r.b[r.i]) {
		r.i++
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// skipString validates the string at r.i (which must be '"') and moves past
// it. plain reports a string without escapes made of ASCII only.
func (r *reader) skipString() (plain bool, err error) {
	b := r.b
	i := r.i + 1 // '"'
	plain = true
	for {
		// Fast path over plain ASCII: eight bytes at a time, then one.
		for i+8 <= len(b) {
			if m := specialBytes(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		for i < len(b) && plainASCII[b[i]] {
			i++
		}
		if i >= len(b) {
			r.i = i
			return false, errSyntax
		}
		c := b[i]
		switch {
		case c == '"':
			r.i = i + 1
			return plain, nil
		case c < 0x20:
			r.i = i
			return false, errControl
		case c == '\\':
			plain = false
			r.i = i
			if _, err := r.escape(); err != nil {
				return false, err
			}
			i = r.i
		default: // c >= 0x80
			plain = false
			rn, size := utf8.DecodeRune(b[i:])
			if rn == utf8.RuneError && size <= 1 {
				r.i = i
				return false, errUTF8
			}
			i += size
		}
	}
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

// escape reads the escape sequence at r.i ('\\') and returns the rune.
func (r *reader) escape() (rune, error) {
	if r.i+1 >= len(r.b) {
		return 0, errSyntax
	}
	c := r.b[r.i+1]
	r.i += 2
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
		return 0, errSyntax
	}
	u, ok := r.hex4()
	if !ok {
		return 0, errSyntax
	}
	switch {
	case 0xDC00 <= u && u <= 0xDFFF:
		return 0, errSurrogate
	case 0xD800 <= u && u <= 0xDBFF:
		if r.i+1 >= len(r.b) || r.b[r.i] != '\\' || r.b[r.i+1] != 'u' {
			return 0, errSurrogate
		}
		r.i += 2
		lo, ok := r.hex4()
		if !ok {
			return 0, errSyntax
		}
		if lo < 0xDC00 || lo > 0xDFFF {
			return 0, errSurrogate
		}
		return 0x10000 + (u-0xD800)<<10 + (lo - 0xDC00), nil
	}
	return u, nil
}

// hex4 reads four hex digits.
func (r *reader) hex4() (rune, bool) {
	if len(r.b)-r.i < 4 {
		return 0, false
	}
	var v rune
	for _, c := range r.b[r.i : r.i+4] {
		switch {
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
	r.i += 4
	return v, true
}

// decodedBytes reads the string at r.i and returns its decoded value: the
// body's own bytes when the string has no escapes, else a new copy.
func (r *reader) decodedBytes() ([]byte, error) {
	start := r.i + 1
	if _, err := r.skipString(); err != nil {
		return nil, err
	}
	end := r.i - 1
	if bytes.IndexByte(r.b[start:end], '\\') < 0 {
		return r.b[start:end:end], nil
	}
	r.i = start
	out := make([]byte, 0, end-start)
	for r.i < end {
		c := r.b[r.i]
		if c == '\\' {
			rn, err := r.escape()
			if err != nil {
				return nil, err
			}
			out = utf8.AppendRune(out, rn)
			continue
		}
		out = append(out, c)
		r.i++
	}
	r.i = end + 1
	return out, nil
}

// foldEqual reports whether a and b are equal under Unicode simple case
// folding, the matching encoding/json and other case-insensitive decoders
// apply to member names (so "k" matches the Kelvin sign). ascii says that a
// (or b) is known to be all ASCII.
func foldEqual(a []byte, aASCII bool, b []byte, bASCII bool) bool {
	if (aASCII || isASCII(a)) && (bASCII || isASCII(b)) {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
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
func foldKey(s []byte) string {
	if isASCII(s) {
		b := make([]byte, len(s))
		for i, c := range s {
			b[i] = upperASCII(c)
		}
		return string(b)
	}
	out := make([]rune, 0, len(s))
	for _, rn := range string(s) {
		m := rn
		for f := unicode.SimpleFold(rn); f != rn; f = unicode.SimpleFold(f) {
			if f < m {
				m = f
			}
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

func isASCII(s []byte) bool {
	for _, c := range s {
		if c >= 0x80 {
			return false
		}
	}
	return true
}
