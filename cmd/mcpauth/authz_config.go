package main

// authz_config.go decides what "mcpauth authz" needs beyond serve's
// configuration: a public base URL, the gateways whose forwarded headers it
// reads, and which operation policies it can enforce without the request
// body.

import (
	"slices"
	"strings"
)

// authzConfig completes cfg for authz from vars (the MCPAUTH_* variables).
func authzConfig(cfg *serverConfig, vars map[string]string) error {
	if cfg.baseURL == "" {
		return configErrorf("%s is required for mcpauth authz: the public URL of the MCP server behind the gateway, without %s (for example https://mcp.example.com); the challenges name its metadata and it is the default audience", envBaseURL, mcpPath)
	}
	raw := vars[envTrustedProxies]
	if strings.TrimSpace(raw) == "" {
		raw = defaultAuthzTrustedProxies
	}
	var err error
	if cfg.trustedProxies, err = parseTrustedProxies(envTrustedProxies, raw); err != nil {
		return err
	}
	return checkGatewayPolicy(cfg)
}

// checkGatewayPolicy refuses an operation policy that authz cannot enforce.
// A policy decides on the request body (the tool, prompt or resource of
// each JSON-RPC message), and gateways send none to an auth service: a
// policy with operation rules would be silently skipped. Scope settings
// alone (Implies, the scope prefix) apply to the required scopes and are
// safe.
func checkGatewayPolicy(cfg *serverConfig) error {
	p := cfg.policy
	if p == nil || !p.NeedsBody() {
		return nil
	}
	what := "operation rules"
	if s := p.Scopes(); len(s) > 0 {
		what = "operation rules (scopes " + strings.Join(slices.Compact(s), ", ") + ")"
	}
	return configErrorf("%s has %s, which decide on the request body; gateways do not send the body to mcpauth authz, so the policy would not be enforced. Enforce it in the MCP server (middleware.WithPolicy) or with mcpauth proxy, or keep only implies and %s in the file", envPolicyFile, what, envScopePrefix)
}
