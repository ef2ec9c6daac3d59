package gpu

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
)

func bigInt(k int) *big.Int { return big.NewInt(int64(k)) }

func nttRoot(t *testing.T, n int) fr.Element {
	t.Helper()
	w, err := fft.Generator(uint64(n))
	if err != nil {
		t.Fatal(err)
	}
	return w
}
