package jose

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"math/big"
	"testing"
)

// edwards is enough Edwards25519 arithmetic (affine, big.Int) to check the
// small-order list independently of it.
type edwards struct{ p, d, sqrtM1 *big.Int }

func newEdwards() edwards {
	p := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	d := new(big.Int).Mul(big.NewInt(-121665), new(big.Int).ModInverse(big.NewInt(121666), p))
	d.Mod(d, p)
	e := new(big.Int).Div(new(big.Int).Sub(p, big.NewInt(1)), big.NewInt(4))
	return edwards{p: p, d: d, sqrtM1: new(big.Int).Exp(big.NewInt(2), e, p)}
}

// x returns an x with (x, y) on the curve, or false.
func (c edwards) x(y *big.Int) (*big.Int, bool) {
	p := c.p
	y2 := new(big.Int).Mul(y, y)
	num := new(big.Int).Sub(y2, big.NewInt(1))
	den := new(big.Int).Add(new(big.Int).Mul(c.d, y2), big.NewInt(1))
	u := new(big.Int).Mul(num, new(big.Int).ModInverse(den.Mod(den, p), p))
	u.Mod(u, p)
	e := new(big.Int).Div(new(big.Int).Add(p, big.NewInt(3)), big.NewInt(8))
	x := new(big.Int).Exp(u, e, p)
	if new(big.Int).Exp(x, big.NewInt(2), p).Cmp(u) != 0 {
		x.Mul(x, c.sqrtM1).Mod(x, p)
	}
	return x, new(big.Int).Exp(x, big.NewInt(2), p).Cmp(u) == 0
}

// add returns (x1,y1) + (x2,y2).
func (c edwards) add(x1, y1, x2, y2 *big.Int) (*big.Int, *big.Int) {
	p := c.p
	t := new(big.Int).Mul(c.d, new(big.Int).Mul(new(big.Int).Mul(x1, x2), new(big.Int).Mul(y1, y2)))
	t.Mod(t, p)
	xn := new(big.Int).Add(new(big.Int).Mul(x1, y2), new(big.Int).Mul(y1, x2))
	xd := new(big.Int).Add(big.NewInt(1), t)
	yn := new(big.Int).Add(new(big.Int).Mul(y1, y2), new(big.Int).Mul(x1, x2))
	yd := new(big.Int).Sub(big.NewInt(1), t)
	x := xn.Mul(xn, new(big.Int).ModInverse(xd.Mod(xd, p), p))
	y := yn.Mul(yn, new(big.Int).ModInverse(yd.Mod(yd, p), p))
	return x.Mod(x, p), y.Mod(y, p)
}

func littleEndian(b [32]byte) *big.Int {
	var be [32]byte
	for i := range b {
		be[31-i] = b[i]
	}
	return new(big.Int).SetBytes(be[:])
}

// TestEd25519SmallOrderList recomputes the list: every entry decodes to a
// curve point whose order divides 8, and together they name all five y
// values of the 8-torsion subgroup (0, 1, p-1 and the two of order 8).
func TestEd25519SmallOrderList(t *testing.T) {
	c := newEdwards()
	ys := map[string]bool{}
	for i, enc := range ed25519SmallOrder {
		if enc[31]&0x80 != 0 {
			t.Fatalf("entry %d has the sign bit set", i)
		}
		y := littleEndian(enc)
		y.Mod(y, c.p)
		x, ok := c.x(y)
		if !ok {
			t.Fatalf("entry %d: y is not on the curve", i)
		}
		px, py := x, y
		for range 3 { // [8]P
			px, py = c.add(px, py, px, py)
		}
		if px.Sign() != 0 || py.Cmp(big.NewInt(1)) != 0 {
			t.Fatalf("entry %d: [8]P is not the identity", i)
		}
		ys[y.String()] = true
	}
	if len(ys) != 5 {
		t.Fatalf("the list names %d distinct y values; the 8-torsion subgroup has 5", len(ys))
	}
}

func TestCheckEd25519(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signBit := func(b [32]byte) []byte { b[31] |= 0x80; return b[:] }
	pMinus1 := ed25519SmallOrder[4]
	nonCanonical := pMinus1
	nonCanonical[0] = 0xf0 // y = p + 3: not reduced, not of small order
	for _, tc := range []struct {
		name string
		key  []byte
		want error
	}{
		{"generated key", pub, nil},
		{"all zero", make([]byte, 32), errEd25519Degenerate},
		{"identity", ed25519SmallOrder[1][:], errEd25519Degenerate},
		{"identity with the sign bit", signBit(ed25519SmallOrder[1]), errEd25519Degenerate},
		{"order 8", ed25519SmallOrder[2][:], errEd25519Degenerate},
		{"order 8 with the sign bit", signBit(ed25519SmallOrder[3]), errEd25519Degenerate},
		{"order 2", pMinus1[:], errEd25519Degenerate},
		{"y = p (non-canonical 0)", ed25519SmallOrder[5][:], errEd25519Degenerate},
		{"y = p+1 (non-canonical 1) with the sign bit", signBit(ed25519SmallOrder[6]), errEd25519Degenerate},
		{"y = p+3 (non-canonical)", nonCanonical[:], errEd25519NonCanonical},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPublicKey(ed25519.PublicKey(tc.key))
			if !errors.Is(err, tc.want) {
				t.Fatalf("CheckPublicKey = %v, want %v", err, tc.want)
			}
			jwk := map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64url(tc.key)}
			_, err = ParsePublicJWK(jwk)
			if !errors.Is(err, tc.want) {
				t.Fatalf("ParsePublicJWK = %v, want %v", err, tc.want)
			}
		})
	}
}

func b64url(b []byte) string { return b64.EncodeToString(b) }
