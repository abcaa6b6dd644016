package introspect

import "strings"

// validScopeToken reports whether s is an RFC 6749 §3.3 scope-token:
// 1*( %x21 / %x23-5B / %x5D-7E ).
func validScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c == '"' || c == '\\' || c > 0x7e {
			return false
		}
	}
	return true
}

// parseScope splits an RFC 6749 §3.3 scope value: scope-tokens separated by
// single U+0020 spaces. Any other whitespace, a leading, trailing or doubled
// space, or a character outside the scope-token syntax makes it invalid. An
// empty value grants no scopes.
func parseScope(s string) ([]string, bool) {
	if s == "" {
		return []string{}, true
	}
	out := strings.Split(s, " ")
	for _, t := range out {
		if !validScopeToken(t) {
			return nil, false
		}
	}
	return out, true
}
