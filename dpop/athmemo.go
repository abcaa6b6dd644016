package dpop

import (
	"encoding/base64"
	"strings"
	"sync"

	"github.com/mcpauth/mcpauth/internal/jose"
)

// athMemoSize bounds each generation of the ath memo: two generations hold
// at most twice as many bound keys' tokens.
const athMemoSize = 2048

// maxMemoToken is the longest access token the memo keeps; longer ones are
// hashed every time. With the size above the memo holds at most
// 2 × 2048 × 4 KiB = 16 MiB of tokens.
const maxMemoToken = 4096

// athEntry is the last access token proven with one key, and its ath.
type athEntry struct {
	token string
	ath   [43]byte
}

// athMemo remembers, per bound key (the token's cnf.jkt), the last access
// token sent with it and that token's ath (the base64url SHA-256 of its
// text, RFC 9449 §4.2). A client sends the same token with every proof
// until it expires, and hashing it costs more than the rest of the
// proof's claim checks together. A hit needs the whole token text to be
// equal to the one hashed, so it gives exactly the hash a miss would
// compute: the ath check itself is unchanged and still runs in constant
// time. The memo keeps tokens that passed the token verifier, as that
// verifier's cache does; the comparison of token texts is not constant
// time, but reaching it takes a valid token bound to the same key already.
// Two generations bound the memory, as in headerCache.
type athMemo struct {
	mu        sync.Mutex
	cur, prev map[string]*athEntry
}

// tokenATH returns the ath of token, bound to the key whose thumbprint is
// jkt.
func (m *athMemo) tokenATH(jkt, token string) [43]byte {
	if len(token) > maxMemoToken {
		return computeATH(token)
	}
	m.mu.Lock()
	e, ok := m.cur[jkt]
	if !ok {
		if e, ok = m.prev[jkt]; ok {
			m.putLocked(jkt, e)
		}
	}
	m.mu.Unlock()
	if ok && e.token == token {
		return e.ath
	}
	e = &athEntry{token: strings.Clone(token), ath: computeATH(token)}
	jkt = strings.Clone(jkt)
	m.mu.Lock()
	m.putLocked(jkt, e)
	m.mu.Unlock()
	return e.ath
}

func (m *athMemo) putLocked(jkt string, e *athEntry) {
	if m.cur == nil || len(m.cur) >= athMemoSize {
		m.prev, m.cur = m.cur, make(map[string]*athEntry, 64)
	}
	m.cur[jkt] = e
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
