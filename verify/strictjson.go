package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"
)

// maxJSONDepth bounds nesting in headers and claims; access tokens are flat.
const maxJSONDepth = 16

var (
	errInvalidUTF8    = errors.New("JSON is not valid UTF-8")
	errLoneSurrogate  = errors.New("JSON string has an unpaired UTF-16 surrogate escape")
	errDuplicateName  = errors.New("JSON object has a duplicate member name")
	errNotObject      = errors.New("JSON value is not an object")
	errTrailingData   = errors.New("JSON value is followed by trailing data")
	errTooDeep        = errors.New("JSON value is nested too deeply")
	errMalformedJSON  = errors.New("malformed JSON")
	errUnexpectedJSON = errors.New("unexpected JSON token")
)

// parseStrictObject decodes a JSON object the way RFC 8725 asks for: UTF-8
// only, no duplicate member names at any depth, no unpaired surrogate escapes
// (which encoding/json would silently replace), no trailing data. Numbers are
// kept as json.Number. The returned errors never quote the input.
func parseStrictObject(raw []byte) (map[string]any, error) {
	if !utf8.Valid(raw) {
		return nil, errInvalidUTF8
	}
	if err := checkSurrogates(raw); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, errMalformedJSON
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errNotObject
	}
	obj, err := decodeObject(dec, 1)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errTrailingData
	}
	return obj, nil
}

// decodeObject reads members after an opening '{' up to and including '}'.
func decodeObject(dec *json.Decoder, depth int) (map[string]any, error) {
	if depth > maxJSONDepth {
		return nil, errTooDeep
	}
	obj := make(map[string]any)
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, errMalformedJSON
		}
		switch t := tok.(type) {
		case json.Delim:
			if t != '}' {
				return nil, errUnexpectedJSON
			}
			return obj, nil
		case string:
			if _, dup := obj[t]; dup {
				return nil, errDuplicateName
			}
			v, err := decodeValue(dec, depth)
			if err != nil {
				return nil, err
			}
			obj[t] = v
		default:
			return nil, errUnexpectedJSON
		}
	}
}

// decodeValue reads one JSON value.
func decodeValue(dec *json.Decoder, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, errMalformedJSON
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil // string, json.Number, bool or nil
	}
	switch d {
	case '{':
		return decodeObject(dec, depth+1)
	case '[':
		if depth+1 > maxJSONDepth {
			return nil, errTooDeep
		}
		arr := []any{}
		for dec.More() {
			v, err := decodeValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		if tok, err := dec.Token(); err != nil || tok != json.Delim(']') {
			return nil, errMalformedJSON
		}
		return arr, nil
	default:
		return nil, errUnexpectedJSON
	}
}

// checkSurrogates rejects \uD800-\uDFFF escapes that do not form a
// high-low pair. Backslashes only occur inside JSON strings, so a byte scan
// that skips escaped characters is exact.
func checkSurrogates(raw []byte) error {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
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
func hex4(raw []byte, at int) (rune, bool) {
	if at+4 > len(raw) {
		return 0, false
	}
	var r rune
	for _, c := range raw[at : at+4] {
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
