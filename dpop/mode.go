package dpop

import (
	"fmt"
	"strings"
)

// Mode says which token schemes a resource accepts.
type Mode uint8

const (
	// Allow (the zero value, the default) accepts Bearer tokens as before
	// and DPoP-bound tokens (cnf.jkt) only with the DPoP scheme and a valid
	// proof: a bound token presented as Bearer is refused (RFC 9449 §7.1).
	Allow Mode = iota
	// Require accepts only DPoP-bound tokens with the DPoP scheme and a
	// valid proof.
	Require
	// Off refuses the DPoP scheme; Bearer tokens are accepted as before,
	// DPoP-bound ones included (the resource does not understand DPoP).
	Off
)

// String returns allow, require or off.
func (m Mode) String() string {
	switch m {
	case Allow:
		return "allow"
	case Require:
		return "require"
	case Off:
		return "off"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// ParseMode reads allow, require or off (any letter case, surrounding
// space ignored); the empty string means [Allow].
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "allow":
		return Allow, nil
	case "require":
		return Require, nil
	case "off":
		return Off, nil
	}
	return 0, fmt.Errorf("DPoP mode %q is not allow, require or off", s)
}
