package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/attacks"
)

// TestAttackTokensCLI gives every token of the shared attack table
// (internal/attacks) to "mcpauth verify" in process and asserts the exit
// code and a single stderr line that names the reason but not the token.
func TestAttackTokensCLI(t *testing.T) {
	f, cases := attacks.Cases(t)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, c.Token, f.Env(c.Variant), "verify", "-timeout", "10s")
			if code != c.WantExit {
				t.Fatalf("exit %d; want %d (stderr %q)", code, c.WantExit, stderr)
			}
			if len(c.Token) >= 16 {
				for _, s := range append([]string{c.Token}, strings.Split(c.Token, ".")...) {
					if len(s) >= 16 && (strings.Contains(stderr, s) || strings.Contains(stdout, s)) {
						t.Fatalf("the token was echoed: stdout %q stderr %q", stdout, stderr)
					}
				}
			}
			if code == exitOK {
				var at map[string]any
				if err := json.Unmarshal([]byte(stdout), &at); err != nil {
					t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
				}
				if at["issuer"] != attacks.Issuer || stderr != "" {
					t.Fatalf("access token %v, stderr %q", at, stderr)
				}
				return
			}
			if stdout != "" {
				t.Fatalf("stdout on failure: %q", stdout)
			}
			if !strings.HasPrefix(stderr, "mcpauth: ") || strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
				t.Fatalf("stderr is not one line: %q", stderr)
			}
			var want string
			switch {
			case code == exitUsage:
				want = "no token on stdin"
			case c.WantReason == mcpauth.ReasonInsufficientScope:
				want = "insufficient scope: missing " + attacks.RequiredScope
			default:
				want = "invalid token: " + string(c.WantReason) + ":"
			}
			if !strings.Contains(stderr, want) {
				t.Fatalf("stderr %q; want it to contain %q", stderr, want)
			}
		})
	}
}

// TestAttackConfigsCLI runs "mcpauth verify" with each configuration of the
// shared table that must be refused at start-up and asserts exit code 2
// with one stderr line naming the problem.
func TestAttackConfigsCLI(t *testing.T) {
	f, _ := attacks.Cases(t)
	for _, c := range attacks.ConfigCases(t, f) {
		t.Run(c.Name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, f.Valid, c.Env, "verify")
			if code != exitUsage {
				t.Fatalf("exit %d; want %d (stderr %q)", code, exitUsage, stderr)
			}
			if stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.WantError) {
				t.Fatalf("stdout %q stderr %q; want one line mentioning %q", stdout, stderr, c.WantError)
			}
			if strings.Contains(stderr, f.Valid) || (c.Secret != "" && strings.Contains(stderr, c.Secret)) {
				t.Fatal("stderr echoes the token or key material")
			}
		})
	}
}
