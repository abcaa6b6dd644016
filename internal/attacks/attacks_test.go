package attacks

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/dpop"
)

// TestCasesAreWellFormed checks the table itself: unique names, a token
// for every case except "empty", outcomes consistent with the reasons,
// and every variant and outcome class represented.
func TestCasesAreWellFormed(t *testing.T) {
	f, cases := Cases(t)
	seen := map[string]bool{}
	reasons := map[mcpauth.Reason]bool{}
	variants := map[Variant]bool{}
	for _, c := range cases {
		if c.Name == "" || seen[c.Name] {
			t.Errorf("empty or duplicate name %q", c.Name)
		}
		seen[c.Name] = true
		reasons[c.WantReason] = true
		variants[c.Variant] = true
		if c.Token == "" && c.Name != "empty" {
			t.Errorf("%s: empty token", c.Name)
		}
		switch {
		case c.WantReason == "" && (c.WantStatus != http.StatusOK || c.WantError != "" || c.WantExit != ExitOK):
			t.Errorf("%s: accepted token with a failure outcome", c.Name)
		case c.WantReason != "" && (c.WantStatus == http.StatusOK || c.WantError == "" || c.WantExit == ExitOK):
			t.Errorf("%s: rejected token with a success outcome", c.Name)
		case c.WantStatus == http.StatusBadRequest && c.SendableInHeader() && !strings.ContainsAny(c.Token, " =é") && c.Token != "":
			t.Errorf("%s: 400 for a token in b64token syntax", c.Name)
		}
	}
	for _, r := range []mcpauth.Reason{"", mcpauth.ReasonMalformed, mcpauth.ReasonTooLarge, mcpauth.ReasonBadHeader,
		mcpauth.ReasonAlgorithm, mcpauth.ReasonUnknownKey, mcpauth.ReasonSignature, mcpauth.ReasonBadClaims,
		mcpauth.ReasonExpired, mcpauth.ReasonNotYetValid, mcpauth.ReasonIssuedInFuture, mcpauth.ReasonIssuer,
		mcpauth.ReasonAudience, mcpauth.ReasonInsufficientScope} {
		if !reasons[r] {
			t.Errorf("no case with reason %q", r)
		}
	}
	if !variants[PEM] || !variants[JWKS] {
		t.Errorf("variants %v; want both", variants)
	}
	if len(cases) < 150 {
		t.Errorf("only %d cases", len(cases))
	}
	names := map[string]bool{}
	for _, c := range HTTPCases(f) {
		if names[c.Name] {
			t.Errorf("duplicate HTTP case %q", c.Name)
		}
		names[c.Name] = true
	}
	for _, c := range ConfigCases(t, f) {
		if names[c.Name] {
			t.Errorf("duplicate case %q", c.Name)
		}
		names[c.Name] = true
	}
}

var (
	testFuncDecl = regexp.MustCompile(`(?m)^func ((?:Test|Fuzz)[A-Z0-9_]\w*)\(`)
	testFuncRef  = regexp.MustCompile(`\b((?:Test|Fuzz)[A-Z0-9_]\w*)`)
	subtestRef   = regexp.MustCompile("`((?:Test|Fuzz)\\w+)/([^`]+)`")
)

