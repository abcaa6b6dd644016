package strictjson

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// manyNames returns an object with n members k0..k(n-1) and extra last,
// so that the duplicate check runs past its pairwise scan.
func manyNames(n int, extra string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, `"k%d":%d,`, i, i)
	}
	b.WriteString(extra)
	b.WriteString("}")
	return b.String()
}

// TestRules is the table of the strict JSON rule every reader in the module
// follows: each row is read by a Scanner over a string and over a byte
// slice with ExactNames and with FoldedNames (depth limit 4), and, in exact
// mode, by ParseObject when it is an object of at most MaxDepth levels.
func TestRules(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	tests := []struct {
		name        string
		in          string
		exact, fold error // nil: accepted
	}{
		// Grammar (RFC 8259).
		{"object", `{"a":1,"b":"x","c":[1,{"d":null}],"e":true,"f":false}`, nil, nil},
		{"whitespace", " \t\r\n{ \"a\" : [ 1 , 2 ] }\n", nil, nil},
		{"numbers", `{"a":[0,-0,1.5,-2e10,3E+2,4e-1,12345678901234567890]}`, nil, nil},
		{"empty", ``, ErrMalformed, ErrMalformed},
		{"trailing comma in object", `{"a":1,}`, ErrMalformed, ErrMalformed},
		{"trailing comma in array", `{"a":[1,]}`, ErrMalformed, ErrMalformed},
		{"leading comma in array", `{"a":[,1]}`, ErrMalformed, ErrMalformed},
		{"missing colon", `{"a" 1}`, ErrMalformed, ErrMalformed},
		{"single quotes", `{'a':1}`, ErrMalformed, ErrMalformed},
		{"comment", `{"a":1/**/}`, ErrMalformed, ErrMalformed},
		{"leading zero", `{"a":01}`, ErrMalformed, ErrMalformed},
		{"bare dot", `{"a":1.}`, ErrMalformed, ErrMalformed},
		{"bad exponent", `{"a":1e}`, ErrMalformed, ErrMalformed},
		{"NaN", `{"a":NaN}`, ErrMalformed, ErrMalformed},
		{"truncated literal", `{"a":tru}`, ErrMalformed, ErrMalformed},
		{"byte order mark", "\xef\xbb\xbf{}", ErrMalformed, ErrMalformed},
		{"vertical tab is not whitespace", "{\v}", ErrMalformed, ErrMalformed},
		{"unterminated string", `{"a":"x`, ErrMalformed, ErrMalformed},
		{"unterminated object", `{"a":1`, ErrMalformed, ErrMalformed},
		{"trailing data", `{} {}`, ErrTrailingData, ErrTrailingData},
		{"trailing garbage", `{}x`, ErrTrailingData, ErrTrailingData},
		// Strings: escapes, control characters, UTF-8 (RFC 8259 §7, §8.1).
		{"escapes", `{"a":"\"\\\/\b\f\n\r\t\u0041\u00e9"}`, nil, nil},
		{"paired surrogate escape", `{"a":"\ud83d\ude00"}`, nil, nil},
		{"escaped backslash before u", `{"a":"\\ud800"}`, nil, nil},
		{"bad escape", `{"a":"\x"}`, ErrMalformed, ErrMalformed},
		{"short unicode escape", `{"a":"\u12"}`, ErrMalformed, ErrMalformed},
		{"raw control character", "{\"a\":\"\x01\"}", ErrControlCharacter, ErrControlCharacter},
		{"raw tab in a string", "{\"a\":\"\t\"}", ErrControlCharacter, ErrControlCharacter},
		{"control character in a name", "{\"a\x1fb\":1}", ErrControlCharacter, ErrControlCharacter},
		{"lone high surrogate", `{"a":"\ud800"}`, ErrLoneSurrogate, ErrLoneSurrogate},
		{"lone high surrogate at the end", `{"a":"\ud800`, ErrLoneSurrogate, ErrLoneSurrogate},
		{"lone low surrogate", `{"a":"\udc00"}`, ErrLoneSurrogate, ErrLoneSurrogate},
		{"reversed surrogates", `{"a":"\udc00\ud800"}`, ErrLoneSurrogate, ErrLoneSurrogate},
		{"high surrogate then a letter", `{"a":"\ud800\u0041"}`, ErrLoneSurrogate, ErrLoneSurrogate},
		{"lone surrogate in a name", `{"\udc00":1}`, ErrLoneSurrogate, ErrLoneSurrogate},
		{"UTF-8", "{\"a\":\"\u00e9\u4e2d\U0001F600\"}", nil, nil},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", ErrInvalidUTF8, ErrInvalidUTF8},
		{"overlong UTF-8", "{\"a\":\"\xc0\xaf\"}", ErrInvalidUTF8, ErrInvalidUTF8},
		{"UTF-8 encoded surrogate", "{\"a\":\"\xed\xa0\x80\"}", ErrInvalidUTF8, ErrInvalidUTF8},
		{"UTF-8 above U+10FFFF", "{\"a\":\"\xf4\x90\x80\x80\"}", ErrInvalidUTF8, ErrInvalidUTF8},
		{"truncated UTF-8", "{\"a\":\"\xe2\x82\"}", ErrInvalidUTF8, ErrInvalidUTF8},
		{"invalid UTF-8 in a name", "{\"a\xff\":1}", ErrInvalidUTF8, ErrInvalidUTF8},
		{"invalid UTF-8 outside strings", "{\"a\":1\xff}", ErrMalformed, ErrMalformed},
		// Member names (RFC 7493 §2.3, RFC 7515 §4; folding for
		// case-insensitive decoders).
		{"duplicate", `{"a":1,"a":1}`, ErrDuplicateName, ErrDuplicateName},
		{"duplicate through an escape", `{"alg":"RS256","\u0061lg":"none"}`, ErrDuplicateName, ErrDuplicateName},
		{"duplicate through an escaped slash", `{"a/b":1,"a\/b":2}`, ErrDuplicateName, ErrDuplicateName},
		{"nested duplicate", `{"a":{"b":1,"b":2}}`, ErrDuplicateName, ErrDuplicateName},
		{"duplicate in an array element", `{"a":[{"b":1,"b":2}]}`, ErrDuplicateName, ErrDuplicateName},
		{"duplicate beyond the pairwise scan", manyNames(40, `"k7":1`), ErrDuplicateName, ErrDuplicateName},
		{"same name in sibling objects", `{"a":{"x":1},"b":{"x":1},"x":[{"x":1},{"x":2}]}`, nil, nil},
		{"same name in outer and inner object", `{"x":{"x":{"x":1}}}`, nil, nil},
		{"distinct names", `{"ab":1,"a\u0062c":2}`, nil, nil},
		{"names differing in case", `{"alg":1,"ALG":2}`, nil, ErrDuplicateName},
		{"names differing in case, escaped", `{"alg":1,"\u0041lg":2}`, nil, ErrDuplicateName},
		{"Kelvin sign and k", `{"k":1,"\u212a":2}`, nil, ErrDuplicateName},
		{"long s and s", `{"s":1,"\u017f":2}`, nil, ErrDuplicateName},
		{"non-ASCII names differing in case", `{"é":1,"É":2}`, nil, ErrDuplicateName},
		{"names differing in case beyond the pairwise scan", manyNames(40, `"K7":1`), nil, ErrDuplicateName},
		{"names differing in case, nested", `{"a":{"b":1,"B":2}}`, nil, ErrDuplicateName},
		{"names differing in more than case", `{"é":1,"e":2,"ab":3,"a":4}`, nil, nil},
		// Nesting (limit 4 here).
		{"nesting at the limit", `{"a":` + deep(3) + `}`, nil, nil},
		{"arrays too deep", `{"a":` + deep(4) + `}`, ErrTooDeep, ErrTooDeep},
		{"objects too deep", strings.Repeat(`{"a":`, 5) + "1" + strings.Repeat("}", 5), ErrTooDeep, ErrTooDeep},
	}
	check := func(t *testing.T, what string, got, want error) {
		t.Helper()
		if !errors.Is(got, want) || (got == nil) != (want == nil) {
			t.Errorf("%s: err = %v; want %v", what, got, want)
		}
	}
	read := func(sc interface {
		SkipValue() error
		Done() error
	}) error {
		if err := sc.SkipValue(); err != nil {
			return err
		}
		return sc.Done()
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, m := range []struct {
				names Names
				want  error
			}{{ExactNames, tt.exact}, {FoldedNames, tt.fold}} {
				s := NewScanner(tt.in, 4, m.names)
				check(t, fmt.Sprintf("string, names %d", m.names), read(&s), m.want)
				b := NewScanner([]byte(tt.in), 4, m.names)
				check(t, fmt.Sprintf("[]byte, names %d", m.names), read(&b), m.want)
			}
			if !errors.Is(tt.exact, ErrTooDeep) {
				_, err := ParseObject(tt.in)
				check(t, "ParseObject", err, tt.exact)
			}
		})
	}
}

