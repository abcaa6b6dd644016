package verify

import "github.com/mcpauth/mcpauth"

// invalid builds an *mcpauth.InvalidTokenError with a fixed detail text.
func invalid(r mcpauth.Reason, detail string) error {
	return &mcpauth.InvalidTokenError{Reason: r, Detail: detail}
}
