package policy

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/mcpauth/mcpauth"
)

// Any is the key under Tools, Resources and Prompts whose scopes apply to
// names that no other key matches.
const Any = "*"

// DefaultMaxBodyBytes is the largest request body the policy reads unless
// [WithMaxBodyBytes] says otherwise.
const DefaultMaxBodyBytes = 4 << 20

// MCP methods whose target the policy reads from params.
const (
	MethodToolsCall          = "tools/call"
	MethodResourcesRead      = "resources/read"
	MethodResourcesSubscribe = "resources/subscribe"
	MethodPromptsGet         = "prompts/get"
)

// Config is an operation policy, as written in Go or in a policy file (see
// [ParseConfig]). Every member is optional; a nil or empty scope list means
// the operation needs no scope beyond the server's required scopes. Scopes
// must be RFC 6749 scope tokens.
type Config struct {
	// Tools maps tool names (tools/call params.name) to the scopes calling
	// them needs. The key [Any] applies to tools not listed.
	Tools map[string][]string `json:"tools,omitempty"`
	// Resources maps resource URIs (resources/read and resources/subscribe
	// params.uri) to the scopes reading them needs. A key ending in '*' is a
	// prefix; the longest matching prefix wins over shorter ones, an exact
	// key over any prefix. The key [Any] applies to URIs no other key
	// matches. Keys and URIs are compared after RFC 3986 syntax-based
	// normalisation (scheme and host case, unreserved %-escapes, dot
	// segments).
	Resources map[string][]string `json:"resources,omitempty"`
	// Prompts maps prompt names (prompts/get params.name) to scopes. The key
	// [Any] applies to prompts not listed.
	Prompts map[string][]string `json:"prompts,omitempty"`
	// Methods maps JSON-RPC methods (tools/list, tools/call, …) to scopes,
	// needed in addition to those of Tools, Resources or Prompts.
	Methods map[string][]string `json:"methods,omitempty"`
	// Implies is the scope hierarchy: a token granting a key is treated as
	// granting every scope listed for it, transitively. Cycles are refused.
	Implies map[string][]string `json:"implies,omitempty"`
}

// Option configures [New].
type Option func(*options)

type options struct {
	denyUnlisted bool
	prefix       string
	maxBody      int64
	maxBodySet   bool
}

// WithDenyUnlisted refuses (HTTP 403, whatever the token's scopes) calls of
// tools, reads of resources and gets of prompts that no key of the policy
// matches, including [Any]. By default they need only the server's required
// scopes.
func WithDenyUnlisted() Option {
	return func(o *options) { o.denyUnlisted = true }
}

// WithScopePrefix sets the prefix that the authorization request form of
// every scope has and the token form may lack, as with Microsoft Entra ID:
// clients request api://<app-id>/notes.read and tokens carry notes.read in
// scp. Scopes are compared without the prefix (a token or a policy scope
// that has it is read without it) and advertised with it, in scope=
// challenges and scopes_supported. The prefix must be made of scope-token
// characters. The empty string (the default) means no prefix.
func WithScopePrefix(prefix string) Option {
	return func(o *options) { o.prefix = prefix }
}

// WithMaxBodyBytes sets the largest request body the policy reads. A larger
// body is refused with HTTP 413 when the policy would need to read it. n
// must be positive; the default is [DefaultMaxBodyBytes].
func WithMaxBodyBytes(n int64) Option {
	return func(o *options) { o.maxBody, o.maxBodySet = n, true }
}

// Policy maps MCP operations to the scopes they need. Build one with [New]
// or [LoadFile]; it is immutable and safe for concurrent use.
type Policy struct {
	tools     rules
	prompts   rules
	resources rules // exact keys normalised
	prefixes  []prefixRule
	methods   map[string][]string
	h         hierarchy
	prefix    string
	deny      bool
	maxBody   int64
	needsBody bool
	scopes    []string // every scope named by an operation rule, sorted
}

// rules is a name → scopes table with an optional default.
type rules struct {
	exact      map[string][]string
	def        []string
	hasDefault bool
}

// prefixRule is a resource key ending in '*'.
type prefixRule struct {
	prefix string // normalised, without '*'
	scopes []string
}

