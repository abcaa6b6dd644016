package strictjson

import "encoding/json"

// MaxDepth bounds nesting in JOSE headers, claims, JWK Sets and
// introspection answers: they are flat, so a deeper value is refused with
// [ErrTooDeep]. The top-level object is at depth 1.
const MaxDepth = 16

// ParseObject decodes a JSON object the way RFC 8725 asks for: UTF-8 only,
// no duplicate member names at any depth ([ExactNames]), no unpaired
// surrogate escapes (which encoding/json would silently replace), no
// trailing data, nesting at most [MaxDepth]. Numbers are kept as
// json.Number. Member names and string values without escapes share s's
// memory. An input with several faults gets the error of the first one in
// document order. The returned errors never quote the input.
func ParseObject(s string) (map[string]any, error) {
	sc := NewScanner(s, MaxDepth, ExactNames)
	o, err := sc.TopLevelObject()
	if err != nil {
		return nil, err
	}
	obj, err := sc.object(&o, 8) // one group: a typical access token
	if err != nil {
		return nil, err
	}
	if err := sc.Done(); err != nil {
		return nil, err
	}
	return obj, nil
}

// object reads the members of o into a map.
func (s *Scanner[T]) object(o *Object, size int) (map[string]any, error) {
	obj := make(map[string]any, size)
	for {
		name, _, ok, err := s.Member(o)
		if err != nil {
			return nil, err
		}
		if !ok {
			return obj, nil
		}
		v, err := s.value()
		if err != nil {
			return nil, err
		}
		obj[string(name)] = v
	}
}

// value reads one value: a string, a json.Number, a bool, nil, []any or
// map[string]any.
func (s *Scanner[T]) value() (any, error) {
	s.SkipSpace()
	switch c := s.Peek(); c {
	case '"':
		str, err := s.String()
		return string(str), err
	case '{':
		o, err := s.Object()
		if err != nil {
			return nil, err
		}
		return s.object(&o, 0)
	case '[':
		a, err := s.Array()
		if err != nil {
			return nil, err
		}
		arr := []any{}
		for {
			ok, err := s.Element(&a)
			if err != nil {
				return nil, err
			}
			if !ok {
				return arr, nil
			}
			v, err := s.value()
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
	case 't', 'f', 'n':
		if err := s.SkipValue(); err != nil {
			return nil, err
		}
		switch c {
		case 't':
			return true, nil
		case 'f':
			return false, nil
		}
		return nil, nil
	default:
		n, err := s.Number()
		if err != nil {
			return nil, err
		}
		return json.Number(n), nil
	}
}
