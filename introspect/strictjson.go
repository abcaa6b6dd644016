package introspect

import (
	"github.com/mcpauth/mcpauth/internal/strictjson"
)

// registeredNames are the RFC 7662 §2.2 members (plus cnf, RFC 8705/9449).
// A top-level member whose name equals one of them only when letter case is
// ignored makes the response ambiguous and is refused.
var registeredNames = []string{
	"active", "scope", "client_id", "username", "token_type", "exp", "iat",
	"nbf", "sub", "aud", "iss", "jti", "cnf",
}

// parseResponse decodes an introspection response with the module's strict
// JSON reader (UTF-8 only, one object, no duplicate member names at any
// depth, numbers as json.Number) and refuses top-level member names that
// are case variants of registered ones. Errors never quote the input.
func parseResponse(body []byte) (map[string]any, error) {
	m, err := strictjson.ParseObject(string(body))
	if err != nil {
		return nil, err
	}
	if err := strictjson.CheckNameCase(m, registeredNames); err != nil {
		return nil, err
	}
	return m, nil
}
