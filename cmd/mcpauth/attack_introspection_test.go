package main

import (
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/attacks"
)

// TestAttackIntrospectionAnswersCLI gives the token of every hostile
// introspection answer of the shared table to "mcpauth verify" configured
// with MCPAUTH_INTROSPECTION_* and asserts the exit code and a stderr line
// naming the reason but not the token.
func TestAttackIntrospectionAnswersCLI(t *testing.T) {
	f, cases := attacks.IntrospectionCases(t)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, c.Token, f.Env(), "verify")
			if code != c.WantExit {
				t.Fatalf("exit %d; want %d (stderr %q)", code, c.WantExit, stderr)
			}
			if strings.Contains(stderr, c.Token) || (code != exitOK && stdout != "") {
				t.Fatalf("stdout %q stderr %q", stdout, stderr)
			}
			switch {
			case code == exitOK:
				if !strings.Contains(stdout, `"issuer": "`+attacks.Issuer+`"`) {
					t.Fatalf("stdout %q", stdout)
				}
			case c.WantReason == mcpauth.ReasonInsufficientScope:
				if !strings.Contains(stderr, "insufficient scope: missing "+attacks.RequiredScope) {
					t.Fatalf("stderr %q", stderr)
				}
			case c.WantReason == mcpauth.ReasonUnavailable:
				if !strings.Contains(stderr, "key source unavailable: introspection") {
					t.Fatalf("stderr %q", stderr)
				}
			default:
				if !strings.Contains(stderr, "invalid token: "+string(c.WantReason)+":") {
					t.Fatalf("stderr %q; want the reason %s", stderr, c.WantReason)
				}
			}
		})
	}
}