// New validates c and returns the policy. Errors match
// [mcpauth.ErrInvalidConfig] and name the member and the problem: a scope
// that is not an RFC 6749 scope token, offline_access required by an
// operation, an empty name, a resource key with '*' other than at its end,
// a cycle in Implies, an invalid option value.
func New(c Config, opts ...Option) (*Policy, error) {
	var o options
	for _, opt := range opts {
		if opt == nil {
			return nil, configErr("nil Option")
		}
		opt(&o)
	}
	p := &Policy{deny: o.denyUnlisted, maxBody: DefaultMaxBodyBytes}
	if o.maxBodySet {
		if o.maxBody <= 0 {
			return nil, configErr("WithMaxBodyBytes: %d is not positive", o.maxBody)
		}
		p.maxBody = o.maxBody
	}
	if o.prefix != "" {
		if err := checkScope(o.prefix); err != nil {
			return nil, configErr("WithScopePrefix: %v", err)
		}
		p.prefix = o.prefix
	}
	var all []string
	scopes := func(where string, list []string) ([]string, error) {
		out := make([]string, 0, len(list))
		for _, s := range list {
			if err := checkScope(s); err != nil {
				return nil, configErr("%s: %v", where, err)
			}
			n := p.normalize(s)
			if n == "" {
				return nil, configErr("%s: scope %q is only the scope prefix", where, s)
			}
			out = union(out, n)
		}
		return out, nil
	}
	operation := func(where string, list []string) ([]string, error) {
		out, err := scopes(where, list)
		if err != nil {
			return nil, err
		}
		if slices.Contains(out, OfflineAccess) {
			return nil, configErr("%s: %s cannot be required by an operation: it is never advertised in a challenge, so no client could step up to it", where, OfflineAccess)
		}
		all = union(all, out...)
		if len(out) > 0 {
			p.needsBody = true
		}
		return out, nil
	}
	table := func(member string, m map[string][]string) (rules, error) {
		r := rules{exact: make(map[string][]string, len(m))}
		for _, k := range sortedKeys(m) {
			where := fmt.Sprintf("%s[%q]", member, k)
			if err := checkName(k); err != nil {
				return rules{}, configErr("%s: %v", member, err)
			}
			s, err := operation(where, m[k])
			if err != nil {
				return rules{}, err
			}
			if k == Any {
				r.def, r.hasDefault = s, true
			} else {
				r.exact[k] = s
			}
		}
		return r, nil
	}
	var err error
	if p.tools, err = table("tools", c.Tools); err != nil {
		return nil, err
	}
	if p.prompts, err = table("prompts", c.Prompts); err != nil {
		return nil, err
	}
	// Resources: keys are normalised URIs or prefixes.
	p.resources = rules{exact: make(map[string][]string, len(c.Resources))}
	for _, k := range sortedKeys(c.Resources) {
		where := fmt.Sprintf("resources[%q]", k)
		if err := checkName(k); err != nil {
			return nil, configErr("resources: %v", err)
		}
		s, err := operation(where, c.Resources[k])
		if err != nil {
			return nil, err
		}
		if k == Any {
			p.resources.def, p.resources.hasDefault = s, true
			continue
		}
		body, isPrefix := strings.CutSuffix(k, "*")
		if strings.Contains(body, "*") {
			return nil, configErr("%s: '*' may only end a resource key (a prefix)", where)
		}
		n, err := normalizeURI(body)
		if err != nil {
			return nil, configErr("%s: %v", where, err)
		}
		if isPrefix {
			if slices.ContainsFunc(p.prefixes, func(r prefixRule) bool { return r.prefix == n }) {
				return nil, configErr("%s: another key is the same prefix once normalised", where)
			}
			p.prefixes = append(p.prefixes, prefixRule{prefix: n, scopes: s})
			continue
		}
		if _, dup := p.resources.exact[n]; dup {
			return nil, configErr("%s: another key is the same URI once normalised", where)
		}
		p.resources.exact[n] = s
	}
	// Longest prefix first.
	sort.SliceStable(p.prefixes, func(i, j int) bool { return len(p.prefixes[i].prefix) > len(p.prefixes[j].prefix) })

	p.methods = make(map[string][]string, len(c.Methods))
	for _, k := range sortedKeys(c.Methods) {
		if err := checkName(k); err != nil || k == Any {
			return nil, configErr("methods: key %q is not a JSON-RPC method name", k)
		}
		s, err := operation(fmt.Sprintf("methods[%q]", k), c.Methods[k])
		if err != nil {
			return nil, err
		}
		p.methods[k] = s
	}

	implies := make(map[string][]string, len(c.Implies))
	for _, k := range sortedKeys(c.Implies) {
		where := fmt.Sprintf("implies[%q]", k)
		key, err := scopes(where, []string{k})
		if err != nil {
			return nil, err
		}
		if len(c.Implies[k]) == 0 {
			return nil, configErr("%s: lists no scope", where)
		}
		list, err := scopes(where, c.Implies[k])
		if err != nil {
			return nil, err
		}
		if _, dup := implies[key[0]]; dup {
			return nil, configErr("%s: another key is the same scope without the prefix", where)
		}
		implies[key[0]] = list
	}
	if p.h, err = newHierarchy(implies); err != nil {
		return nil, configErr("%v", err)
	}
	if p.deny {
		p.needsBody = true
	}
	sort.Strings(all)
	p.scopes = all
	return p, nil
}

