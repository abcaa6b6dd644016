package strictjson

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// strictJSONSeeds are inputs for FuzzParseStrictObject: the cases of
// TestParseStrictObject, real headers and claims, and worst cases.
var strictJSONSeeds = []string{
	`{}`, ` {} `, `{"a":1,"b":"x","c":[1,{"d":null}],"e":true}`, `{"a":"\ud83d\ude00"}`, `{"a":"\\ud800"}`,
	`{"a":1,"a":1}`, `{"a":{"b":1,"b":2}}`, `{"a":[{"b":1,"b":2}]}`, `{"a":1,"\u0061":2}`, "{\"a\":\"\xff\"}",
	`{"a":"\ud800"}`, `{"a":"\ud800`, `{"a":"\udfff"}`, `{"a":"\ud800\u0041"}`, `{"a":"\ud800\\udc00"}`, `{"a":"\u12"}`,
	`[1]`, `"a"`, `1`, `null`, `{} {}`, `{}x`, `{"a":1`, `{"a":1,}`, `{"a" 1}`, `{"a":[1 2]}`, `{"a":[1,]}`, `{,}`, `{"a":01}`,
	`{"n":12345678901234567890}`, `{"n":-0.5e-7}`, `{"n":1E400}`, `{"s":"\/\b\f\n\r\t\"\\"}`, `{"":""}`, "{\"a\":\"\x00\"}",
	"\ufeff{}", `{"a":tru}`, `{"a":nul}`, `{"a":"\u0000"}`, `{"a":[[],{}]}`,
	`{"alg":"RS256","typ":"JWT","kid":"k1"}`,
	`{"iss":"https://issuer.example.com","aud":["a","b"],"exp":1790000000,"scope":"read write","scp":["x"]}`,
	strings.Repeat(`{"a":`, 16) + "1" + strings.Repeat("}", 16), strings.Repeat(`{"a":`, 17) + "1" + strings.Repeat("}", 17),
	`{"a":` + strings.Repeat("[", 15) + strings.Repeat("]", 15) + `}`, `{"a":` + strings.Repeat("[", 16) + strings.Repeat("]", 16) + `}`,
}

func FuzzParseStrictObject(f *testing.F) {
	for _, s := range strictJSONSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := ParseObject(string(raw))
		facts, valid := walkJSON(raw)
		strict := valid && utf8.Valid(raw) && facts.object && !facts.duplicate && !facts.loneSurrogate && facts.depth <= MaxDepth
		if err != nil {
			if m != nil {
				t.Fatalf("returned a map with error %v", err)
			}
			msg := err.Error()
			for i := 0; i+17 <= len(raw); i++ {
				if strings.Contains(msg, string(raw[i:i+17])) {
					t.Fatalf("error %q quotes the input", msg)
				}
			}
			if strict {
				t.Fatalf("rejected %q (%v), a JSON object without duplicates, invalid UTF-8, lone surrogates or deep nesting", raw, err)
			}
			return
		}
		if !json.Valid(raw) || !strict {
			t.Fatalf("accepted %q: json.Valid %v, facts %+v, UTF-8 %v", raw, json.Valid(raw), facts, utf8.Valid(raw))
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("encoding/json cannot decode accepted %q: %v", raw, err)
		}
		if !reflect.DeepEqual(map[string]any(m), want) {
			t.Fatalf("%q: ParseObject gives %#v; encoding/json gives %#v", raw, m, want)
		}
	})
}

// jsonFacts are properties of a JSON text found by walkJSON.
type jsonFacts struct {
	object        bool // the top-level value is an object
	depth         int  // deepest nesting of objects and arrays; the top level is 1
	duplicate     bool // an object has two members with the same name (after unescaping)
	loneSurrogate bool // a string has a \u escape of an unpaired UTF-16 surrogate
}

// walkJSON is an independent reading of JSON for FuzzParseStrictObject. It
// relies on json.Valid for the grammar and only walks valid text.
func walkJSON(raw []byte) (jsonFacts, bool) {
	var f jsonFacts
	if !json.Valid(raw) {
		return f, false
	}
	w := jsonWalker{b: raw, f: &f}
	w.ws()
	f.object = w.peek() == '{'
	w.value(1)
	return f, true
}

type jsonWalker struct {
	b []byte
	i int
	f *jsonFacts
}

