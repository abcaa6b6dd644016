package introspect

import "github.com/mcpauth/mcpauth/internal/scopetoken"

// parseScope splits an RFC 6749 §3.3 scope value with the module's one scope
// rule: only U+0020 separates scope tokens, and a value holding any other
// character outside the scope-token syntax (tab, no-break space, ...) is
// refused whole, never split. An empty value grants no scopes.
func parseScope(s string) ([]string, bool) {
	out, ok := scopetoken.Split(s)
	if ok && out == nil {
		out = []string{}
	}
	return out, ok
}
