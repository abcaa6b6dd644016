package policy

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseBodyReadsMessages(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		batch  bool
		other  bool
		method []string
		target []string // name or uri
		ids    []string
	}{
		{"tools/call", `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"delete_notes","arguments":{"x":[1,2,{"y":null}]}}}`,
			false, false, []string{"tools/call"}, []string{"delete_notes"}, []string{"7"}},
		{"string id and resource", ` {"id":"a\"b","method":"resources/read","params":{"uri":"notes://x"}} `,
			false, false, []string{"resources/read"}, []string{"notes://x"}, []string{`"a\"b"`}},
		{"escaped member names are the same names", `{"meth\u006fd":"tools/call","params":{"n\u0061me":"d\u0065lete"}}`,
			false, false, []string{"tools/call"}, []string{"delete"}, []string{""}},
		{"escaped surrogate pair", `{"method":"prompts/get","params":{"name":"\ud83d\ude00"}}`,
			false, false, []string{"prompts/get"}, []string{"😀"}, []string{""}},
		{"batch", `[{"id":1,"method":"tools/list"},{"id":2,"method":"tools/call","params":{"name":"a"}},{"method":"notifications/initialized"}]`,
			true, false, []string{"tools/list", "tools/call", "notifications/initialized"}, []string{"", "a", ""}, []string{"1", "2", ""}},
		{"empty batch", `[]`, true, false, nil, nil, nil},
		{"response", `{"jsonrpc":"2.0","id":1,"result":{}}`, false, false, []string{""}, []string{""}, []string{"1"}},
		{"not an object", `"tools/call"`, false, true, nil, nil, nil},
		{"batch with a non-object", `[1,{"method":"ping"}]`, true, true, []string{"ping"}, []string{""}, []string{""}},
		{"unicode outside names", `{"method":"tools/call","params":{"name":"a","arguments":{"é":"ü","e":1}}}`,
			false, false, []string{"tools/call"}, []string{"a"}, []string{""}},
		{"numbers", `{"method":"x","params":{"a":[0,-0,1.5,-2e10,3E+2,4e-1]}}`, false, false, []string{"x"}, []string{""}, []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b body
			if err := parseBody([]byte(tt.in), &b); err != nil {
				t.Fatalf("parseBody: %v", err)
			}
			if b.batch != tt.batch || b.other != tt.other || b.len() != len(tt.method) {
				t.Fatalf("batch %v other %v messages %d; want %v %v %d", b.batch, b.other, b.len(), tt.batch, tt.other, len(tt.method))
			}
			for i := 0; i < b.len(); i++ {
				m := b.at(i)
				target := m.name
				if m.hasURI {
					target = m.uri
				}
				id := ""
				if m.hasID {
					id = tt.in[m.id.start:m.id.end]
				}
				if string(m.method) != tt.method[i] || string(target) != tt.target[i] || id != tt.ids[i] {
					t.Errorf("message %d: method %q target %q id %q; want %q %q %q", i, m.method, target, id, tt.method[i], tt.target[i], tt.ids[i])
				}
			}
		})
	}
}

