package ceremony

import (
	"math/big"
	"testing"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// TestG1ScalarMatchesGnark compares the precomputed-GLV multiplication
// with gnark-crypto's G1Jac.ScalarMultiplication on random points and
// scalars, edge scalars, twiddles and the point at infinity, and scaleG1
// with per-point affine multiplication.
func TestG1ScalarMatchesGnark(t *testing.T) {
	_, _, g1, _ := curve.Generators()
	r := fr.Modulus()
	var rm1, rp1 big.Int
	rm1.Sub(r, big.NewInt(1))
	rp1.Add(r, big.NewInt(1))
	scalars := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(2), big.NewInt(15), &rm1, r, &rp1}
	tw, err := inverseTwiddles(64)
	if err != nil {
		t.Fatal(err)
	}
	for i := range tw {
		scalars = append(scalars, &tw[i])
	}
	for range 20 {
		var e fr.Element
		e.SetRandom()
		var b big.Int
		scalars = append(scalars, e.BigInt(&b))
	}
	var e fr.Element
	e.SetRandom()
	var base curve.G1Jac
	base.ScalarMultiplication(new(curve.G1Jac).FromAffine(&g1), e.BigInt(new(big.Int)))
	var inf curve.G1Jac
	inf.X.SetOne()
	inf.Y.SetOne()
	for _, p := range []curve.G1Jac{base, inf} {
		for _, s := range scalars {
			want := new(curve.G1Jac).ScalarMultiplication(&p, s)
			got := p
			k := newG1Scalar(s)
			k.mul(&got)
			if !got.Equal(want) {
				t.Fatalf("scalar %s: precomputed GLV differs from gnark", s)
			}
		}
	}
	v := make([]curve.G1Affine, 600)
	want := make([]curve.G1Affine, len(v))
	for i := range v {
		var x fr.Element
		x.SetRandom()
		v[i].ScalarMultiplication(&g1, x.BigInt(new(big.Int)))
		want[i].ScalarMultiplication(&v[i], e.BigInt(new(big.Int)))
	}
	scaleG1(v, &e)
	for i := range v {
		if !v[i].Equal(&want[i]) {
			t.Fatalf("scaleG1 point %d differs", i)
		}
	}
}
