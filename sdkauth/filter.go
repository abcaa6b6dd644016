package sdkauth

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpauth/mcpauth/policy"
)

// FilterTools returns go-sdk server middleware that removes from tools/list
// results the tools the caller may not call under p: a tool stays when
// p.Required("tools/call", name) allows it and the caller's token grants
// those scopes (under p's hierarchy and prefix). It is off unless added:
//
//	server.AddReceivingMiddleware(sdkauth.FilterTools(p))
//
// It is a convenience for clients, not a control: middleware.WithPolicy
// refuses the calls themselves. The caller is read from req.Extra.TokenInfo,
// so the server must run behind [Protect] or [Bridge]; a tools/list request
// without an access token lists no tool.
func FilterTools(p *policy.Policy) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			res, err := next(ctx, method, req)
			lr, ok := res.(*mcp.ListToolsResult)
			if err != nil || method != "tools/list" || !ok || lr == nil {
				return res, err
			}
			var granted []string
			callerKnown := false
			if extra := req.GetExtra(); extra != nil {
				if at, ok := AccessTokenFrom(extra.TokenInfo); ok {
					granted, callerKnown = at.Scopes, true
				}
			}
			out := *lr
			out.Tools = make([]*mcp.Tool, 0, len(lr.Tools))
			for _, t := range lr.Tools {
				if t == nil || !callerKnown {
					continue
				}
				if scopes, allowed := p.Required(policy.MethodToolsCall, t.Name); allowed && p.Grants(granted, scopes...) {
					out.Tools = append(out.Tools, t)
				}
			}
			return &out, nil
		}
	}
}
