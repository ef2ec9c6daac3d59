package ceremony

import (
	"math/big"
	"runtime"
	"sync"

	"github.com/consensys/gnark-crypto/ecc"
	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// glvParams are gnark-crypto's BN254 G1 GLV constants (unexported there):
// φ(x, y) = (β·x, y) acts on G1 as multiplication by λ, and the lattice
// splits a scalar s into k₀ + λ·k₁ with k₀, k₁ of about 128 bits.
type glvParams struct {
	beta  fp.Element
	basis ecc.Lattice
}

// glv returns the constants, computed once (they never change).
var glv = sync.OnceValue(func() *glvParams {
	g := new(glvParams)
	g.beta.SetString("2203960485148121921418603742825762020974279258880205651966")
	var lambda big.Int
	lambda.SetString("4407920970296243842393367215006156084916469457145843978461", 10)
	ecc.PrecomputeLattice(fr.Modulus(), &lambda, &g.basis)
	return g
})

// g1Scalar is a scalar prepared for many G1 multiplications: its GLV split
// and width-5 NAF digits, which gnark-crypto's G1Jac.ScalarMultiplication
// recomputes on every call (about an eighth of its time). The group FFT
// multiplies by the same N/2 twiddles in every G1 FFT, and a phase-2
// update multiplies ~10⁵ points by one scalar.
type g1Scalar struct {
	naf        [2][]int8
	neg0, neg1 bool
}

const glvWindow = 5

// newG1Scalar prepares s (any non-negative integer; it is reduced mod r
// by the split).
func newG1Scalar(s *big.Int) g1Scalar {
	k := ecc.SplitScalar(s, &glv().basis)
	var g g1Scalar
	if k[0].Sign() < 0 {
		k[0].Neg(&k[0])
		g.neg0 = true
	}
	if k[1].Sign() < 0 {
		k[1].Neg(&k[1])
		g.neg1 = true
	}
	for i := range g.naf {
		var d [fr.Bits + 1]int8
		n := ecc.WnafDecomposition(&k[i], glvWindow, d[:])
		g.naf[i] = append([]int8(nil), d[:n]...)
	}
	return g
}

// newG1ScalarFr prepares a field element.
func newG1ScalarFr(e *fr.Element) g1Scalar {
	var b big.Int
	e.BigInt(&b)
	return newG1Scalar(&b)
}

// mul sets p to s·p: gnark-crypto's windowed GLV multiplication (mulGLV)
// with the decomposition precomputed; the same result (tested).
func (s *g1Scalar) mul(p *curve.G1Jac) {
	var q [2]curve.G1Jac
	q[0].Set(p)
	q[1].Set(p)
	q[1].X.Mul(&q[1].X, &glv().beta)
	if s.neg0 {
		q[0].Neg(&q[0])
	}
	if s.neg1 {
		q[1].Neg(&q[1])
	}
	maxLen := max(len(s.naf[0]), len(s.naf[1]))
	var res curve.G1Jac
	res.X.SetOne()
	res.Y.SetOne() // the point at infinity (Z = 0)
	if maxLen == 0 {
		p.Set(&res)
		return
	}
	var table [2][1 << (glvWindow - 2)]curve.G1Jac // odd multiples 1, 3, …, 15
	for j := range q {
		var two curve.G1Jac
		two.Double(&q[j])
		table[j][0].Set(&q[j])
		for i := 1; i < len(table[j]); i++ {
			table[j][i].Set(&table[j][i-1]).AddAssign(&two)
		}
	}
	for i := maxLen - 1; i >= 0; i-- {
		res.DoubleAssign()
		for j := range s.naf {
			if i >= len(s.naf[j]) {
				continue
			}
			switch d := s.naf[j][i]; {
			case d > 0:
				res.AddAssign(&table[j][(d-1)/2])
			case d < 0:
				res.SubAssign(&table[j][(-d-1)/2])
			}
		}
	}
	p.Set(&res)
}

// scaleG1 multiplies every point of v by one scalar in place, on every
// core, converting back to affine coordinates in batches (one field
// inversion per batch instead of one per point).
func scaleG1(v []curve.G1Affine, e *fr.Element) {
	s := newG1ScalarFr(e)
	inBatches(len(v), func(lo, hi int) {
		part := v[lo:hi]
		j := make([]curve.G1Jac, len(part))
		for i := range part {
			j[i].FromAffine(&part[i])
			s.mul(&j[i])
		}
		copy(part, curve.BatchJacobianToAffineG1(j))
	})
}

// inBatches calls f on consecutive ranges of [0, n) of at most 256
// indices, on every core.
func inBatches(n int, f func(lo, hi int)) {
	const batch = 256
	var wg sync.WaitGroup
	next := make(chan int, (n+batch-1)/batch)
	for lo := 0; lo < n; lo += batch {
		next <- lo
	}
	close(next)
	for range min(runtime.GOMAXPROCS(0), cap(next)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lo := range next {
				f(lo, min(lo+batch, n))
			}
		}()
	}
	wg.Wait()
}
