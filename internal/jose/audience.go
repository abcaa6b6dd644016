package jose

import "errors"

// Audience reads the aud member of JWT claims (RFC 7519 §4.1.3) or of an
// introspection answer (RFC 7662 §2.2): a string or a non-empty array of
// strings. Its errors are fixed texts that never quote the input, meant as
// the detail of an audience refusal.
func Audience(v any) ([]string, error) {
	switch a := v.(type) {
	case nil:
		return nil, errors.New("the aud claim is missing")
	case string:
		return []string{a}, nil
	case []any:
		if len(a) == 0 {
			return nil, errors.New("the aud claim is an empty array")
		}
		out := make([]string, len(a))
		for i, m := range a {
			s, ok := m.(string)
			if !ok {
				return nil, errors.New("the aud claim has a member that is not a string")
			}
			out[i] = s
		}
		return out, nil
	default:
		return nil, errors.New("the aud claim is not a string or an array of strings")
	}
}
