package verify

import (
	"encoding/json"
	"errors"
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
		{"duplicate", `{"a":1,"a":1}`, errDuplicateName},
		{"nested duplicate", `{"a":{"b":1,"b":2}}`, errDuplicateName},
		{"duplicate in array member", `{"a":[{"b":1,"b":2}]}`, errDuplicateName},
		{"invalid utf8", "{\"a\":\"\xff\"}", errInvalidUTF8},
		{"lone high", `{"a":"\ud800"}`, errLoneSurrogate},
		{"lone high at end", `{"a":"\ud800`, errLoneSurrogate},
		{"lone low", `{"a":"\udfff"}`, errLoneSurrogate},
		{"high then non-low", `{"a":"\ud800\u0041"}`, errLoneSurrogate},
		{"bad escape", `{"a":"\u12"}`, errMalformedJSON},
		{"array", `[1]`, errNotObject},
		{"string", `"a"`, errNotObject},
		{"trailing", `{} {}`, errTrailingData},
		{"trailing garbage", `{}x`, errTrailingData},
		{"unterminated", `{"a":1`, errMalformedJSON},
		{"objects too deep", strings.Repeat(`{"a":`, 20) + "1" + strings.Repeat("}", 20), errTooDeep},
		{"too deep", `{"a":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}`, errTooDeep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := parseStrictObject([]byte(tt.in))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v; want %v", err, tt.want)
			}
			if tt.want == nil && m == nil {
				t.Fatal("nil map")
			}
		})
	}
	m, err := parseStrictObject([]byte(`{"n":12345678901234567890}`))
	if err != nil {
		t.Fatal(err)
	}
	if m["n"] != json.Number("12345678901234567890") {
		t.Fatalf("number lost precision: %#v", m["n"])
	}
}
