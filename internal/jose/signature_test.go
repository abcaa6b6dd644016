package jose

import (
	"bytes"
	"crypto/rand"
	"encoding/asn1"
	"math/big"
	"testing"
)

// TestECDSADER checks the JWS-to-DER conversion against encoding/asn1 for
// leading zeros, high bits and the long length form of P-521.
func TestECDSADER(t *testing.T) {
	type sigValue struct{ R, S *big.Int }
	rnd := func(n int) []byte {
		b := make([]byte, n)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	var cases [][2][]byte
	for _, size := range []int{32, 48, 66} {
		for range 50 {
			cases = append(cases, [2][]byte{rnd(size), rnd(size)})
		}
		hi, lo := bytes.Repeat([]byte{0xff}, size), make([]byte, size)
		lo[size-1] = 1
		zeros := make([]byte, size)
		zeros[3] = 0x80 // leading zeros, then a high bit
		cases = append(cases, [2][]byte{hi, lo}, [2][]byte{lo, hi}, [2][]byte{zeros, hi})
	}
	for _, c := range cases {
		got := ECDSADER(nil, c[0], c[1])
		want, err := asn1.Marshal(sigValue{new(big.Int).SetBytes(c[0]), new(big.Int).SetBytes(c[1])})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("r %x s %x:\ngot  %x\nwant %x", c[0], c[1], got, want)
		}
	}
	zero, one := make([]byte, 32), make([]byte, 32)
	one[31] = 1
	if ECDSADER(nil, zero, one) != nil || ECDSADER(nil, one, zero) != nil {
		t.Fatal("a zero r or s was encoded")
	}
}