// MustNew is like [New] but panics on an error. It is meant for policies
// written as literals in a program.
func MustNew(c Config, opts ...Option) *Policy {
	p, err := New(c, opts...)
	if err != nil {
		panic(err)
	}
	return p
}

// configErr returns an error matching mcpauth.ErrInvalidConfig.
func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: policy: %s", mcpauth.ErrInvalidConfig, fmt.Sprintf(format, args...))
}

// checkName validates a tool, prompt or resource key or a method name:
// non-empty, valid text without control characters.
func checkName(k string) error {
	if k == "" {
		return fmt.Errorf("empty key")
	}
	for _, r := range k {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return fmt.Errorf("key %q contains a control character or invalid UTF-8", k)
		}
	}
	return nil
}

// normalize returns a scope without the scope prefix.
func (p *Policy) normalize(s string) string {
	if p.prefix != "" {
		return strings.TrimPrefix(s, p.prefix)
	}
	return s
}

// Canonical returns scopes as the policy compares them: without the scope
// prefix. It returns scopes itself when there is no prefix.
func (p *Policy) Canonical(scopes []string) []string {
	if p.prefix == "" {
		return scopes
	}
	out := make([]string, 0, len(scopes))
	for _, s := range scopes {
		out = union(out, p.normalize(s))
	}
	return out
}

// MaxBodyBytes returns the largest body the policy reads.
func (p *Policy) MaxBodyBytes() int64 { return p.maxBody }

// NeedsBody reports whether the policy has anything to decide on a request
// body: an operation that needs a scope, or [WithDenyUnlisted]. A policy
// that does not still validates Mcp-Method and Mcp-Name headers.
func (p *Policy) NeedsBody() bool { return p.needsBody }

// Scopes returns every scope an operation rule of the policy names, without
// the scope prefix, sorted.
func (p *Policy) Scopes() []string { return slices.Clone(p.scopes) }

// Required returns the scopes (without the prefix) that the operation
// method on name needs by this policy, beyond the server's required scopes;
// name is the tool or prompt name or the resource URI, and is ignored for
// other methods. ok is false when the operation is refused whatever the
// scopes ([WithDenyUnlisted]) or the resource URI is ambiguous.
func (p *Policy) Required(method, name string) (scopes []string, ok bool) {
	m := message{hasMethod: true, method: []byte(method)}
	switch method {
	case MethodToolsCall, MethodPromptsGet:
		m.hasName, m.name = true, []byte(name)
	case MethodResourcesRead, MethodResourcesSubscribe:
		m.hasURI, m.uri = true, []byte(name)
	}
	ms, os, v := p.required(&m)
	return union(union(nil, ms...), os...), v == verdictOK
}

// verdict classifies one message.
type verdict int

const (
	verdictOK      verdict = iota
	verdictDenied          // no scope would do
	verdictInvalid         // the policy needs a member the message lacks
)

