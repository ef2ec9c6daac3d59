//go:build icicle

package gpu

import (
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

type (
	bn254G1   = bn254.G1Affine
	frElement = fr.Element
)
