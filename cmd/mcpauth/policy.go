package main

// policy.go decides the operation policy of serve and proxy: which scopes
// each tool, resource, prompt and method needs (MCPAUTH_POLICY_FILE), the
// scope prefix, and what the metadata advertises as scopes_supported.

import (
	"slices"
	"strconv"
	"strings"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/policy"
)

// Variables of the operation policy.
const (
	envPolicyFile         = "MCPAUTH_POLICY_FILE"
	envPolicyDenyUnlisted = "MCPAUTH_POLICY_DENY_UNLISTED"
	envScopePrefix        = "MCPAUTH_SCOPE_PREFIX"
)

// policyVars are the variables policyFromEnv reads.
var policyVars = []string{envPolicyFile, envPolicyDenyUnlisted, envScopePrefix}

// policyFromEnv builds the operation policy from the variables (get returns
// a trimmed value), or nil when none is set. Errors name the variable, and
// for the file its path and the problem.
func policyFromEnv(get func(string) string) (*policy.Policy, error) {
	file, deny, prefix := get(envPolicyFile), get(envPolicyDenyUnlisted), get(envScopePrefix)
	if file == "" && deny == "" && prefix == "" {
		return nil, nil
	}
	var opts []policy.Option
	if deny != "" {
		on, err := strconv.ParseBool(deny)
		if err != nil {
			return nil, configErrorf("%s %q is not true or false", envPolicyDenyUnlisted, deny)
		}
		if on && file == "" {
			return nil, configErrorf("%s needs %s: without a policy every operation would be refused", envPolicyDenyUnlisted, envPolicyFile)
		}
		if on {
			opts = append(opts, policy.WithDenyUnlisted())
		}
	}
	if prefix != "" {
		opts = append(opts, policy.WithScopePrefix(prefix))
	}
	var (
		p   *policy.Policy
		err error
	)
	if file != "" {
		p, err = policy.LoadFile(file, opts...)
	} else {
		p, err = policy.New(policy.Config{}, opts...)
	}
	if err != nil {
		name := envPolicyFile
		if file == "" {
			name = envScopePrefix
		}
		return nil, configErrorf("%s: %s", name, strings.TrimPrefix(err.Error(), mcpauth.ErrInvalidConfig.Error()+": "))
	}
	return p, nil
}

// policyHelp documents the policy variables in envHelp's table.
func policyHelp(row func(name, desc string)) {
	row(envPolicyFile, `JSON file of per-operation scopes: {"tools": {name: [scopes]}, "resources":`)
	row("", `{uri or prefix*: [scopes]}, "prompts", "methods", "implies": {scope: [implied]}};`)
	row("", `"*" for names not listed; a token lacking an operation's scopes gets 403`)
	row(envPolicyDenyUnlisted, "true to refuse tools, resources and prompts the policy file does not name")
	row(envScopePrefix, "prefix of the requested scope form that tokens lack (Entra ID: api://<app-id>/)")
}

// requiredScopesWithPolicy splits the required scopes between the verifier
// and the middleware: with a policy the middleware checks them, under the
// policy's hierarchy and prefix; without one the verifier does, as before.
func requiredScopesWithPolicy(p *policy.Policy, required []string) (verifier, mw []string) {
	if p == nil {
		return required, nil
	}
	return nil, required
}

// policyOptions returns the middleware options of the policy; fromHeaders
// decides operations from the Mcp-Method and Mcp-Name headers (authz).
func policyOptions(p *policy.Policy, required []string, fromHeaders bool) []middleware.Option {
	if p == nil {
		return nil
	}
	withPolicy := middleware.WithPolicy
	if fromHeaders {
		withPolicy = middleware.WithPolicyFromHeaders
	}
	return []middleware.Option{withPolicy(p), middleware.WithRequiredScopes(required...)}
}

// supportedScopes is scopes_supported: the required scopes (the minimal
// ones for basic use) and then every scope an operation needs, as clients
// request them, never offline_access.
func supportedScopes(p *policy.Policy, required []string) []string {
	scopes := slices.Clone(required)
	if p != nil {
		scopes = append(scopes, p.Scopes()...)
	}
	return p.Advertised(scopes)
}
