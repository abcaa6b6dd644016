package jose

import (
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/internal/strictjson"
)

// TestHeaderCaseVariantFold checks the fast path of the case-variant test
// against strings.EqualFold for every registered name.
func TestHeaderCaseVariantFold(t *testing.T) {
	for _, n := range RegisteredHeaderNames {
		if strictjson.IsCaseVariant(n, RegisteredHeaderNames) {
			t.Errorf("%s is registered but reported as a variant", n)
		}
		if up := strings.ToUpper(n); up != n && !strictjson.IsCaseVariant(up, RegisteredHeaderNames) {
			t.Errorf("%s not reported as a variant", up)
		}
	}
	for _, name := range []string{"kid_", "alg2", "a_lg", "x5ts256", "typ0"} {
		if strictjson.IsCaseVariant(name, RegisteredHeaderNames) {
			t.Errorf("%s reported as a variant", name)
		}
	}
	if !strictjson.IsCaseVariant("\u212aid", RegisteredHeaderNames) || !strictjson.IsCaseVariant("\u017fcope", []string{"scope"}) {
		t.Error("Unicode folding not applied")
	}
}
