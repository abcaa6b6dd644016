package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mcpauth/mcpauth"
)

// maxFileBytes bounds a policy file.
const maxFileBytes = 1 << 20

// fileKeys are the members of a policy file, in documentation order.
var fileKeys = []string{"tools", "resources", "prompts", "methods", "implies"}

// ParseConfig reads a policy file's JSON:
//
//	{
//	  "tools":     {"delete_notes": ["notes:write"], "*": ["notes:read"]},
//	  "resources": {"notes://private/*": ["notes:admin"], "notes://public/readme": []},
//	  "prompts":   {"summarize": ["notes:read"]},
//	  "methods":   {"tools/list": ["notes:read"]},
//	  "implies":   {"notes:admin": ["notes:write"], "notes:write": ["notes:read"]}
//	}
//
// Every member is optional and each is an object whose values are arrays of
// scope strings. The document is read as strictly as a request body: an
// unknown member, duplicate or case-variant member names, invalid UTF-8, a
// value of the wrong type or trailing data is an error matching
// [mcpauth.ErrInvalidConfig] that names the member. Scopes are validated by
// [New].
func ParseConfig(data []byte) (Config, error) {
	if len(data) > maxFileBytes {
		return Config{}, fmt.Errorf("%w: larger than %d bytes", mcpauth.ErrInvalidConfig, maxFileBytes)
	}
	sc := newScanner(data)
	sc.SkipSpace()
	if sc.Peek() != '{' {
		return Config{}, fmt.Errorf("%w: not a JSON object", mcpauth.ErrInvalidConfig)
	}
	if err := sc.SkipValue(); err != nil {
		return Config{}, fmt.Errorf("%w: %v", mcpauth.ErrInvalidConfig, err)
	}
	if err := sc.Done(); err != nil {
		return Config{}, fmt.Errorf("%w: %v", mcpauth.ErrInvalidConfig, err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return Config{}, fmt.Errorf("%w: %v", mcpauth.ErrInvalidConfig, err)
	}
	var c Config
	for _, k := range sortedKeys(top) {
		var dst *map[string][]string
		switch k {
		case "tools":
			dst = &c.Tools
		case "resources":
			dst = &c.Resources
		case "prompts":
			dst = &c.Prompts
		case "methods":
			dst = &c.Methods
		case "implies":
			dst = &c.Implies
		default:
			return Config{}, fmt.Errorf("%w: unknown key %q (known: %s)", mcpauth.ErrInvalidConfig, k, strings.Join(fileKeys, ", "))
		}
		raw := top[k]
		if len(raw) == 0 || raw[0] != '{' {
			return Config{}, fmt.Errorf("%w: %q must be an object mapping names to arrays of scopes", mcpauth.ErrInvalidConfig, k)
		}
		var members map[string]json.RawMessage
		if err := json.Unmarshal(raw, &members); err != nil {
			return Config{}, fmt.Errorf("%w: %q: %v", mcpauth.ErrInvalidConfig, k, err)
		}
		m := make(map[string][]string, len(members))
		for _, name := range sortedKeys(members) {
			v := members[name]
			if len(v) == 0 || v[0] != '[' {
				return Config{}, fmt.Errorf("%w: %s[%q] must be an array of scope strings", mcpauth.ErrInvalidConfig, k, name)
			}
			var list []string
			if err := json.Unmarshal(v, &list); err != nil {
				return Config{}, fmt.Errorf("%w: %s[%q] must be an array of scope strings", mcpauth.ErrInvalidConfig, k, name)
			}
			if list == nil {
				list = []string{}
			}
			m[name] = list
		}
		*dst = m
	}
	return c, nil
}

// LoadFile reads the policy file at path (see [ParseConfig]) and builds the
// policy with [New]. Every error matches [mcpauth.ErrInvalidConfig] and
// names the path and the problem: an unreadable file, malformed JSON, an
// unknown key, a malformed scope, a cycle in implies.
func LoadFile(path string, opts ...Option) (*Policy, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: policy file %s: %v", mcpauth.ErrInvalidConfig, path, err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("policy file %s: %w", path, err)
	}
	p, err := New(c, opts...)
	if err != nil {
		return nil, fmt.Errorf("policy file %s: %w", path, err)
	}
	return p, nil
}

// readFile reads at most maxFileBytes+1 bytes of path.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err // the caller names the path
		}
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, errors.New("is a directory")
	}
	buf, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(buf) > maxFileBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxFileBytes)
	}
	return buf, nil
}
