package strictjson

import "testing"

func TestFoldKey(t *testing.T) {
	for _, pair := range [][2]string{{"k", "\u212a"}, {"s", "\u017f"}, {"ABC", "abc"}, {"é", "É"}} {
		if !foldEqual([]byte(pair[0]), false, []byte(pair[1]), false) {
			t.Errorf("%q and %q should fold equal", pair[0], pair[1])
		}
	}
	for _, pair := range [][2]string{{"a", "b"}, {"ab", "a"}, {"é", "e"}} {
		if foldEqual([]byte(pair[0]), false, []byte(pair[1]), false) {
			t.Errorf("%q and %q should differ", pair[0], pair[1])
		}
	}
}
