package policy

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/mcpauth/mcpauth/internal/scopetoken"
)

// OfflineAccess is the OpenID Connect scope that asks for a refresh token.
// It is never put in a scope= challenge or in scopes_supported (MCP
// authorization 2026-07-28): a resource server has no use for it, and a
// client that added it to every step-up would keep asking for consent.
const OfflineAccess = "offline_access"

// checkScope validates an RFC 6749 section 3.3 scope token:
// 1*( %x21 / %x23-5B / %x5D-7E ).
func checkScope(s string) error { return scopetoken.Check(s) }

// hierarchy is the transitive closure of "implies".
type hierarchy struct {
	// implied maps a scope to every scope it implies, directly or not,
	// sorted; scopes that imply nothing are absent.
	implied map[string][]string
}

// newHierarchy validates implies (scopes already normalised) and computes
// its closure. A cycle, including a scope implying itself, is an error
// naming the cycle.
func newHierarchy(implies map[string][]string) (hierarchy, error) {
	h := hierarchy{implied: make(map[string][]string, len(implies))}
	const (
		unvisited = iota
		active
		done
	)
	state := make(map[string]int, len(implies))
	var path []string
	var visit func(s string) error
	visit = func(s string) error {
		switch state[s] {
		case done:
			return nil
		case active:
			i := slices.Index(path, s)
			return fmt.Errorf("implies has a cycle: %s", strings.Join(append(slices.Clone(path[i:]), s), " -> "))
		}
		state[s] = active
		path = append(path, s)
		var all []string
		for _, t := range implies[s] {
			if err := visit(t); err != nil {
				return err
			}
			all = append(all, t)
			all = append(all, h.implied[t]...)
		}
		path = path[:len(path)-1]
		state[s] = done
		if len(all) > 0 {
			sort.Strings(all)
			h.implied[s] = slices.Compact(all)
		}
		return nil
	}
	for _, s := range sortedKeys(implies) {
		if err := visit(s); err != nil {
			return hierarchy{}, err
		}
	}
	return h, nil
}

// grants reports whether granted (normalised) includes want, directly or
// through an implication.
func (h hierarchy) grants(granted []string, want string) bool {
	for _, g := range granted {
		if g == want {
			return true
		}
		if imp := h.implied[g]; imp != nil {
			if _, ok := slices.BinarySearch(imp, want); ok {
				return true
			}
		}
	}
	return false
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// union appends the members of b missing from a to a.
func union(a []string, b ...string) []string {
	for _, s := range b {
		if !slices.Contains(a, s) {
			a = append(a, s)
		}
	}
	return a
}