// required returns the scopes the message needs by its method's rule and by
// its target's (tool, prompt or resource) rule. It does not allocate for
// tools and prompts; the slices belong to the policy.
func (p *Policy) required(m *message) (method, target []string, v verdict) {
	if !m.hasMethod {
		return nil, nil, verdictOK // a response, or not JSON-RPC
	}
	if m.badMember == errMethodType {
		return nil, nil, verdictInvalid
	}
	method = p.methods[string(m.method)]
	var r *rules
	switch string(m.method) {
	case MethodToolsCall:
		r = &p.tools
	case MethodPromptsGet:
		r = &p.prompts
	case MethodResourcesRead, MethodResourcesSubscribe:
		if !m.hasURI || m.badMember != nil {
			return method, nil, verdictInvalid
		}
		n, err := normalizeURI(string(m.uri))
		if err != nil {
			return method, nil, verdictInvalid
		}
		if s, ok := p.resources.exact[n]; ok {
			return method, s, verdictOK
		}
		for _, pr := range p.prefixes {
			if strings.HasPrefix(n, pr.prefix) {
				return method, pr.scopes, verdictOK
			}
		}
		return p.fallback(method, &p.resources)
	default:
		return method, nil, verdictOK
	}
	if !m.hasName || m.badMember != nil {
		return method, nil, verdictInvalid
	}
	if s, ok := r.exact[string(m.name)]; ok {
		return method, s, verdictOK
	}
	return p.fallback(method, r)
}

// fallback applies a table's default ("*") or deny-by-default.
func (p *Policy) fallback(method []string, r *rules) ([]string, []string, verdict) {
	switch {
	case r.hasDefault:
		return method, r.def, verdictOK
	case p.deny:
		return method, nil, verdictDenied
	}
	return method, nil, verdictOK
}

// Grants reports whether a token granting granted (as in
// [mcpauth.AccessToken.Scopes], with or without the scope prefix) has every
// one of required, directly or through the policy's Implies. Tool handlers
// use it for decisions inside a tool.
func (p *Policy) Grants(granted []string, required ...string) bool {
	for _, r := range required {
		r = p.normalize(r)
		if !p.grantsOne(granted, r) {
			return false
		}
	}
	return true
}

// grantsOne checks one normalised scope.
func (p *Policy) grantsOne(granted []string, want string) bool {
	if p.prefix == "" {
		return p.h.grants(granted, want)
	}
	for _, g := range granted {
		g = p.normalize(g)
		if g == want {
			return true
		}
		if imp := p.h.implied[g]; imp != nil {
			if _, ok := slices.BinarySearch(imp, want); ok {
				return true
			}
		}
	}
	return false
}

// EffectiveScopes returns the scopes a token granting granted has under the
// policy: each granted scope without the scope prefix, then every scope they
// imply, without repeats. The result is granted itself when nothing
// changes.
func (p *Policy) EffectiveScopes(granted []string) []string {
	out, changed := p.AppendEffectiveScopes(nil, granted)
	if !changed {
		return granted
	}
	return out
}

// AppendEffectiveScopes is [Policy.EffectiveScopes] for a caller that keeps
// the result in memory of its own: when the effective scopes differ from
// granted it appends them to dst and returns the extended slice and true;
// otherwise it returns dst unchanged and false.
func (p *Policy) AppendEffectiveScopes(dst, granted []string) ([]string, bool) {
	changed := false
	for _, g := range granted {
		if n := p.normalize(g); n != g || p.h.implied[n] != nil {
			changed = true
			break
		}
	}
	if !changed {
		return dst, false
	}
	base := len(dst)
	add := func(s string) {
		if !slices.Contains(dst[base:], s) {
			dst = append(dst, s)
		}
	}
	for _, g := range granted {
		add(p.normalize(g))
	}
	for _, g := range granted {
		for _, s := range p.h.implied[p.normalize(g)] {
			add(s)
		}
	}
	return dst, true
}

// Advertised returns scopes as a client should request them: with the scope
// prefix, without repeats and without offline_access. It is what a scope=
// challenge and scopes_supported carry.
func (p *Policy) Advertised(scopes []string) []string {
	return Advertise(p.prefixOrEmpty(), scopes)
}

func (p *Policy) prefixOrEmpty() string {
	if p == nil {
		return ""
	}
	return p.prefix
}

// Advertise returns scopes with prefix prepended to those that lack it,
// without repeats and without offline_access (with or without the prefix).
// It is the form of scopes in challenges and in scopes_supported.
func Advertise(prefix string, scopes []string) []string {
	out := make([]string, 0, len(scopes))
	for _, s := range scopes {
		if s == "" || strings.TrimPrefix(s, prefix) == OfflineAccess {
			continue
		}
		if prefix != "" && !strings.HasPrefix(s, prefix) {
			s = prefix + s
		}
		out = union(out, s)
	}
	return out
}
