package strictjson

import (
	"errors"
	"testing"
)

// FuzzScanner checks the Scanner's modes against each other: a string and
// a byte slice of the same text get the same answer, FoldedNames accepts
// nothing ExactNames refuses and refuses more only for a duplicate name,
// and a whole-text scan agrees with ParseObject on objects.
func FuzzScanner(f *testing.F) {
	for _, s := range strictJSONSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"a":1,"A":2}`))
	f.Add([]byte(`{"k":{"\u212a":1,"K":2}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		scan := func(names Names, asString bool) error {
			var err error
			if asString {
				s := NewScanner(string(raw), MaxDepth, names)
				if err = s.SkipValue(); err == nil {
					err = s.Done()
				}
			} else {
				s := NewScanner(raw, MaxDepth, names)
				if err = s.SkipValue(); err == nil {
					err = s.Done()
				}
			}
			return err
		}
		exact, fold := scan(ExactNames, false), scan(FoldedNames, false)
		if s := scan(ExactNames, true); s != exact {
			t.Fatalf("%q: exact: []byte %v, string %v", raw, exact, s)
		}
		if s := scan(FoldedNames, true); s != fold {
			t.Fatalf("%q: folded: []byte %v, string %v", raw, fold, s)
		}
		switch {
		case fold == nil && exact != nil:
			t.Fatalf("%q: folded names accept what exact names refuse (%v)", raw, exact)
		case exact == nil && fold != nil && !errors.Is(fold, ErrDuplicateName):
			t.Fatalf("%q: folded names refuse with %v, exact names accept", raw, fold)
		}
		if len(raw) > 0 && raw[0] == '{' {
			if _, err := ParseObject(string(raw)); err != exact {
				t.Fatalf("%q: ParseObject %v, scan %v", raw, err, exact)
			}
		}
	})
}
