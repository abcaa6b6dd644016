package strictjson

import (
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestParseStrictObject(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error // nil: accepted
	}{
		{"plain", `{"a":1,"b":"x","c":[1,{"d":null}],"e":true}`, nil},
		{"paired surrogate", `{"a":"\ud83d\ude00"}`, nil},
		{"escaped backslash before u", `{"a":"\\ud800"}`, nil},
		{"duplicate", `{"a":1,"a":1}`, ErrDuplicateName},
		{"nested duplicate", `{"a":{"b":1,"b":2}}`, ErrDuplicateName},
		{"duplicate in array member", `{"a":[{"b":1,"b":2}]}`, ErrDuplicateName},
		{"invalid utf8", "{\"a\":\"\xff\"}", ErrInvalidUTF8},
		{"lone high", `{"a":"\ud800"}`, ErrLoneSurrogate},
		{"lone high at end", `{"a":"\ud800`, ErrLoneSurrogate},
		{"lone low", `{"a":"\udfff"}`, ErrLoneSurrogate},
		{"high then non-low", `{"a":"\ud800\u0041"}`, ErrLoneSurrogate},
		{"bad escape", `{"a":"\u12"}`, ErrMalformed},
		{"array", `[1]`, ErrNotObject},
		{"string", `"a"`, ErrNotObject},
		{"trailing", `{} {}`, ErrTrailingData},
		{"trailing garbage", `{}x`, ErrTrailingData},
		{"unterminated", `{"a":1`, ErrMalformed},
		{"objects too deep", strings.Repeat(`{"a":`, 20) + "1" + strings.Repeat("}", 20), ErrTooDeep},
		{"too deep", `{"a":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}`, ErrTooDeep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseObject(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v; want %v", err, tt.want)
			}
			if tt.want == nil && m == nil {
				t.Fatal("nil map")
			}
		})
	}
	m, err := ParseObject(`{"n":12345678901234567890}`)
	if err != nil {
		t.Fatal(err)
	}
	if m["n"] != json.Number("12345678901234567890") {
		t.Fatalf("number lost precision: %#v", m["n"])
	}
}

// TestParseStrictObjectMatchesEncodingJSON checks the hand-written parser
// against encoding/json: every input encoding/json accepts as an object
// (and that has no duplicate names) decodes to the same value, and every
// input it rejects is rejected.
func TestParseStrictObjectMatchesEncodingJSON(t *testing.T) {
	inputs := []string{
		`{}`, ` { } `, "\t{\n\r}\n", `{"a":1}`, `{"a":-0}`, `{"a":0.5}`, `{"a":1e3}`, `{"a":1E+3}`, `{"a":-1.5e-3}`,
		`{"a":12345678901234567890123}`, `{"a":true,"b":false,"c":null}`, `{"a":[]}`, `{"a":[1,"x",[true],{}]}`,
		`{"a":{"b":{"c":[null]}}}`, `{"a":"\"\\\/\b\f\n\r\t"}`, `{"a":"\u0041\u00e9\u20ac"}`, `{"a":"\ud83d\ude00x"}`,
		`{"\u0061b":1}`, `{"a b":"c d"}`, `{"":""}`, "{\"a\":\"\u00e9\u4e2d\U0001F600\"}", `{"a":"\u0000"}`,
		`{"a" : 1 , "b" : [ 1 , 2 ] }`,
		// rejected
		``, ` `, `{`, `}`, `{,}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":1 "b":2}`, `{"a" 1}`, `{a:1}`, `{'a':1}`,
		`{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":+1}`, `{"a":-}`, `{"a":1e}`, `{"a":1e+}`, `{"a":0x1}`, `{"a":NaN}`,
		`{"a":Infinity}`, `{"a":tru}`, `{"a":nul}`, `{"a":True}`, `{"a":[1,]}`, `{"a":[,1]}`, `{"a":[1 2]}`, `{"a":[}`,
		`{"a":"\x"}`, `{"a":"\u00g0"}`, "{\"a\":\"\x01\"}", "{\"a\":\"tab\there\"}", `{"a":"unterminated}`,
		`{"a":1}}`, `{"a":1}]`, `{"a":1} x`, `{}{}`, `[]`, `"x"`, `1`, `null`, `{"a":1}/*c*/`, `{/*c*/}`,
		"\xef\xbb\xbf{}", "{\"a\":1}\x00", "{\v}", "{\f}",
	}
	for _, in := range inputs {
		t.Run(in, func(t *testing.T) {
			var want map[string]any
			dec := json.NewDecoder(strings.NewReader(in))
			dec.UseNumber()
			stdErr := dec.Decode(&want)
			if stdErr == nil {
				if _, err := dec.Token(); err != io.EOF {
					stdErr = errors.New("trailing data")
				}
			}
			got, err := ParseObject(in)
			if (err == nil) != (stdErr == nil) || (stdErr == nil && want == nil) {
				if stdErr == nil && want == nil && err != nil {
					return // "null" decodes into a nil map; not an object
				}
				t.Fatalf("ParseObject err = %v; encoding/json err = %v", err, stdErr)
			}
			if err != nil {
				return
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %#v; encoding/json %#v", got, want)
			}
		})
	}
}

func TestParseStrictObjectEscapes(t *testing.T) {
	tests := []struct {
		name, in string
		want     error
	}{
		{"duplicate through an escape", `{"alg":"RS256","\u0061lg":"none"}`, ErrDuplicateName},
		{"duplicate through an escaped slash", `{"a/b":1,"a\/b":2}`, ErrDuplicateName},
		{"distinct names", `{"ab":1,"a\u0062c":2}`, nil},
		{"control character in a name", "{\"a\x1fb\":1}", ErrMalformed},
		{"escape at end", `{"a\`, ErrMalformed},
		{"lone low surrogate in a name", `{"\udc00":1}`, ErrLoneSurrogate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseObject(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v; want %v", err, tt.want)
			}
		})
	}
	m, err := ParseObject(`{"s":"a\ud83d\ude00\n\u00e9\"","n\u0061me":1}`)
	if err != nil {
		t.Fatal(err)
	}
	if m["s"] != "a\U0001F600\n\u00e9\"" || m["name"] != json.Number("1") {
		t.Fatalf("decoded %#v", m)
	}
}
