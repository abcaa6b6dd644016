package attacks

import (
	"net/http"
	"testing"

	"github.com/mcpauth/mcpauth"
)

func TestIntrospectionCasesAreWellFormed(t *testing.T) {
	_, cases := IntrospectionCases(t)
	seen, tokens := map[string]bool{}, map[string]bool{}
	reasons := map[mcpauth.Reason]bool{}
	for _, c := range cases {
		if c.Name == "" || seen[c.Name] || tokens[c.Token] || c.Variant != Introspection {
			t.Errorf("%q: empty or duplicate name or token, or variant %q", c.Name, c.Variant)
		}
		seen[c.Name], tokens[c.Token], reasons[c.WantReason] = true, true, true
		if (c.WantReason == mcpauth.ReasonUnavailable) != (c.WantStatus == http.StatusServiceUnavailable && c.WantExit == ExitUnavailable) {
			t.Errorf("%s: an unavailable endpoint must answer 503 and exit %d", c.Name, ExitUnavailable)
		}
	}
	for _, name := range []string{"introspection: active token", "introspection: active as a string", "introspection: exp as a string",
		"introspection: missing aud", "introspection: oversized body", "introspection: redirect", "introspection: slow endpoint"} {
		if !seen[name] {
			t.Errorf("no case %q", name)
		}
	}
	for _, r := range []mcpauth.Reason{"", mcpauth.ReasonInactive, mcpauth.ReasonBadClaims, mcpauth.ReasonExpired,
		mcpauth.ReasonAudience, mcpauth.ReasonIssuer, mcpauth.ReasonInsufficientScope, mcpauth.ReasonUnavailable} {
		if !reasons[r] {
			t.Errorf("no case with reason %q", r)
		}
	}
}
