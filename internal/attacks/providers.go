package attacks

import (
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth"
)

// providerCases are the attacks on a verifier with several providers
// (variant Providers): a token's iss selects the provider, and must never
// let another provider's key, or no provider at all, decide.
func providerCases(tb testing.TB, f *Fixture) []Case {
	tb.Helper()
	second := map[string]any{"iss": SecondIssuer}
	return []Case{
		outcome("providers: first provider's token", Providers, f.Valid, ""),
		outcome("providers: second provider's token lacking the scope", Providers,
			f.mint(tb, f.EC, nil, map[string]any{"iss": SecondIssuer, "scope": "write"}), mcpauth.ReasonInsufficientScope),
		outcome("provider confusion: first issuer, signed with the second provider's key", Providers,
			f.mint(tb, f.EC, nil, nil), mcpauth.ReasonAlgorithm).
			because("the first provider's key is RSA: ES256 is not among its algorithms"),
		outcome("provider confusion: second issuer, signed with the first provider's key", Providers,
			f.mint(tb, f.RSA, nil, second), mcpauth.ReasonAlgorithm),
		outcome("provider confusion: second issuer, signed with the first provider's key, alg ES256 claimed", Providers,
			signCompact(tb, f.RSA, "RS256", `{"alg":"ES256","typ":"JWT"}`, f.claims(tb, second)), mcpauth.ReasonSignature).
			because("the header names the second provider's algorithm; the RSA signature does not verify with its EC key"),
		outcome("provider confusion: second issuer, signed with an attacker's P-256 key", Providers,
			f.mint(tb, f.AttackerEC, nil, second), mcpauth.ReasonSignature),
		outcome("provider confusion: first issuer, signed with an attacker's RSA key", Providers,
			f.mint(tb, f.AttackerRSA, nil, nil), mcpauth.ReasonSignature),
		outcome("providers: unknown third issuer", Providers,
			f.mint(tb, f.RSA, nil, map[string]any{"iss": "https://third.example.com"}), mcpauth.ReasonIssuer),
		outcome("providers: issuer differing in letter case", Providers,
			f.mint(tb, f.EC, nil, map[string]any{"iss": strings.ToUpper(SecondIssuer)}), mcpauth.ReasonIssuer),
		outcome("providers: issuer as an array", Providers,
			f.mint(tb, f.EC, nil, map[string]any{"iss": []string{SecondIssuer}}), mcpauth.ReasonIssuer),
		outcome("providers: no issuer", Providers,
			f.mint(tb, f.RSA, nil, map[string]any{"iss": nil}), mcpauth.ReasonIssuer),
		outcome("providers: case-variant ISS naming the second provider", Providers,
			f.mint(tb, f.RSA, nil, map[string]any{"ISS": SecondIssuer}), mcpauth.ReasonBadClaims).
			because("iss selects the first provider, whose verifier refuses the case-variant claim name"),
	}
}