// TestSecurityChecklistNamesExistingTests keeps SECURITY.md honest: every
// test or fuzz function it names must exist in the repository, and every
// subtest of the shared attack tables it names must be a case of the
// table.
func TestSecurityChecklistNamesExistingTests(t *testing.T) {
	root := filepath.Join("..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "SECURITY.md"))
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range testFuncDecl.FindAllStringSubmatch(string(src), -1) {
			defined[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	text := strings.ReplaceAll(string(doc), `\|`, "|") // escaped pipes in table cells
	named := 0
	for _, m := range testFuncRef.FindAllStringSubmatch(text, -1) {
		named++
		if !defined[m[1]] {
			t.Errorf("SECURITY.md names %s, which is not a test or fuzz function in the repository", m[1])
		}
	}
	if named < 50 {
		t.Errorf("SECURITY.md names only %d tests", named)
	}

	f, cases := Cases(t)
	subtests := map[string]map[string]bool{}
	addAll := func(names []string, tests ...string) {
		for _, test := range tests {
			if subtests[test] == nil {
				subtests[test] = map[string]bool{}
			}
			for _, n := range names {
				subtests[test][strings.ReplaceAll(n, " ", "_")] = true
			}
		}
	}
	var tokenNames, requestNames, configNames []string
	for _, c := range cases {
		tokenNames = append(tokenNames, c.Name)
	}
	for _, c := range HTTPCases(f) {
		requestNames = append(requestNames, c.Name)
	}
	for _, c := range ConfigCases(t, f) {
		configNames = append(configNames, c.Name)
	}
	addAll(tokenNames, "TestAttackTokens", "TestAttackTokensHTTP", "TestAttackTokensCLI")
	addAll(requestNames, "TestAttackRequestsHTTP")
	addAll(configNames, "TestAttackConfigs", "TestAttackConfigsCLI")
	var dpopNames []string
	for _, c := range DPoPCases(t, f) {
		dpopNames = append(dpopNames, c.Name)
	}
	addAll(dpopNames, "TestAttackDPoPHTTP", "TestAttackDPoPServe")
	for _, m := range subtestRef.FindAllStringSubmatch(text, -1) {
		if known, ok := subtests[m[1]]; ok && !known[m[2]] {
			t.Errorf("SECURITY.md names %s/%s, which is not a case of the shared attack table", m[1], m[2])
		}
	}
}

// TestDPoPCasesAreWellFormed checks the DPoP section of the table: unique
// names, every refusal naming its rule, every proof check of package dpop
// and every mode represented, and outcomes consistent with the statuses.
func TestDPoPCasesAreWellFormed(t *testing.T) {
	f, _ := Cases(t)
	cases := DPoPCases(t, f)
	seen := map[string]bool{}
	reasons := map[mcpauth.Reason]bool{}
	servers := map[DPoPServer]bool{}
	for _, c := range cases {
		if !strings.HasPrefix(c.Name, "dpop: ") || seen[c.Name] {
			t.Errorf("%q: duplicate name or no dpop: prefix", c.Name)
		}
		seen[c.Name], reasons[c.WantReason], servers[c.Server] = true, true, true
		switch {
		case c.WantStatus == http.StatusOK && (c.WantReason != "" || c.WantLog != "" || (c.WantBound && c.Thumbprint == "")):
			t.Errorf("%s: accepted with a refusal's expectations", c.Name)
		case c.WantStatus != http.StatusOK && (c.WantReason == "" || c.WantLog == "" || len(c.WantLog) > 200 || c.WantBound):
			t.Errorf("%s: refused without the reason and log naming its rule", c.Name)
		case c.Server.Mode == dpop.Require && c.WantStatus != http.StatusOK && c.WantBearer != NoChallenge:
			t.Errorf("%s: a Bearer challenge where DPoP is required", c.Name)
		}
		if len(c.Secrets) == 0 && c.Authorization != "" {
			t.Errorf("%s: no secrets to check for leaks", c.Name)
		}
	}
	for _, r := range []mcpauth.Reason{"", dpop.ReasonMissing, dpop.ReasonMalformed, dpop.ReasonHeader, dpop.ReasonAlgorithm,
		dpop.ReasonKey, dpop.ReasonSignature, dpop.ReasonClaims, dpop.ReasonMethod, dpop.ReasonURI, dpop.ReasonIssuedAt,
		dpop.ReasonReplay, dpop.ReasonTokenHash, dpop.ReasonBinding, dpop.ReasonNonce, dpop.ReasonUnbound, dpop.ReasonDowngrade,
		mcpauth.ReasonUnavailable} {
		if !reasons[r] {
			t.Errorf("no DPoP case with reason %q", r)
		}
	}
	for _, s := range []DPoPServer{{}, {Mode: dpop.Require}, {Mode: dpop.Off}, {Nonce: true}, {StoreDown: true}} {
		if !servers[s] {
			t.Errorf("no DPoP case for server %s", s)
		}
	}
	if len(cases) < 100 {
		t.Errorf("only %d DPoP cases", len(cases))
	}
}
