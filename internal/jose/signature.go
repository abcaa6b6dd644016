package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
)

// pssVerifyOptions accepts any salt length, as golang-jwt does: some
// issuers sign PS* tokens with the longest salt rather than the hash size.
var pssVerifyOptions = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}

// ScratchSize is the capacity of a buffer that lets [VerifyAsymmetric] run
// without allocating: a digest (at most 64 bytes) and a DER ECDSA signature
// (at most 141 bytes, for P-521).
const ScratchSize = 64 + 160

// VerifyAsymmetric reports whether sig is a valid signature of input under
// key for an asymmetric spec. It fails closed on any mismatch of algorithm
// kind, key type or signature size, and on HMAC specs. buf is working
// memory (len 0, capacity [ScratchSize] avoids allocations); nothing is
// retained.
func VerifyAsymmetric(spec Spec, key any, input, sig, buf []byte) bool {
	if spec.Kind == KindEdDSA {
		pub, ok := key.(ed25519.PublicKey)
		if !ok || len(pub) != ed25519.PublicKeySize {
			return false
		}
		return ed25519.Verify(pub, input, sig)
	}
	if cap(buf) < ScratchSize {
		buf = make([]byte, 0, ScratchSize)
	}
	return verifyDigest(spec, key, hashInto(spec.Hash, input, buf[:0:64]), sig, buf)
}

// VerifyAsymmetricString is [VerifyAsymmetric] for a signing input held in
// a string (a compact JWS's first two segments): it hashes the string
// without copying it, except for EdDSA, which signs the message itself.
func VerifyAsymmetricString(spec Spec, key any, input string, sig, buf []byte) bool {
	if spec.Kind == KindEdDSA {
		return VerifyAsymmetric(spec, key, []byte(input), sig, buf)
	}
	if cap(buf) < ScratchSize {
		buf = make([]byte, 0, ScratchSize)
	}
	return verifyDigest(spec, key, hashStringInto(spec.Hash, input, buf[:0:64]), sig, buf)
}

// verifyDigest verifies sig over a digest for RSA, PSS and ECDSA specs; buf
// is VerifyAsymmetric's, whose first 64 bytes hold the digest.
func verifyDigest(spec Spec, key any, digest, sig, buf []byte) bool {
	switch spec.Kind {
	case KindRSA:
		pub, ok := key.(*rsa.PublicKey)
		return ok && rsa.VerifyPKCS1v15(pub, spec.Hash, digest, sig) == nil
	case KindPSS:
		pub, ok := key.(*rsa.PublicKey)
		return ok && rsa.VerifyPSS(pub, spec.Hash, digest, sig, pssVerifyOptions) == nil
	case KindECDSA:
		pub, ok := key.(*ecdsa.PublicKey)
		if !ok || len(sig) != 2*spec.Size {
			return false
		}
		der := ECDSADER(buf[64:64:ScratchSize], sig[:spec.Size], sig[spec.Size:])
		return der != nil && ecdsa.VerifyASN1(pub, digest, der)
	}
	return false
}

// hashInto appends the digest of input to dst.
func hashInto(h crypto.Hash, input []byte, dst []byte) []byte {
	switch h {
	case crypto.SHA256:
		sum := sha256.Sum256(input)
		return append(dst, sum[:]...)
	case crypto.SHA384:
		sum := sha512.Sum384(input)
		return append(dst, sum[:]...)
	default:
		sum := sha512.Sum512(input)
		return append(dst, sum[:]...)
	}
}

// ECDSADER appends to dst the ASN.1 DER ECDSA-Sig-Value that
// ecdsa.VerifyASN1 reads, encoding the JWS signature halves r and s
// (fixed-size big-endian unsigned integers, RFC 7518 §3.4). It returns nil
// when r or s is zero, which no valid signature has.
func ECDSADER(dst, r, s []byte) []byte {
	r, s = trimLeadingZeros(r), trimLeadingZeros(s)
	if len(r) == 0 || len(s) == 0 {
		return nil
	}
	intLen := func(x []byte) int { return 2 + len(x) + int(x[0]>>7) }
	body := intLen(r) + intLen(s)
	b := dst
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
