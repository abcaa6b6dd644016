package dpop

import (
	"encoding/base64"
	"strings"

	"github.com/mcpauth/mcpauth/internal/jose"
)

// maxMemoToken is the longest access token whose ath is remembered;
// longer ones are hashed every time. With the header cache's bounds the
// remembered tokens take at most 2 × 2048 × 2 KiB = 8 MiB.
const maxMemoToken = 2048

// athEntry is the last access token sent with a cached proof header, and
// that token's ath.
type athEntry struct {
	token string
	ath   [43]byte
}

// tokenATH returns the ath of token (the base64url SHA-256 of its text,
// RFC 9449 §4.2), remembered on h, the cached header of the proof (nil when
// the header is not cached). A client sends the same token with every
// proof until it expires, and hashing it costs more than the rest of the
// proof's claim checks together. A hit needs the whole token text to be
// equal to the one hashed, so it gives exactly the hash a miss would
// compute, and the ath check itself is unchanged (constant time). The
// memo keeps tokens that passed the token verifier, in memory, as the JWT
// verifier's cache does; the comparison of token texts is not constant
// time, but reaching it takes a valid token already.
func tokenATH(h *checkedHeader, token string) [43]byte {
	if h == nil || len(token) > maxMemoToken {
		return computeATH(token)
	}
	if e := h.ath.Load(); e != nil && e.token == token {
		return e.ath
	}
	e := &athEntry{token: strings.Clone(token), ath: computeATH(token)}
	h.ath.Store(e)
	return e.ath
}

// computeATH returns the ath of token: its base64url SHA-256.
func computeATH(token string) (enc [43]byte) {
	sum := jose.SHA256String(token)
	base64.RawURLEncoding.Encode(enc[:], sum[:])
	return enc
}

// constantTimeEqual reports whether a and b are equal, in a time that
// depends on their lengths only.
func constantTimeEqual[A, B ~string | ~[]byte](a A, b B) bool {
	if len(a) != len(b) {
		return false
	}
	var d byte
	for i := 0; i < len(a); i++ {
		d |= a[i] ^ b[i]
	}
	return d == 0
}