func TestParseBodyRefusesAmbiguity(t *testing.T) {
	deep := strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1)
	manyMembers := func(extra string) string {
		var b strings.Builder
		b.WriteString(`{"method":"x","params":{`)
		for i := range 40 {
			b.WriteString(`"m`)
			b.WriteString(strings.Repeat("a", i))
			b.WriteString(`":1,`)
		}
		b.WriteString(extra)
		b.WriteString(`}}`)
		return b.String()
	}
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"duplicate method", `{"method":"tools/list","method":"tools/call"}`, errDuplicate},
		{"case-variant method", `{"method":"tools/list","Method":"tools/call"}`, errDuplicate},
		{"lone case-variant method", `{"METHOD":"tools/call"}`, errCaseVariant},
		{"lone case-variant params", `{"method":"tools/call","Params":{"name":"x"}}`, errCaseVariant},
		{"long s in params", `{"method":"tools/call","param\u017f":{"name":"x"}}`, errCaseVariant},
		{"lone case-variant name", `{"method":"tools/call","params":{"Name":"x"}}`, errCaseVariant},
		{"lone case-variant uri", `{"method":"resources/read","params":{"URI":"x"}}`, errCaseVariant},
		{"lone case-variant id", `{"method":"x","ID":1}`, errCaseVariant},
		{"duplicate name", `{"method":"tools/call","params":{"name":"a","name":"b"}}`, errDuplicate},
		{"escaped duplicate name", `{"method":"tools/call","params":{"name":"a","n\u0061me":"b"}}`, errDuplicate},
		{"kelvin sign duplicate", `{"method":"x","params":{"arguments":{"k":1,"\u212a":2}}}`, errDuplicate},
		{"duplicate deep in arguments", `{"method":"x","params":{"arguments":{"a":{"b":1,"b":2}}}}`, errDuplicate},
		{"duplicate among many members", manyMembers(`"ma":2`), errDuplicate},
		{"case variant among many members", manyMembers(`"MAA":2`), errDuplicate},
		{"invalid UTF-8", "{\"method\":\"tools/call\",\"params\":{\"name\":\"a\xff\"}}", errUTF8},
		{"UTF-8 encoded surrogate", "{\"method\":\"x\",\"params\":{\"a\":\"\xed\xa0\x80\"}}", errUTF8},
		{"overlong UTF-8", "{\"method\":\"x\",\"params\":{\"a\":\"\xc0\xaf\"}}", errUTF8},
		{"lone high surrogate", `{"method":"x","params":{"a":"\ud800"}}`, errSurrogate},
		{"lone low surrogate", `{"method":"x","params":{"a":"\udc00"}}`, errSurrogate},
		{"high surrogate then letter", `{"method":"x","params":{"a":"\ud800\u0041"}}`, errSurrogate},
		{"control character", "{\"method\":\"x\\u0000\tb\"}", errControl},
		{"NUL in method", `{"method":"tools/call\u0000x"}`, errNUL},
		{"NUL in name", `{"method":"tools/call","params":{"name":"a\u0000b"}}`, errNUL},
		{"trailing data", `{"method":"x"} {}`, errTrailing},
		{"trailing comma", `{"method":"x",}`, errSyntax},
		{"single quotes", `{'method':'x'}`, errSyntax},
		{"comment", `{"method":"x"/**/}`, errSyntax},
		{"leading zero", `{"method":"x","id":01}`, errSyntax},
		{"bare dot", `{"method":"x","id":1.}`, errSyntax},
		{"bad exponent", `{"method":"x","id":1e}`, errSyntax},
		{"NaN", `{"method":"x","id":NaN}`, errSyntax},
		{"byte order mark", "\xef\xbb\xbf{\"method\":\"x\"}", errSyntax},
		{"bad escape", `{"method":"\x"}`, errSyntax},
		{"short unicode escape", `{"method":"\u12"}`, errSyntax},
		{"unterminated string", `{"method":"x`, errSyntax},
		{"unterminated object", `{"method":"x"`, errSyntax},
		{"unterminated batch", `[{"method":"x"}`, errSyntax},
		{"missing colon", `{"method" "x"}`, errSyntax},
		{"too deep", deep, errDepth},
		{"empty", ``, errSyntax},
		{"whitespace only", " \n", errSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b body
			err := parseBody([]byte(tt.in), &b)
			if !errors.Is(err, tt.want) {
				t.Errorf("parseBody = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseBodyMarksWrongTypes(t *testing.T) {
	for in, want := range map[string]error{
		`{"method":5}`:                                    errMethodType,
		`{"method":"tools/call","params":[]}`:             errParamsType,
		`{"method":"tools/call","params":{"name":5}}`:     errNameType,
		`{"method":"resources/read","params":{"uri":{}}}`: errNameType,
	} {
		var b body
		if err := parseBody([]byte(in), &b); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got := b.at(0).badMember; got != want {
			t.Errorf("%s: badMember %v, want %v", in, got, want)
		}
	}
}

// TestParseBodyNameStack checks the duplicate check across nesting: names of
// an outer object never clash with an inner object's, and a duplicate is
// found wherever the names sit in the reader's name stack (inline or
// spilled).
func TestParseBodyNameStack(t *testing.T) {
	members := func(n int, extra string) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, `"k%d":%d,`, i, i)
		}
		b.WriteString(extra)
		return b.String()
	}
	// Nested objects of 12 names each, so that the inner ones spill.
	nest := func(depth int, innermost string) string {
		s := `{` + members(12, innermost) + `}`
		for range depth {
			s = `{` + members(12, `"inner":`+s) + `}`
		}
		return `{"method":"x","params":` + s + `}`
	}
	for _, tt := range []struct {
		name string
		in   string
		want error
	}{
		{"same names at every level", nest(4, `"last":1`), nil},
		{"duplicate in a spilled object", nest(4, `"k3":1`), errDuplicate},
		{"case variant in a spilled object", nest(4, `"K3":1`), errDuplicate},
		{"duplicate beyond the pairwise scan in a spilled object", `{"method":"x","params":{` + members(20, `"a":{`+members(30, `"k29":1`)+`}`) + `}}`, errDuplicate},
		{"no duplicate after a closed object", `{"method":"x","params":{"a":{` + members(30, `"z":1`) + `},` + members(30, `"z":1`) + `}}`, nil},
		// Objects whose names spill after a spilled object closed: the
		// stack must not hold the closed object's names any more.
		{"duplicate after a closed spilled object", `{"method":"x","params":{` + members(16, `"a":{`+members(10, `"b":{"x":1,"q":2},"c":{"p":1,"p":2}`)+`}`) + `}}`, errDuplicate},
		{"distinct names after a closed spilled object", `{"method":"x","params":{` + members(16, `"a":{`+members(10, `"b":{"x":1,"q":2},"c":{"p":1,"q":2}`)+`}`) + `}}`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b body
			if err := parseBody([]byte(tt.in), &b); !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Errorf("parseBody = %v, want %v", err, tt.want)
			}
		})
	}
}
