package dpop

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/internal/strictjson"
)

// checkScanClaims compares scanClaims with strictjson.ParseObject, the
// reader proofs used before: the same texts are refused with the same
// error, and every registered claim reads as the map has it.
func checkScanClaims(t *testing.T, s string) {
	t.Helper()
	c, err := scanClaims(s)
	m, wantErr := strictjson.ParseObject(s)
	if !errors.Is(err, wantErr) && (err == nil || wantErr == nil || err.Error() != wantErr.Error()) {
		t.Fatalf("%q: scanClaims error %v, ParseObject error %v", s, err, wantErr)
	}
	if err != nil {
		return
	}
	for name, cv := range map[string]claimValue{"jti": c.jti, "htm": c.htm, "htu": c.htu, "iat": c.iat, "ath": c.ath, "nonce": c.nonce} {
		v, ok := m[name]
		if ok != cv.present {
			t.Fatalf("%q: %s present %v, map %v", s, name, cv.present, ok)
		}
		switch v := v.(type) {
		case string:
			if cv.kind != '"' || cv.text != v {
				t.Fatalf("%q: %s = %q (kind %q), map %q", s, name, cv.text, cv.kind, v)
			}
		case json.Number:
			if cv.kind != '0' || cv.text != string(v) {
				t.Fatalf("%q: %s = %q (kind %q), map number %q", s, name, cv.text, cv.kind, v)
			}
		default:
			if ok && cv.kind != 0 {
				t.Fatalf("%q: %s kind %q, map %T", s, name, cv.kind, v)
			}
		}
	}
	variant := false
	for name := range m {
		if isCaseVariantClaim(name) {
			variant = true
		}
	}
	if variant != c.caseVariant {
		t.Fatalf("%q: case variant %v, want %v", s, c.caseVariant, variant)
	}
}

func isCaseVariantClaim(name string) bool {
	for _, r := range registeredClaimNames {
		if name != r && strings.EqualFold(name, r) {
			return true
		}
	}
	return false
}

var claimSeeds = []string{
	`{"jti":"a","htm":"POST","htu":"https://x/","iat":1800000000,"ath":"abc"}`,
	`{"jti":"a","jti":"b"}`,
	`{"x":{"a":1,"a":2}}`,
	`{"x":[{"a":1},{"b":{"c":{"c":1,"c":2}}}]}`,
	`{"JTI":"a"}`,
	`{"Nonce":"n","nonce":"n"}`,
	`{"iat":"1800000000"}`,
	`{"iat":1.5e9,"htm":null,"htu":true,"ath":["x"],"nonce":{}}`,
	`{"jti":"\u00e9\ud83d\ude00","htu":"a\"b"}`,
	`{"jti":"\ud800"}`,
	`{"jti":"a"} x`,
	`{"jti":"a",}`,
	`[1]`,
	`"x"`,
	`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"a":18}`,
	`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"r":18,"r":19}`,
	`{"x":` + strings.Repeat("[", 20) + strings.Repeat("]", 20) + `}`,
	"{\"jti\":\"a\xff\"}",
	`{"jti":"a` + "\x01" + `"}`,
	` { "jti" : "a" , "iat" : -0 } `,
	`{"iat":01}`,
	`{"ſjti":1,"jtı":2,"htM":3}`,
}

func TestScanClaims(t *testing.T) {
	for _, s := range claimSeeds {
		checkScanClaims(t, s)
	}
}

func FuzzScanClaims(f *testing.F) {
	for _, s := range claimSeeds {
		f.Add(s)
	}
	f.Fuzz(checkScanClaims)
}
