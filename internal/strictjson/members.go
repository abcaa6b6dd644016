package strictjson

// Value is a member's value as [EachMember] reports it: its kind (the
// value's first byte: '"' string, '0' number, 't' true, 'f' false, 'n'
// null, '{' object, '[' array) and, for a string, its unescaped text or, for
// a number, its text. Objects and arrays are validated and skipped.
type Value struct {
	Kind byte
	Text string
}

// EachMember reads s, which must be one JSON object, with the rule of
// [ParseObject] (ExactNames, nesting at most [MaxDepth], no trailing data)
// without building a map, and calls member for each of its members in
// order. Strings without escapes share s's memory. It is the reader of
// flat JOSE objects (a header, a DPoP proof's claims) whose checks look at
// a few members by name.
func EachMember(s string, member func(name string, v Value)) error {
	sc := NewScanner(s, MaxDepth, ExactNames)
	o, err := sc.TopLevelObject()
	if err != nil {
		return err
	}
	for {
		name, _, ok, err := sc.Member(&o)
		if err != nil {
			return err
		}
		if !ok {
			return sc.Done()
		}
		v := Value{Kind: sc.Peek()}
		switch {
		case v.Kind == '"':
			v.Text, err = sc.String()
		case v.Kind == '-' || isDigit(v.Kind):
			v.Kind = '0'
			v.Text, err = sc.Number()
		default:
			err = sc.SkipValue()
		}
		if err != nil {
			return err
		}
		member(name, v)
	}
}