// TestFoldedDuplicateSaysSo: the folded rule's error says that names
// differing in letter case count, and still matches ErrDuplicateName.
func TestFoldedDuplicateSaysSo(t *testing.T) {
	s := NewScanner(`{"a":1,"A":2}`, 4, FoldedNames)
	err := s.SkipValue()
	if !errors.Is(err, ErrDuplicateName) || !strings.Contains(err.Error(), "differ only in letter case") {
		t.Fatalf("err = %v", err)
	}
}

// TestScannerReadsMembers walks an object with the iterator API: names and
// strings arrive unescaped, values can be skipped, positions delimit raw
// values.
func TestScannerReadsMembers(t *testing.T) {
	in := ` {"m\u0061x":"a\nb", "id" : [1, {"x":null}], "s":"plain", "t":true} `
	s := NewScanner([]byte(in), MaxDepth, ExactNames)
	o, err := s.TopLevelObject()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		name, plain, ok, err := s.Member(&o)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		switch string(name) {
		case "id":
			start := s.Pos()
			if err := s.SkipValue(); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("id=%s", in[start:s.Pos()]))
		case "max", "s":
			v, err := s.String()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%s(%v)=%q", name, plain, v))
		default:
			if err := s.SkipValue(); err != nil {
				t.Fatal(err)
			}
			got = append(got, string(name))
		}
	}
	if err := s.Done(); err != nil {
		t.Fatal(err)
	}
	want := `max(false)="a\nb" id=[1, {"x":null}] s(true)="plain" t`
	if strings.Join(got, " ") != want {
		t.Fatalf("got %s; want %s", strings.Join(got, " "), want)
	}
}

