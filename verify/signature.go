package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"sync"
)

// sigSpec says how one JWS algorithm verifies (RFC 7518 §3).
type sigSpec struct {
	kind byte // 'R' RSASSA-PKCS1-v1_5, 'P' RSASSA-PSS, 'E' ECDSA, 'D' EdDSA, 'H' HMAC
	hash crypto.Hash
	size int // ECDSA: bytes of r and of s
}

// sigSpecOf returns the verification of a supported algorithm.
func sigSpecOf(alg string) (sigSpec, bool) {
	switch alg {
	case "RS256":
		return sigSpec{kind: 'R', hash: crypto.SHA256}, true
	case "RS384":
		return sigSpec{kind: 'R', hash: crypto.SHA384}, true
	case "RS512":
		return sigSpec{kind: 'R', hash: crypto.SHA512}, true
	case "PS256":
		return sigSpec{kind: 'P', hash: crypto.SHA256}, true
	case "PS384":
		return sigSpec{kind: 'P', hash: crypto.SHA384}, true
	case "PS512":
		return sigSpec{kind: 'P', hash: crypto.SHA512}, true
	case "ES256":
		return sigSpec{kind: 'E', hash: crypto.SHA256, size: 32}, true
	case "ES384":
		return sigSpec{kind: 'E', hash: crypto.SHA384, size: 48}, true
	case "ES512":
		return sigSpec{kind: 'E', hash: crypto.SHA512, size: 66}, true
	case "EdDSA", "Ed25519": // RFC 8037; RFC 9864 fully-specified name
		return sigSpec{kind: 'D'}, true
	case "HS256":
		return sigSpec{kind: 'H', hash: crypto.SHA256}, true
	case "HS384":
		return sigSpec{kind: 'H', hash: crypto.SHA384}, true
	case "HS512":
		return sigSpec{kind: 'H', hash: crypto.SHA512}, true
	}
	return sigSpec{}, false
}

// pssVerifyOptions accepts any salt length, as golang-jwt does: some
// issuers sign PS* tokens with the longest salt rather than the hash size.
var pssVerifyOptions = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}

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
	spec, ok := sigSpecOf(alg)
	if !ok {
		return false
	}
	switch spec.kind {
	case 'H':
		if v.hmac == nil {
			return false
		}
		pool := v.hmac.pool(spec.hash)
		mac := pool.Get().(hash.Hash)
		mac.Reset()
		mac.Write(input)
		sum := mac.Sum(sc.take(smallScratch))
		pool.Put(mac)
		return hmac.Equal(sig, sum)
	case 'D':
		pub, ok := key.(ed25519.PublicKey)
		if !ok || len(pub) != ed25519.PublicKeySize {
			return false
		}
		return ed25519.Verify(pub, input, sig)
	}
	digest := hashInto(spec.hash, input, sc)
	switch spec.kind {
	case 'R':
		pub, ok := key.(*rsa.PublicKey)
		return ok && rsa.VerifyPKCS1v15(pub, spec.hash, digest, sig) == nil
	case 'P':
		pub, ok := key.(*rsa.PublicKey)
		return ok && rsa.VerifyPSS(pub, spec.hash, digest, sig, pssVerifyOptions) == nil
	case 'E':
		pub, ok := key.(*ecdsa.PublicKey)
		if !ok || len(sig) != 2*spec.size {
			return false
		}
		der := ecdsaDER(sc, sig[:spec.size], sig[spec.size:])
		return der != nil && ecdsa.VerifyASN1(pub, digest, der)
	}
	return false
}

// hashInto returns the digest of input, stored in sc.
func hashInto(h crypto.Hash, input []byte, sc *scratch) []byte {
	switch h {
	case crypto.SHA256:
		sum := sha256.Sum256(input)
		return append(sc.take(smallScratch), sum[:]...)
	case crypto.SHA384:
		sum := sha512.Sum384(input)
		return append(sc.take(smallScratch), sum[:]...)
	default:
		sum := sha512.Sum512(input)
		return append(sc.take(smallScratch), sum[:]...)
	}
}

// ecdsaDER encodes the JWS signature halves r and s (fixed-size big-endian
// unsigned integers, RFC 7518 §3.4) as the ASN.1 DER ECDSA-Sig-Value that
// ecdsa.VerifyASN1 reads. It returns nil when r or s is zero, which no
// valid signature has.
func ecdsaDER(sc *scratch, r, s []byte) []byte {
	r, s = trimLeadingZeros(r), trimLeadingZeros(s)
	if len(r) == 0 || len(s) == 0 {
		return nil
	}
	intLen := func(x []byte) int { return 2 + len(x) + int(x[0]>>7) }
	body := intLen(r) + intLen(s)
	b := sc.take(smallScratch)
	b = append(b, 0x30) // SEQUENCE
	if body >= 0x80 {
		b = append(b, 0x81) // one length byte follows; body < 256 for P-521
	}
	b = append(b, byte(body))
	for _, x := range [2][]byte{r, s} {
		b = append(b, 0x02, byte(len(x))+x[0]>>7) // INTEGER
		if x[0]&0x80 != 0 {
			b = append(b, 0) // keep it positive
		}
		b = append(b, x...)
	}
	return b
}

func trimLeadingZeros(x []byte) []byte {
	for len(x) > 0 && x[0] == 0 {
		x = x[1:]
	}
	return x
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

// smallScratch fits a digest or MAC (at most 64 bytes) and a DER ECDSA
// signature (at most 141 bytes, for P-521).
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
