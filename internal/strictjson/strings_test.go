package strictjson

import (
	"encoding/binary"
	"math/bits"
	"testing"
	"unicode/utf8"
)

// TestSpecialBytes checks the eight-byte scan against the byte table: for
// every byte value at every position, the first byte the mask marks is the
// first byte that is not plain ASCII.
func TestSpecialBytes(t *testing.T) {
	for c := range 256 {
		for pos := range 8 {
			w := []byte("abcdefgh")
			w[pos] = byte(c)
			for _, after := range []byte{'a', 0, '"', 0xff} {
				for k := pos + 1; k < 8; k++ {
					w[k] = after
				}
				first := 8
				for k, x := range w {
					if !plainASCII[x] {
						first = k
						break
					}
				}
				m := specialBytes(binary.LittleEndian.Uint64(w))
				got := 8
				if m != 0 {
					got = bits.TrailingZeros64(m) >> 3
				}
				if got != first {
					t.Fatalf("%q: first special byte at %d, mask says %d", w, first, got)
				}
			}
		}
	}
}

// TestUTF8Len checks the scanner's UTF-8 rule against unicode/utf8 for
// every lead byte with every second byte and a sample of third and fourth
// bytes: overlong forms, encoded surrogates, code points above U+10FFFF and
// truncated sequences are refused.
func TestUTF8Len(t *testing.T) {
	tails := []byte{0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff}
	for c0 := 0x80; c0 < 0x100; c0++ {
		for c1 := range 256 {
			for _, c2 := range tails {
				for _, c3 := range tails {
					for n := 1; n <= 4; n++ {
						b := []byte{byte(c0), byte(c1), c2, c3}[:n]
						r, size := utf8.DecodeRune(b)
						want := size
						if r == utf8.RuneError && size <= 1 {
							want = 0
						}
						if got := utf8Len(b, 0); got != want {
							t.Fatalf("% x: utf8Len %d; unicode/utf8 %d", b, got, want)
						}
						if got := utf8Len(string(b), 0); got != want {
							t.Fatalf("% x as a string: utf8Len %d; unicode/utf8 %d", b, got, want)
						}
					}
				}
			}
		}
	}
}
