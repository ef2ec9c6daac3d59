package ceremony

import (
	"errors"
	"fmt"
	"math/big"
	"math/bits"
	"sync"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// lagrange holds the Lagrange bases of the sealed powers of τ over the
// circuit's FFT domain ω⁰…ωᴺ⁻¹: [Lᵢ(τ)]₁, [αLᵢ(τ)]₁, [βLᵢ(τ)]₁ and
// [Lᵢ(τ)]₂ for i < N. They are what mpcsetup's Phase2.Initialize derives
// with four group FFTs (lagrangeCoeffsG1/G2) before it accumulates the
// circuit's polynomials; the party that starts phase 2 records them in
// the transcript so that the others can check them with one random linear
// combination (checkPhase2Start) instead of repeating the FFTs.
//
// Encoding (160·N bytes): tau1, alpha1, beta1 as N compressed G1 points
// each (32 bytes), then tau2 as N compressed G2 points (64 bytes), each
// point canonical and in the prime-order subgroup.
type lagrange struct {
	tau1, alpha1, beta1 []curve.G1Affine
	tau2                []curve.G2Affine
}

// lagrangeSize is the encoded size of the Lagrange bases for domain n.
func lagrangeSize(n uint64) uint64 { return n * (3*g1Size + g2Size) }

// encode returns the canonical encoding of l.
func (l *lagrange) encode() []byte {
	n := len(l.tau1)
	b := make([]byte, lagrangeSize(uint64(n)))
	off := 0
	for _, v := range [][]curve.G1Affine{l.tau1, l.alpha1, l.beta1} {
		base := off
		parallel(n, func(i int) {
			e := v[i].Bytes()
			copy(b[base+i*g1Size:], e[:])
		})
		off += n * g1Size
	}
	parallel(n, func(i int) {
		e := l.tau2[i].Bytes()
		copy(b[off+i*g2Size:], e[:])
	})
	return b
}

// decodeLagrange decodes the Lagrange bases of domain n on every core,
// checking each point as gnark's decoder does (on the curve, in the
// subgroup) and that it is canonically encoded.
func decodeLagrange(b []byte, n uint64) (*lagrange, error) {
	if want := lagrangeSize(n); uint64(len(b)) != want {
		return nil, fmt.Errorf("Lagrange bases have %d bytes, domain %d wants %d", len(b), n, want)
	}
	l := &lagrange{
		tau1:   make([]curve.G1Affine, n),
		alpha1: make([]curve.G1Affine, n),
		beta1:  make([]curve.G1Affine, n),
		tau2:   make([]curve.G2Affine, n),
	}
	var first firstError
	off := 0
	for k, v := range [][]curve.G1Affine{l.tau1, l.alpha1, l.beta1} {
		base := off
		parallel(int(n), func(i int) {
			if err := setG1(&v[i], b[base+i*g1Size:base+(i+1)*g1Size]); err != nil {
				first.set(fmt.Errorf("%s[%d]: %w", [...]string{"[Lᵢ(τ)]₁", "[αLᵢ(τ)]₁", "[βLᵢ(τ)]₁"}[k], i, err))
			}
		})
		off += int(n) * g1Size
	}
	parallel(int(n), func(i int) {
		if err := setG2(&l.tau2[i], b[off+i*g2Size:off+(i+1)*g2Size]); err != nil {
			first.set(fmt.Errorf("[Lᵢ(τ)]₂[%d]: %w", i, err))
		}
	})
	if first.err != nil {
		return nil, first.err
	}
	return l, nil
}

// jacobian is what the group FFT needs of a point type in Jacobian
// coordinates (curve.G1Jac and curve.G2Jac).
type jacobian[T any] interface {
	*T
	AddAssign(*T) *T
	SubAssign(*T) *T
}

// inverseTwiddles returns ω⁻ᵏ for k < n/2, ω the primitive n-th root of
// unity of gnark's FFT domain of size n.
func inverseTwiddles(n uint64) ([]big.Int, error) {
	w, err := fr.Generator(n)
	if err != nil {
		return nil, err
	}
	w.Inverse(&w)
	tw := make([]big.Int, max(n/2, 1))
	var acc fr.Element
	acc.SetOne()
	for k := range tw {
		acc.BigInt(&tw[k])
		acc.Mul(&acc, &w)
	}
	return tw, nil
}

// groupDFT replaces a (length n, a power of two) by its unscaled inverse
// DFT over the group: aᵢ ← Σₖ ω⁻ⁱᵏ·aₖ, in natural order. It is a
// decimation-in-frequency FFT in Jacobian coordinates, each of its log₂n
// stages spread over every core (mpcsetup's lagrangeCoeffsG1/G2 use affine
// additions, one field inversion each, and split only the top stage).
// mul(p, k) sets p to ω⁻ᵏ·p.
func groupDFT[T any, P jacobian[T]](a []T, mul func(p *T, k int)) {
	n := len(a)
	for m := n / 2; m >= 1; m /= 2 {
		stride := n / (2 * m)
		parallel(n/2, func(idx int) {
			i := idx % m
			lo := (idx/m)*2*m + i
			hi := lo + m
			t := a[lo]
			P(&a[lo]).AddAssign(&a[hi])
			P(&t).SubAssign(&a[hi])
			if i != 0 {
				mul(&t, i*stride)
			}
			a[hi] = t
		})
	}
	bitReverse(a)
}

// bitReverse permutes a (length a power of two) into bit-reversed order.
func bitReverse[T any](a []T) {
	n := uint64(len(a))
	if n < 2 {
		return
	}
	nn := uint64(64 - bits.TrailingZeros64(n))
	for i := uint64(0); i < n; i++ {
		if j := bits.Reverse64(i) >> nn; j > i {
			a[i], a[j] = a[j], a[i]
		}
	}
}

// toJacobian is what scaled needs of curve.G1Jac and curve.G2Jac.
type toJacobian[A, J any] interface {
	*J
	FromAffine(*A) *J
	ScalarMultiplication(*J, *big.Int) *J
}

// scaled returns sᵢ·pᵢ in Jacobian coordinates, on every core; a nil
// scalar leaves the point as it is.
func scaled[A, J any, PJ toJacobian[A, J]](p []A, s func(i int) *fr.Element) []J {
	out := make([]J, len(p))
	parallel(len(p), func(i int) {
		PJ(&out[i]).FromAffine(&p[i])
		if e := s(i); e != nil {
			var b big.Int
			e.BigInt(&b)
			PJ(&out[i]).ScalarMultiplication(&out[i], &b)
		}
	})
	return out
}

// affineG2 converts Jacobian G2 points to affine on every core.
func affineG2(p []curve.G2Jac) []curve.G2Affine {
	out := make([]curve.G2Affine, len(p))
	parallel(len(p), func(i int) { out[i].FromJacobian(&p[i]) })
	return out
}

// sealScalars are the beacon's phase-1 contribution (mpcsetup's
// Phase1.Seal): τ ← x·τ, α ← a·α, β ← b·β.
type sealScalars struct{ x, a, b fr.Element }

// powers returns xᵏ for k < n.
func powers(x *fr.Element, n int) []fr.Element {
	p := make([]fr.Element, n)
	p[0].SetOne()
	for i := 1; i < n; i++ {
		p[i].Mul(&p[i-1], x)
	}
	return p
}

// errLagrange is returned when the recorded Lagrange bases or Z do not
// follow from phase 1.
var errLagrange = errors.New("the recorded Lagrange bases or [τⁱ(τᴺ−1)]₁ do not follow from the sealed phase 1")

// firstError keeps the first error that concurrent workers report.
type firstError struct {
	mu  sync.Mutex
	err error
}

func (f *firstError) set(err error) {
	f.mu.Lock()
	if f.err == nil {
		f.err = err
	}
	f.mu.Unlock()
}
