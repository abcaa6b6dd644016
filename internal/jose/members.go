package jose

// StringMembers reads the optional string members names of m (JWT claims
// or an introspection answer) into out, which must be as long as names;
// an absent member leaves "". It returns the name of the first member that
// is present but not a string, or "" when there is none.
func StringMembers(m map[string]any, names []string, out []string) (notString string) {
	for i, name := range names {
		raw, ok := m[name]
		if !ok {
			continue
		}
		s, isString := raw.(string)
		if !isString {
			return name
		}
		out[i] = s
	}
	return ""
}
