package main

// authz_config.go decides what "mcpauth authz" needs beyond serve's
// configuration: a public base URL, the gateways whose forwarded headers it
// reads, and which operation policies it can enforce without the request
// body.

import (
	"slices"
	"strconv"
	"strings"

	"github.com/mcpauth/mcpauth/policy"
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
	return checkGatewayPolicy(cfg, vars)
}

// envUpstreamValidatesHeaders declares that the MCP server behind the
// gateway refuses requests whose Mcp-Method or Mcp-Name disagrees with the
// body; authz then enforces operation rules from those headers.
const envUpstreamValidatesHeaders = "MCPAUTH_UPSTREAM_VALIDATES_MCP_HEADERS"

// checkGatewayPolicy decides which operation policies authz enforces. A
// policy decides on the request body (the tool, prompt or resource of each
// JSON-RPC message), and gateways send none to an auth service:
//   - scope settings alone (implies, the scope prefix) only change how the
//     required scopes are checked: always safe;
//   - operation rules (tools, resources, prompts, methods, deny unlisted)
//     can be decided only from the Mcp-Method and Mcp-Name headers
//     (policy.CheckHeaders), which is safe only when the server behind
//     refuses a request whose headers disagree with its body. Without the
//     operator's word for it (MCPAUTH_UPSTREAM_VALIDATES_MCP_HEADERS=true)
//     such a policy is refused at start-up, never silently weakened.
func checkGatewayPolicy(cfg *serverConfig, vars map[string]string) error {
	validates := false
	if raw := strings.TrimSpace(vars[envUpstreamValidatesHeaders]); raw != "" {
		var err error
		if validates, err = strconv.ParseBool(raw); err != nil {
			return configErrorf("%s %q is not true or false", envUpstreamValidatesHeaders, raw)
		}
	}
	p := cfg.policy
	rules := p != nil && p.NeedsBody()
	switch {
	case rules && !validates:
		what := "operation rules"
		if s := p.Scopes(); len(s) > 0 {
			what = "operation rules (scopes " + strings.Join(slices.Compact(s), ", ") + ")"
		}
		return configErrorf("%s has %s, which decide on the request body; gateways do not send the body to mcpauth authz. "+
			"Set %s=true only if the MCP server refuses requests whose Mcp-Method or Mcp-Name header disagrees with the body (MCP %s servers must): authz then decides from those headers. "+
			"Otherwise enforce the policy in the MCP server (middleware.WithPolicy) or with mcpauth proxy, or keep only implies and %s in the file",
			envPolicyFile, what, envUpstreamValidatesHeaders, policy.HeaderValidationVersion, envScopePrefix)
	case validates && !rules:
		return configErrorf("%s=true has no effect without operation rules in %s; unset it", envUpstreamValidatesHeaders, envPolicyFile)
	}
	cfg.policyFromHeaders = validates
	return nil
}
