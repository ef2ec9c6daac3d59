package gpu

import (
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// The parity harness: fresh random inputs, the device result and the
// gnark-crypto result compared as host values. It runs untagged with any
// Backend (the CPU against itself, or a deliberately wrong one in the
// tests); the icicle-tagged tests run it with GPU{} at 2^10 to 2^22.

// ParityLogSizes are the sizes (log2) the tagged parity tests cover.
func ParityLogSizes() []int { return []int{10, 12, 14, 16, 18, 20, 22} }

// RandomScalars returns n fresh random scalars (crypto/rand).
func RandomScalars(n int) ([]fr.Element, error) {
	s := make([]fr.Element, n)
	for i := range s {
		if _, err := s[i].SetRandom(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// RandomG1 returns n fresh random G1 points: the generator times random
// scalars.
func RandomG1(n int) ([]bn254.G1Affine, error) {
	s, err := RandomScalars(n)
	if err != nil {
		return nil, err
	}
	_, _, g1, _ := bn254.Generators()
	return bn254.BatchScalarMultiplicationG1(&g1, s), nil
}

// RandomG2 returns n fresh random G2 points.
func RandomG2(n int) ([]bn254.G2Affine, error) {
	s, err := RandomScalars(n)
	if err != nil {
		return nil, err
	}
	_, _, _, g2 := bn254.Generators()
	return bn254.BatchScalarMultiplicationG2(&g2, s), nil
}

// CheckMSMG1 runs b.MSMG1 on points and scalars and compares it with
// CPUMSMG1 (as affine points).
func CheckMSMG1(b Backend, points []bn254.G1Affine, scalars []fr.Element) error {
	got, err := b.MSMG1(points, scalars)
	if err != nil {
		return fmt.Errorf("%s msm g1 (n=%d): %w", b.Name(), len(points), err)
	}
	want, err := CPUMSMG1(points, scalars)
	if err != nil {
		return err
	}
	var ga, wa bn254.G1Affine
	ga.FromJacobian(&got)
	wa.FromJacobian(&want)
	if !ga.Equal(&wa) {
		return fmt.Errorf("%s msm g1 (n=%d): %s, gnark-crypto %s", b.Name(), len(points), ga.String(), wa.String())
	}
	return nil
}

// CheckMSMG2 is CheckMSMG1 for G2.
func CheckMSMG2(b Backend, points []bn254.G2Affine, scalars []fr.Element) error {
	got, err := b.MSMG2(points, scalars)
	if err != nil {
		return fmt.Errorf("%s msm g2 (n=%d): %w", b.Name(), len(points), err)
	}
	want, err := CPUMSMG2(points, scalars)
	if err != nil {
		return err
	}
	var ga, wa bn254.G2Affine
	ga.FromJacobian(&got)
	wa.FromJacobian(&want)
	if !ga.Equal(&wa) {
		return fmt.Errorf("%s msm g2 (n=%d): %s, gnark-crypto %s", b.Name(), len(points), ga.String(), wa.String())
	}
	return nil
}

// CheckNTT runs b.NTT on a copy of v, forward and inverse, compares both
// with CPUNTT element by element, and checks that the inverse returns v.
func CheckNTT(b Backend, v []fr.Element) error {
	for _, inverse := range []bool{false, true} {
		got := append([]fr.Element(nil), v...)
		want := append([]fr.Element(nil), v...)
		if err := b.NTT(got, inverse); err != nil {
			return fmt.Errorf("%s ntt (n=%d, inverse=%v): %w", b.Name(), len(v), inverse, err)
		}
		if err := CPUNTT(want, inverse); err != nil {
			return err
		}
		for i := range want {
			if !got[i].Equal(&want[i]) {
				return fmt.Errorf("%s ntt (n=%d, inverse=%v): element %d is %s, gnark-crypto %s", b.Name(), len(v), inverse, i, got[i].String(), want[i].String())
			}
		}
		if !inverse {
			if err := b.NTT(got, true); err != nil {
				return fmt.Errorf("%s intt (n=%d): %w", b.Name(), len(v), err)
			}
			for i := range v {
				if !got[i].Equal(&v[i]) {
					return fmt.Errorf("%s ntt then intt (n=%d): element %d differs", b.Name(), len(v), i)
				}
			}
		}
	}
	return nil
}
