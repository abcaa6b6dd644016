package jose

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestStringMembers(t *testing.T) {
	names := []string{"sub", "client_id", "azp"}
	out := make([]string, 3)
	if bad := StringMembers(map[string]any{"sub": "u", "azp": "a", "other": 1}, names, out); bad != "" || !slices.Equal(out, []string{"u", "", "a"}) {
		t.Fatalf("bad %q, out %q", bad, out)
	}
	for _, v := range []any{json.Number("1"), nil, true, []any{"x"}, map[string]any{}} {
		if bad := StringMembers(map[string]any{"sub": "u", "client_id": v}, names, make([]string, 3)); bad != "client_id" {
			t.Errorf("client_id %v: bad %q; want client_id", v, bad)
		}
	}
}
