//go:build !icicle

package gpu

import (
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// ICICLECompiled reports whether the ICICLE backend is compiled in.
const ICICLECompiled = false

// Available reports the GPU runtime and its devices. Without the icicle
// build tag it returns ErrGPUNotCompiled.
func Available() (Info, error) { return Info{}, ErrGPUNotCompiled }

// MSMG1 computes Σ scalars[i]·points[i] in G1 on the GPU. Without the
// icicle build tag it returns ErrGPUNotCompiled.
func MSMG1(points []bn254.G1Affine, scalars []fr.Element) (bn254.G1Jac, error) {
	return bn254.G1Jac{}, ErrGPUNotCompiled
}

// NTT transforms v in place over the BN254 scalar field (forward, or
// inverse when inverse is set), in natural order. Without the icicle build
// tag it returns ErrGPUNotCompiled.
func NTT(v []fr.Element, inverse bool) error { return ErrGPUNotCompiled }

// MSMG2 computes Σ scalars[i]·points[i] in G2 on the GPU. Without the
// icicle build tag it returns ErrGPUNotCompiled.
func MSMG2(points []bn254.G2Affine, scalars []fr.Element) (bn254.G2Jac, error) {
	return bn254.G2Jac{}, ErrGPUNotCompiled
}