// TestTopLevelObject: a text that must be an object says whether it is
// another value or broken.
func TestTopLevelObject(t *testing.T) {
	for in, want := range map[string]error{
		`{}`: nil, ` {"a":1}`: nil, `[1]`: ErrNotObject, `"a"`: ErrNotObject, `1 `: ErrNotObject, `null`: ErrNotObject,
		`1x`: ErrMalformed, ``: ErrMalformed, `x`: ErrMalformed, `"\ud800"`: ErrLoneSurrogate,
	} {
		s := NewScanner(in, MaxDepth, ExactNames)
		if _, err := s.TopLevelObject(); !errors.Is(err, want) || (err == nil) != (want == nil) {
			t.Errorf("%q: err = %v; want %v", in, err, want)
		}
	}
}

// TestSkipValueNotingDuplicates: a duplicate name inside the value is
// reported, the scan goes on to the value's end, and other faults remain
// errors; the next value is checked strictly again.
func TestSkipValueNotingDuplicates(t *testing.T) {
	in := `[{"a":1,"b":{"c":1,"c":2}},{"a":1},{"a":1,"a":2}]`
	s := NewScanner(in, MaxDepth, ExactNames)
	a, err := s.Array()
	if err != nil {
		t.Fatal(err)
	}
	var dups []bool
	for {
		ok, err := s.Element(&a)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		dup, err := s.SkipValueNotingDuplicates()
		if err != nil {
			t.Fatal(err)
		}
		dups = append(dups, dup)
	}
	if fmt.Sprint(dups) != "[true false true]" {
		t.Fatalf("duplicates %v; want [true false true]", dups)
	}
	s = NewScanner(`[{"a":1,"a":2},"\ud800"]`, MaxDepth, ExactNames)
	a, _ = s.Array()
	s.Element(&a)
	if dup, err := s.SkipValueNotingDuplicates(); !dup || err != nil {
		t.Fatalf("dup %v, err %v", dup, err)
	}
	s.Element(&a)
	if _, err := s.SkipValueNotingDuplicates(); !errors.Is(err, ErrLoneSurrogate) {
		t.Fatalf("err = %v; want ErrLoneSurrogate", err)
	}
	s = NewScanner(`{"a":1,"a":2}`, MaxDepth, ExactNames)
	if _, err := s.SkipValueNotingDuplicates(); err != nil {
		t.Fatal(err)
	}
	s = NewScanner(`{"a":1,"a":2}`, MaxDepth, ExactNames)
	if err := s.SkipValue(); !errors.Is(err, ErrDuplicateName) {
		t.Fatalf("after noting: err = %v; want ErrDuplicateName", err)
	}
}

