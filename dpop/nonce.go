package dpop

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"sync/atomic"
	"time"
)

// nonces issues and checks stateless server nonces (RFC 9449 §8): the
// number of the current lifetime period and an HMAC of it, so replicas that
// share the secret agree without a store. A nonce is current for one
// period and accepted for one more after it rotates.
type nonces struct {
	secret   []byte
	lifetime int64 // nanoseconds
	cur      atomic.Pointer[issuedNonce]
}

// issuedNonce caches the nonce of one period.
type issuedNonce struct {
	period int64
	value  string
}

// nonceMACBytes is the truncated HMAC length: 128 bits.
const nonceMACBytes = 16

func newNonces(secret []byte, lifetime time.Duration) *nonces {
	return &nonces{secret: append([]byte(nil), secret...), lifetime: int64(lifetime)}
}

// period returns the period number of t.
func (n *nonces) period(t time.Time) int64 { return t.UnixNano() / n.lifetime }

// current returns the nonce of now's period.
func (n *nonces) current(now time.Time) string {
	p := n.period(now)
	if c := n.cur.Load(); c != nil && c.period == p {
		return c.value
	}
	v := n.make(p)
	n.cur.Store(&issuedNonce{period: p, value: v})
	return v
}

// make returns the nonce of period p.
func (n *nonces) make(p int64) string {
	var b [8 + nonceMACBytes]byte
	binary.BigEndian.PutUint64(b[:8], uint64(p))
	copy(b[8:], n.mac(b[:8]))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (n *nonces) mac(period []byte) []byte {
	m := hmac.New(sha256.New, n.secret)
	m.Write([]byte("mcpauth DPoP nonce\x00"))
	m.Write(period)
	return m.Sum(nil)[:nonceMACBytes]
}

// valid reports whether s is the nonce of now's period or of the one
// before.
func (n *nonces) valid(s string, now time.Time) bool {
	b, err := b64.DecodeString(s)
	if err != nil || len(b) != 8+nonceMACBytes {
		return false
	}
	p := int64(binary.BigEndian.Uint64(b[:8]))
	if cur := n.period(now); p != cur && p != cur-1 {
		return false
	}
	return hmac.Equal(b[8:], n.mac(b[:8]))
}
