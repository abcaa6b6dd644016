package jose

import (
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
)

// b64urlValues maps each byte to its base64url value, or 0xff outside the
// alphabet.
var b64urlValues = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
		t[c] = byte(i)
	}
	return t
}()

// DecodeBase64URL decodes unpadded base64url text s into dst, which must
// have room for len(s)*3/4 bytes, and returns the decoded length. It
// accepts exactly what base64.RawURLEncoding.Strict() accepts without CR
// and LF (which Go's decoders skip and this one refuses): only the
// alphabet, no padding, no length of 1 modulo 4, and zero trailing bits,
// so every accepted text is the one encoding of its bytes. Unlike
// DecodeString it takes a string and allocates nothing.
func DecodeBase64URL(dst []byte, s string) (int, bool) {
	if len(s)%4 == 1 {
		return 0, false
	}
	v := &b64urlValues
	n, i := 0, 0
	for ; i+4 <= len(s); i += 4 {
		a, b, c, d := v[s[i]], v[s[i+1]], v[s[i+2]], v[s[i+3]]
		if (a|b|c|d)&0xc0 != 0 {
			return 0, false
		}
		dst[n] = a<<2 | b>>4
		dst[n+1] = b<<4 | c>>2
		dst[n+2] = c<<6 | d
		n += 3
	}
	switch len(s) - i {
	case 2:
		a, b := v[s[i]], v[s[i+1]]
		if (a|b)&0xc0 != 0 || b&0x0f != 0 {
			return 0, false
		}
		dst[n] = a<<2 | b>>4
		n++
	case 3:
		a, b, c := v[s[i]], v[s[i+1]], v[s[i+2]]
		if (a|b|c)&0xc0 != 0 || c&0x03 != 0 {
			return 0, false
		}
		dst[n] = a<<2 | b>>4
		dst[n+1] = b<<4 | c>>2
		n += 2
	}
	return n, true
}

// hashChunk is the size of the stack buffer through which strings are
// hashed: crypto's Sum functions take a []byte, and converting a long
// string allocates a copy.
const hashChunk = 512

// SHA256String returns the SHA-256 digest of s without allocating.
func SHA256String(s string) [sha256.Size]byte {
	var out [sha256.Size]byte
	hashStringInto(crypto.SHA256, s, out[:0])
	return out
}

// hashStringInto appends the digest of s under h (SHA-256, SHA-384 or
// SHA-512) to dst, copying s through a stack buffer.
func hashStringInto(h crypto.Hash, s string, dst []byte) []byte {
	var chunk [hashChunk]byte
	switch h {
	case crypto.SHA256:
		d := sha256.New()
		for len(s) > 0 {
			n := copy(chunk[:], s)
			d.Write(chunk[:n])
			s = s[n:]
		}
		return d.Sum(dst)
	case crypto.SHA384:
		d := sha512.New384()
		for len(s) > 0 {
			n := copy(chunk[:], s)
			d.Write(chunk[:n])
			s = s[n:]
		}
		return d.Sum(dst)
	default:
		d := sha512.New()
		for len(s) > 0 {
			n := copy(chunk[:], s)
			d.Write(chunk[:n])
			s = s[n:]
		}
		return d.Sum(dst)
	}
}
