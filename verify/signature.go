package verify

import (
	"crypto"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"sync"

	"github.com/mcpauth/mcpauth/internal/jose"
)

// hmacPools keeps, per HMAC algorithm of a verifier, keyed HMAC states
// for reuse: hmac.New costs more than the MAC of a token.
type hmacPools struct {
	pools [3]sync.Pool // HS256, HS384, HS512
}

// newHMACPools returns pools for secret.
func newHMACPools(secret []byte) *hmacPools {
	p := &hmacPools{}
	for i, h := range []func() hash.Hash{sha256.New, sha512.New384, sha512.New} {
		p.pools[i].New = func() any { return hmac.New(h, secret) }
	}
	return p
}

func (p *hmacPools) pool(h crypto.Hash) *sync.Pool {
	switch h {
	case crypto.SHA256:
		return &p.pools[0]
	case crypto.SHA384:
		return &p.pools[1]
	default:
		return &p.pools[2]
	}
}

// verifySignature reports whether sig is a valid alg signature of input
// under key. It fails closed on any mismatch of algorithm, key type or
// signature size.
func (v *JWTVerifier) verifySignature(alg string, key any, input, sig []byte, sc *scratch) bool {
	spec, ok := jose.SpecOf(alg)
	if !ok {
		return false
	}
	if spec.Kind != jose.KindHMAC {
		return jose.VerifyAsymmetric(spec, key, input, sig, sc.take(jose.ScratchSize))
	}
	if v.hmac == nil {
		return false
	}
	pool := v.hmac.pool(spec.Hash)
	mac := pool.Get().(hash.Hash)
	mac.Reset()
	mac.Write(input)
	sum := mac.Sum(sc.take(smallScratch))
	pool.Put(mac)
	return hmac.Equal(sig, sum)
}

// scratch is per-call working memory: the token's bytes, decoded segments,
// digests. Slices taken from it are valid until the call returns it to the
// pool; nothing that outlives the call may point into it.
type scratch struct {
	buf []byte
}

// Scratch buffers start at 4 KiB, grow to fit a token and are pooled up to
// 64 KiB.
const (
	scratchInitial = 4 << 10
	scratchMaxPool = 64 << 10
)

var scratchPool = sync.Pool{New: func() any { return &scratch{buf: make([]byte, 0, scratchInitial)} }}

// getScratch returns an empty scratch buffer with room for at least n bytes.
func getScratch(n int) *scratch {
	sc := scratchPool.Get().(*scratch)
	if cap(sc.buf) < n {
		sc.buf = make([]byte, 0, n)
	}
	sc.buf = sc.buf[:0]
	return sc
}

// putScratch returns sc to the pool.
func putScratch(sc *scratch) {
	if cap(sc.buf) <= scratchMaxPool {
		scratchPool.Put(sc)
	}
}

// smallScratch fits a digest or MAC (at most 64 bytes).
const smallScratch = 160

// take reserves n bytes of sc and returns them as an empty slice of
// capacity n, or a new slice when sc is full.
func (sc *scratch) take(n int) []byte {
	l := len(sc.buf)
	if cap(sc.buf)-l < n {
		return make([]byte, 0, n)
	}
	sc.buf = sc.buf[:l+n]
	return sc.buf[l : l : l+n]
}