// TestIsCaseVariant is the table of the case-variant rule.
func TestIsCaseVariant(t *testing.T) {
	names := []string{"method", "id", "x5t#S256", "kty"}
	for _, tt := range []struct {
		name string
		want bool
	}{
		{"method", false}, {"Method", true}, {"METHOD", true}, {"ID", true}, {"iD", true}, {"x5t#s256", true}, {"X5T#S256", true},
		{"\u212aty", true}, {"kty", false}, {"ktyy", false}, {"params", false}, {"Params", false}, {"", false}, {"method_", false},
	} {
		if got := IsCaseVariant(tt.name, names); got != tt.want {
			t.Errorf("IsCaseVariant(%q) = %v; want %v", tt.name, got, tt.want)
		}
		if got := IsCaseVariant([]byte(tt.name), names); got != tt.want {
			t.Errorf("IsCaseVariant([]byte(%q)) = %v; want %v", tt.name, got, tt.want)
		}
	}
}

// TestEachMember: members arrive in order with their kind and text; the
// whole text is still read by the rule (a fault after the members is an
// error).
func TestEachMember(t *testing.T) {
	var got []string
	err := EachMember(` {"s":"a\u0062","n":-1.5e3,"t":true,"f":false,"z":null,"o":{"x":[1]},"a":[{}]} `, func(name string, v Value) {
		got = append(got, fmt.Sprintf("%s:%c:%s", name, v.Kind, v.Text))
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "s:\":ab n:0:-1.5e3 t:t: f:f: z:n: o:{: a:[:"; strings.Join(got, " ") != want {
		t.Fatalf("got %s; want %s", strings.Join(got, " "), want)
	}
	for in, want := range map[string]error{
		`{"a":1,"a":2}`: ErrDuplicateName, `{"a":{"b":1,"b":2}}`: ErrDuplicateName, `{"a":1} x`: ErrTrailingData,
		`[1]`: ErrNotObject, `{"a":"\ud800"}`: ErrLoneSurrogate, `{"a":01}`: ErrMalformed,
		`{"a":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}`: ErrTooDeep,
	} {
		if err := EachMember(in, func(string, Value) {}); !errors.Is(err, want) {
			t.Errorf("%s: err = %v; want %v", in, err, want)
		}
	}
}
