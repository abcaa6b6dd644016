package scopetoken

import (
	"errors"
	"fmt"
)

// IsChar reports whether c may appear in a scope token: %x21 / %x23-5B /
// %x5D-7E, that is printable ASCII except space, '"' and '\'.
func IsChar(c byte) bool {
	return c >= 0x21 && c <= 0x7e && c != '"' && c != '\\'
}

// Valid reports whether s is exactly one scope token.
func Valid(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !IsChar(s[i]) {
			return false
		}
	}
	return true
}

// ErrEmpty is returned by [Check] for an empty scope.
var ErrEmpty = errors.New("empty scope")

// Check returns nil when s is one scope token, and otherwise an error that
// names the fault and quotes s. Use it for configured scopes; never for
// scopes taken from a token, whose text must not be echoed.
func Check(s string) error {
	if s == "" {
		return ErrEmpty
	}
	if !Valid(s) {
		return fmt.Errorf("scope %q has a character not allowed in a scope token (RFC 6749 §3.3: printable ASCII except space, '\"' and '\\')", s)
	}
	return nil
}

// class classifies bytes for Split: 0 neither, 1 space, 2 scope character.
var class = func() (t [256]uint8) {
	t[' '] = 1
	for c := range 256 {
		if IsChar(byte(c)) {
			t[c] = 2
		}
	}
	return t
}()

// Split splits a scope string, such as a token's scope claim, into its scope
// tokens. Only U+0020 separates them; runs of spaces and leading or trailing
// spaces yield no empty scope. It reports false, and returns nil, when s
// holds any character that is neither a space nor allowed in a scope token:
// such a string is refused whole, never split on other whitespace. An empty
// string (or spaces only) is zero scopes. The scopes share s's memory; the
// result is one allocation.
func Split(s string) ([]string, bool) {
	n := 0
	var prev uint8 = 1
	for i := 0; i < len(s); i++ {
		c := class[s[i]]
		if c == 0 {
			return nil, false
		}
		if c > prev {
			n++
		}
		prev = c
	}
	out := make([]string, n)
	k, start := 0, -1
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			if start >= 0 {
				out[k] = s[start:i]
				k++
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out[k] = s[start:]
	}
	return out, true
}