func (w *jsonWalker) peek() byte {
	if w.i < len(w.b) {
		return w.b[w.i]
	}
	return 0
}

func (w *jsonWalker) ws() {
	for w.i < len(w.b) && strings.IndexByte(" \t\r\n", w.b[w.i]) >= 0 {
		w.i++
	}
}

func (w *jsonWalker) value(depth int) {
	w.ws()
	switch w.peek() {
	case '{':
		w.f.depth = max(w.f.depth, depth)
		w.i++
		names := map[string]bool{}
		for {
			w.ws()
			if w.peek() == '}' {
				w.i++
				return
			}
			if w.peek() == ',' {
				w.i++
				w.ws()
			}
			name := w.str()
			if names[name] {
				w.f.duplicate = true
			}
			names[name] = true
			w.ws()
			w.i++ // ':'
			w.value(depth + 1)
			w.ws()
		}
	case '[':
		w.f.depth = max(w.f.depth, depth)
		w.i++
		for {
			w.ws()
			switch w.peek() {
			case ']':
				w.i++
				return
			case ',':
				w.i++
			}
			w.ws()
			if w.peek() == ']' {
				continue
			}
			w.value(depth + 1)
		}
	case '"':
		w.str()
	default:
		for w.i < len(w.b) && strings.IndexByte(",]} \t\r\n", w.b[w.i]) < 0 {
			w.i++
		}
	}
}

// str reads a string, notes lone surrogate escapes and returns it
// unescaped by encoding/json.
func (w *jsonWalker) str() string {
	start := w.i
	w.i++ // opening quote
	for w.b[w.i] != '"' {
		if w.b[w.i] != '\\' {
			w.i++
			continue
		}
		if w.b[w.i+1] != 'u' {
			w.i += 2
			continue
		}
		r := hexValue(w.b[w.i+2 : w.i+6])
		w.i += 6
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			w.f.loneSurrogate = true
		case r >= 0xD800 && r <= 0xDBFF:
			if w.i+6 <= len(w.b) && w.b[w.i] == '\\' && w.b[w.i+1] == 'u' {
				if lo := hexValue(w.b[w.i+2 : w.i+6]); lo >= 0xDC00 && lo <= 0xDFFF {
					w.i += 6
					continue
				}
			}
			w.f.loneSurrogate = true
		}
	}
	w.i++ // closing quote
	var s string
	if err := json.Unmarshal(w.b[start:w.i], &s); err != nil {
		panic("walkJSON: invalid string in valid JSON: " + err.Error())
	}
	return s
}

// hexValue parses four hex digits (json.Valid has checked them).
func hexValue(h []byte) rune {
	var r rune
	for _, c := range h {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c-'a') + 10
		default:
			r |= rune(c-'A') + 10
		}
	}
	return r
}

// TestWalkJSON checks the fuzz oracle itself.
func TestWalkJSON(t *testing.T) {
	tests := []struct {
		in   string
		want jsonFacts
	}{
		{`{}`, jsonFacts{object: true, depth: 1}},
		{`[1,[2]]`, jsonFacts{depth: 2}},
		{`{"a":1,"\u0061":2}`, jsonFacts{object: true, depth: 1, duplicate: true}},
		{`{"a":{"b":[{"c":1,"c":2}]}}`, jsonFacts{object: true, depth: 4, duplicate: true}},
		{`{"a":"\ud800x"}`, jsonFacts{object: true, depth: 1, loneSurrogate: true}},
		{`{"a":"\udc00\ud800"}`, jsonFacts{object: true, depth: 1, loneSurrogate: true}},
		{`{"a":"\ud83d\ude00","b":"\\ud800"}`, jsonFacts{object: true, depth: 1}},
		{`{"a":[],"b":[[],{}]}`, jsonFacts{object: true, depth: 3}},
		{`"x"`, jsonFacts{}},
	}
	for _, tt := range tests {
		got, ok := walkJSON([]byte(tt.in))
		if !ok || got != tt.want {
			t.Errorf("walkJSON(%s) = %+v, %v; want %+v", tt.in, got, ok, tt.want)
		}
	}
	if _, ok := walkJSON([]byte(`{"a":}`)); ok {
		t.Error("walkJSON accepted invalid JSON")
	}
}
