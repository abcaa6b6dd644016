package policy_test

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/policy"
)

// A policy in Go: deleting needs notes:write, every other tool notes:read,
// and notes:write implies notes:read.
func ExampleNew() {
	p, err := policy.New(policy.Config{
		Tools:   map[string][]string{"delete_notes": {"notes:write"}, policy.Any: {"notes:read"}},
		Implies: map[string][]string{"notes:write": {"notes:read"}},
	})
	if err != nil {
		panic(err)
	}
	scopes, _ := p.Required("tools/call", "delete_notes")
	fmt.Println(scopes)
	fmt.Println(p.Grants([]string{"notes:write"}, "notes:read"))
	// Output:
	// [notes:write]
	// true
}

// New refuses a hierarchy with a cycle, naming it.
func ExampleNew_cycle() {
	_, err := policy.New(policy.Config{Implies: map[string][]string{
		"admin": {"write"}, "write": {"admin"},
	}})
	fmt.Println(errors.Is(err, mcpauth.ErrInvalidConfig))
	fmt.Println(err)
	// Output:
	// true
	// invalid configuration: policy: implies has a cycle: admin -> write -> admin
}

// ParseConfig reads the policy file format.
func ExampleParseConfig() {
	c, err := policy.ParseConfig([]byte(`{
	  "tools":     {"delete_notes": ["notes:write"], "*": ["notes:read"]},
	  "resources": {"notes://private/*": ["notes:admin"]}
	}`))
	if err != nil {
		panic(err)
	}
	p, err := policy.New(c)
	if err != nil {
		panic(err)
	}
	scopes, _ := p.Required("resources/read", "notes://private/2026/plans")
	fmt.Println(scopes)
	_, err = policy.ParseConfig([]byte(`{"tool": {}}`))
	fmt.Println(err)
	// Output:
	// [notes:admin]
	// invalid configuration: unknown key "tool" (known: tools, resources, prompts, methods, implies)
}

// Check is the decision the middleware makes after verifying the token: a
// token granting notes:read may not call delete_notes.
func ExamplePolicy_Check() {
	p := policy.MustNew(policy.Config{
		Tools: map[string][]string{"delete_notes": {"notes:write"}},
	})
	body := []byte(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"delete_notes"}}`)
	d := p.Check(body, http.Header{}, []string{"notes:read"})
	fmt.Println(d.Status, d.Reason, d.Scopes)
	fmt.Println(string(d.Body(d.Scopes)))

	// A Mcp-Name header that disagrees with the body is refused.
	d = p.Check(body, http.Header{"Mcp-Name": {"search_notes"}}, []string{"notes:write"})
	fmt.Println(d.Status, d.Reason)
	// Output:
	// 403 insufficient_scope [notes:write]
	// {"jsonrpc":"2.0","id":7,"error":{"code":-32003,"message":"insufficient scope: the access token lacks a scope this operation requires","data":{"reason":"insufficient_scope","scope":"notes:write"}}}
	// 400 header_mismatch
}

// With Microsoft Entra ID, clients request api://<app-id>/notes.read while
// tokens carry notes.read: scopes are compared without the prefix and
// advertised with it.
func ExampleWithScopePrefix() {
	p := policy.MustNew(policy.Config{
		Tools: map[string][]string{"delete_notes": {"notes.write"}},
	}, policy.WithScopePrefix("api://7f1c/"))
	fmt.Println(p.Grants([]string{"notes.write"}, "api://7f1c/notes.write"))
	fmt.Println(p.Advertised([]string{"notes.write", "offline_access"}))
	// Output:
	// true
	// [api://7f1c/notes.write]
}
