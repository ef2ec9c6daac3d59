//go:build icicle

package gpu

import (
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	icicle_core "github.com/ingonyama-zk/icicle-gnark/v3/wrappers/golang/core"
	icicle_bn254 "github.com/ingonyama-zk/icicle-gnark/v3/wrappers/golang/curves/bn254"
	icicle_g2 "github.com/ingonyama-zk/icicle-gnark/v3/wrappers/golang/curves/bn254/g2"
	icicle_msm "github.com/ingonyama-zk/icicle-gnark/v3/wrappers/golang/curves/bn254/msm"
)

// MSMG1 computes Σ scalars[i]·points[i] in G1 on CUDA device 0 with
// ICICLE. Points and scalars go in gnark-crypto's Montgomery form, as
// gnark's own ICICLE prover passes them.
func MSMG1(points []bn254.G1Affine, scalars []fr.Element) (res bn254.G1Jac, err error) {
	if len(points) != len(scalars) {
		return res, fmt.Errorf("msm g1: %d points, %d scalars", len(points), len(scalars))
	}
	if len(points) == 0 {
		return res, nil
	}
	defer guard("msm g1", &err)
	err = onDevice(0, func() error {
		cfg := icicle_msm.GetDefaultMSMConfig()
		cfg.AreScalarsMontgomeryForm = true
		cfg.AreBasesMontgomeryForm = true
		out := make(icicle_core.HostSlice[icicle_bn254.Projective], 1)
		code := icicle_msm.Msm(icicle_core.HostSliceFromElements(scalars), icicle_core.HostSliceFromElements(points), &cfg, out)
		if e := icicleErr("msm g1", int(code)); e != nil {
			return e
		}
		res = g1FromProjective(out[0])
		return nil
	})
	return res, err
}

// MSMG2 computes Σ scalars[i]·points[i] in G2 on CUDA device 0 with
// ICICLE.
func MSMG2(points []bn254.G2Affine, scalars []fr.Element) (res bn254.G2Jac, err error) {
	if len(points) != len(scalars) {
		return res, fmt.Errorf("msm g2: %d points, %d scalars", len(points), len(scalars))
	}
	if len(points) == 0 {
		return res, nil
	}
	defer guard("msm g2", &err)
	err = onDevice(0, func() error {
		cfg := icicle_g2.G2GetDefaultMSMConfig()
		cfg.AreScalarsMontgomeryForm = true
		cfg.AreBasesMontgomeryForm = true
		out := make(icicle_core.HostSlice[icicle_g2.G2Projective], 1)
		code := icicle_g2.G2Msm(icicle_core.HostSliceFromElements(scalars), icicle_core.HostSliceFromElements(points), &cfg, out)
		if e := icicleErr("msm g2", int(code)); e != nil {
			return e
		}
		res = g2FromProjective(&out[0])
		return nil
	})
	return res, err
}

// fpLE reads a little-endian base-field element (ICICLE's standard form).
func fpLE(b []byte) fp.Element {
	e, _ := fp.LittleEndian.Element((*[fp.Bytes]byte)(b))
	return e
}

// g1FromProjective converts ICICLE's projective (X:Y:Z), x = X/Z, to a
// gnark Jacobian point (as gnark's ICICLE prover does).
func g1FromProjective(p icicle_bn254.Projective) bn254.G1Jac {
	px, py, pz := fpLE(p.X.ToBytesLittleEndian()), fpLE(p.Y.ToBytesLittleEndian()), fpLE(p.Z.ToBytesLittleEndian())
	var a bn254.G1Affine
	var zInv fp.Element
	zInv.Inverse(&pz) // 0 for the point at infinity, giving (0,0): gnark's infinity
	a.X.Mul(&px, &zInv)
	a.Y.Mul(&py, &zInv)
	var j bn254.G1Jac
	j.FromAffine(&a)
	return j
}

// e2LE reads an ICICLE G2 base-field element (two little-endian limbs).
func e2LE(f icicle_g2.G2BaseField) bn254.E2 {
	b := f.ToBytesLittleEndian()
	return bn254.E2{A0: fpLE(b[:fp.Bytes]), A1: fpLE(b[fp.Bytes:])}
}

// g2FromProjective converts projective (x/z, y/z) to Jacobian
// (X/Z², Y/Z³): X = x·z, Y = y·z², Z = z.
func g2FromProjective(p *icicle_g2.G2Projective) bn254.G2Jac {
	x, y, z := e2LE(p.X), e2LE(p.Y), e2LE(p.Z)
	var z2 bn254.E2
	z2.Square(&z)
	var j bn254.G2Jac
	j.X.Mul(&x, &z)
	j.Y.Mul(&y, &z2)
	j.Z = z
	return j
}
