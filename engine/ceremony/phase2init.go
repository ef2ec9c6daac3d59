package ceremony

import (
	"encoding/binary"
	"fmt"
	"math/big"
	"math/bits"
	"slices"

	"github.com/consensys/gnark-crypto/ecc"
	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	cmpc "github.com/consensys/gnark-crypto/ecc/bn254/mpcsetup"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	"github.com/consensys/gnark/constraint"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
)

// phase2Start is what phase 2 is initialised from: the Lagrange bases of
// the sealed phase 1, Z = [τⁱ(τᴺ−1)]₁ for i < N−1 in gnark's (bit-reversed)
// order, and the sealed [α]₁, [β]₁, [β]₂.
//
// mpcsetup seals phase 1 into the whole SRS (4N−1 G1 and N+1 G2 points)
// and Phase2.Initialize then runs four group FFTs over it. The party that
// starts phase 2 computes the same values here: each FFT input is the
// unsealed point times one scalar (the beacon's scalars and the FFT's 1/N
// folded together), [τⁱ]₁ is also sealed once for Z, and the FFTs run in
// Jacobian coordinates on every core (computePhase2Start); every other
// party checks them against the unsealed phase 1 with one random linear
// combination (checkPhase2Start) and computes neither.
type phase2Start struct {
	n      uint64
	lag    *lagrange
	z      []curve.G1Affine
	alpha1 curve.G1Affine
	beta1  curve.G1Affine
	beta2  curve.G2Affine
}

// sealScalarsOf returns the beacon's contribution that seals last1, as
// mpcsetup's Phase1.Seal derives it.
func sealScalarsOf(last1 *phase1, beacon []byte) sealScalars {
	c := cmpc.BeaconContributions(last1.hash(), []byte("Groth16 MPC Setup - Phase 1"), beacon, 3)
	return sealScalars{x: c[0], a: c[1], b: c[2]}
}

// heads returns the sealed [α]₁, [β]₁ and [β]₂ (the first of each vector).
func (s *sealScalars) heads(c *mpcsetup.SrsCommons) (a1, b1 curve.G1Affine, b2 curve.G2Affine) {
	var a, b big.Int
	s.a.BigInt(&a)
	s.b.BigInt(&b)
	a1.ScalarMultiplication(&c.G1.AlphaTau[0], &a)
	b1.ScalarMultiplication(&c.G1.BetaTau[0], &b)
	b2.ScalarMultiplication(&c.G2.Beta, &b)
	return
}

// computePhase2Start seals last1 with the beacon (without modifying it)
// and computes the Lagrange bases and Z.
func computePhase2Start(last1 *phase1, beacon []byte) (*phase2Start, error) {
	c := &last1.params
	n := uint64(len(c.G2.Tau))
	s := sealScalarsOf(last1, beacon)
	tw, err := inverseTwiddles(n)
	if err != nil {
		return nil, err
	}
	pow := powers(&s.x, int(2*n-1))
	st := &phase2Start{n: n}
	st.alpha1, st.beta1, st.beta2 = s.heads(c)

	// Z[j] = [x^(i+N)τ^(i+N)]₁ − [xⁱτⁱ]₁ for i = bitreverse(j) < N−1.
	sealed := scaled[curve.G1Affine, curve.G1Jac](c.G1.Tau, func(i int) *fr.Element {
		if i == 0 {
			return nil
		}
		return &pow[i]
	})
	nn := 64 - uint64(bits.TrailingZeros64(n))
	zj := make([]curve.G1Jac, n-1)
	parallel(int(n-1), func(j int) {
		i := reverse(uint64(j), nn)
		zj[j] = sealed[i+n]
		zj[j].SubAssign(&sealed[i])
	})
	sealed = nil
	st.z = curve.BatchJacobianToAffineG1(zj)
	zj = nil

	// FFT inputs: the sealed powers times 1/N.
	var invN fr.Element
	invN.SetUint64(n).Inverse(&invN)
	scale := func(f *fr.Element) []fr.Element {
		out := make([]fr.Element, n)
		parallel(int(n), func(k int) {
			out[k].Mul(&pow[k], &invN)
			if f != nil {
				out[k].Mul(&out[k], f)
			}
		})
		return out
	}
	lag := new(lagrange)
	tw1 := make([]g1Scalar, len(tw)) // shared by the three G1 FFTs
	parallel(len(tw), func(k int) { tw1[k] = newG1Scalar(&tw[k]) })
	mul1 := func(p *curve.G1Jac, k int) { tw1[k].mul(p) }
	plain := scale(nil) // xᵏ/N, the τ inputs of both groups
	g1 := func(p []curve.G1Affine, f *fr.Element) []curve.G1Affine {
		sc := plain
		if f != nil {
			sc = scale(f)
		}
		j := scaled[curve.G1Affine, curve.G1Jac](p[:n], func(k int) *fr.Element { return &sc[k] })
		groupDFT[curve.G1Jac](j, mul1)
		return curve.BatchJacobianToAffineG1(j)
	}
	lag.tau1 = g1(c.G1.Tau, nil)
	lag.alpha1 = g1(c.G1.AlphaTau, &s.a)
	lag.beta1 = g1(c.G1.BetaTau, &s.b)
	j2 := scaled[curve.G2Affine, curve.G2Jac](c.G2.Tau, func(k int) *fr.Element { return &plain[k] })
	groupDFT[curve.G2Jac](j2, func(p *curve.G2Jac, k int) { p.ScalarMultiplication(p, &tw[k]) })
	lag.tau2 = affineG2(j2)
	st.lag = lag
	return st, nil
}

// checkPhase2Start checks that lag and z are what computePhase2Start
// derives from last1 and the beacon, without any group FFT: for random
// ρ (from crypto/rand), Σᵢρᵢ[Lᵢ(τ)] = Σₖcₖ[τᵏ] where c = iFFT(ρ) are the
// monomial coefficients of Σᵢρᵢ·Lᵢ(X); the beacon's scalars fold into c.
// Independent ρ for each of the five vectors make one G1 and one G2
// multi-exponentiation equation; a wrong point passes with probability
// at most 1/r. It returns the phase-2 start with the checked values.
func checkPhase2Start(last1 *phase1, beacon []byte, lag *lagrange, z []curve.G1Affine) (*phase2Start, error) {
	c := &last1.params
	n := uint64(len(c.G2.Tau))
	if uint64(len(lag.tau1)) != n || uint64(len(lag.alpha1)) != n || uint64(len(lag.beta1)) != n ||
		uint64(len(lag.tau2)) != n || uint64(len(z)) != n-1 {
		return nil, fmt.Errorf("%w: sizes do not match domain %d", errLagrange, n)
	}
	s := sealScalarsOf(last1, beacon)
	pow := powers(&s.x, int(2*n-1))
	domain := fft.NewDomain(n)
	rho := make([][]fr.Element, 5) // tau1, alpha1, beta1, tau2, z
	coef := make([][]fr.Element, 4)
	for k := range rho {
		size := n
		if k == 4 {
			size = n - 1
		}
		rho[k] = make([]fr.Element, size)
		for i := range rho[k] {
			if _, err := rho[k][i].SetRandom(); err != nil {
				return nil, err
			}
		}
		if k < 4 {
			coef[k] = slices.Clone(rho[k])
			domain.FFTInverse(coef[k], fft.DIF)
			fft.BitReverse(coef[k])
		}
	}
	// Coefficients over the unsealed phase-1 vectors.
	eTau := make([]fr.Element, 2*n-1)
	eAlpha := make([]fr.Element, n)
	eBeta := make([]fr.Element, n)
	eTau2 := make([]fr.Element, n)
	parallel(int(n), func(k int) {
		eTau[k].Mul(&coef[0][k], &pow[k])
		eAlpha[k].Mul(&coef[1][k], &pow[k]).Mul(&eAlpha[k], &s.a)
		eBeta[k].Mul(&coef[2][k], &pow[k]).Mul(&eBeta[k], &s.b)
		eTau2[k].Mul(&coef[3][k], &pow[k])
	})
	nn := 64 - uint64(bits.TrailingZeros64(n))
	for j := uint64(0); j < n-1; j++ { // Z[j] = x^(i+N)[τ^(i+N)] − xⁱ[τⁱ], i = bitreverse(j)
		i := reverse(j, nn)
		var t fr.Element
		t.Mul(&rho[4][j], &pow[i])
		eTau[i].Sub(&eTau[i], &t)
		t.Mul(&rho[4][j], &pow[i+n])
		eTau[i+n].Add(&eTau[i+n], &t)
	}
	var (
		lhs1, rhs1 curve.G1Jac
		lhs2, rhs2 curve.G2Jac
		errs       [4]error
	)
	cfg := ecc.MultiExpConfig{}
	msm1 := func(dst *curve.G1Jac, err *error, pts [][]curve.G1Affine, sc [][]fr.Element) {
		_, *err = dst.MultiExp(slices.Concat(pts...), slices.Concat(sc...), cfg)
	}
	// Each MultiExp uses every core; run them one after the other.
	msm1(&lhs1, &errs[0], [][]curve.G1Affine{lag.tau1, lag.alpha1, lag.beta1, z}, [][]fr.Element{rho[0], rho[1], rho[2], rho[4]})
	msm1(&rhs1, &errs[1], [][]curve.G1Affine{c.G1.Tau, c.G1.AlphaTau, c.G1.BetaTau}, [][]fr.Element{eTau, eAlpha, eBeta})
	_, errs[2] = lhs2.MultiExp(lag.tau2, rho[3], cfg)
	_, errs[3] = rhs2.MultiExp(c.G2.Tau, eTau2, cfg)
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if !lhs1.Equal(&rhs1) || !lhs2.Equal(&rhs2) {
		return nil, errLagrange
	}
	st := &phase2Start{n: n, lag: lag, z: z}
	st.alpha1, st.beta1, st.beta2 = s.heads(c)
	return st, nil
}

// commons returns the part of the sealed SRS that Phase2.Seal reads: the
// domain size (len(G1.AlphaTau)), [α]₁, [β]₁ and [β]₂. The other points
// are left zero.
func (st *phase2Start) commons() mpcsetup.SrsCommons {
	var c mpcsetup.SrsCommons
	c.G1.AlphaTau = make([]curve.G1Affine, st.n)
	c.G1.AlphaTau[0] = st.alpha1
	c.G1.BetaTau = []curve.G1Affine{st.beta1}
	c.G2.Beta = st.beta2
	return c
}

// initialize is mpcsetup's Phase2.Initialize with the Lagrange bases and Z
// taken from st instead of computed: the same accumulation over the
// constraints, the same state and evaluations (tested byte for byte). The
// caller checked that the circuit fits the domain (its constraints are at
// most st.n, which Party and replay ensure through the domain size).
func initialize(r1cs *csbn254.R1CS, st *phase2Start) (*mpcsetup.Phase2, mpcsetup.Phase2Evaluations) {
	coeffTau1, coeffTau2 := st.lag.tau1, st.lag.tau2
	coeffAlphaTau1, coeffBetaTau1 := st.lag.alpha1, st.lag.beta1

	nbInternal, nbSecret, nbPublic := r1cs.GetNbVariables()
	nWires := nbInternal + nbSecret + nbPublic
	var evals mpcsetup.Phase2Evaluations
	commitments := r1cs.CommitmentInfo.(constraint.Groth16Commitments)
	evals.PublicAndCommitmentCommitted = commitments.GetPublicAndCommitmentCommitted(commitments.CommitmentIndexes(), nbPublic)
	evals.G1.A = make([]curve.G1Affine, nWires)
	evals.G1.B = make([]curve.G1Affine, nWires)
	evals.G2.B = make([]curve.G2Affine, nWires)
	bA := make([]curve.G1Affine, nWires)
	aB := make([]curve.G1Affine, nWires)
	C := make([]curve.G1Affine, nWires)

	i := 0
	it := r1cs.GetR1CIterator()
	for c := it.Next(); c != nil; c = it.Next() {
		for _, t := range c.L {
			accumulate(r1cs, &evals.G1.A[t.WireID()], t, &coeffTau1[i])
			accumulate(r1cs, &bA[t.WireID()], t, &coeffBetaTau1[i])
		}
		for _, t := range c.R {
			accumulate(r1cs, &evals.G1.B[t.WireID()], t, &coeffTau1[i])
			accumulate(r1cs, &evals.G2.B[t.WireID()], t, &coeffTau2[i])
			accumulate(r1cs, &aB[t.WireID()], t, &coeffAlphaTau1[i])
		}
		for _, t := range c.O {
			accumulate(r1cs, &C[t.WireID()], t, &coeffTau1[i])
		}
		i++
	}

	p := new(mpcsetup.Phase2)
	_, _, g1, g2 := curve.Generators()
	p.Parameters.G1.Delta = g1
	p.Parameters.G2.Delta = g2
	p.Parameters.G1.Z = slices.Clone(st.z)

	evals.G1.CKK = make([][]curve.G1Affine, len(commitments))
	p.Sigmas = make([]cmpc.UpdateProof, len(commitments))
	p.Parameters.G1.SigmaCKK = make([][]curve.G1Affine, len(commitments))
	p.Parameters.G2.Sigma = make([]curve.G2Affine, len(commitments))
	for j := range commitments {
		evals.G1.CKK[j] = make([]curve.G1Affine, 0, len(commitments[j].PrivateCommitted))
		p.Parameters.G2.Sigma[j] = g2
	}
	private := commitments.GetPrivateCommitted()
	nbCommitted := 0
	for _, s := range private {
		nbCommitted += len(s)
	}
	p.Parameters.G1.PKK = make([]curve.G1Affine, 0, nbInternal+nbSecret-nbCommitted-len(commitments))
	evals.G1.VKK = make([]curve.G1Affine, 0, nbPublic+len(commitments))
	committed := newMergeIterator(private)
	nbCommitmentsSeen := 0
	for j := 0; j < nWires; j++ {
		var tmp curve.G1Affine
		tmp.Add(&bA[j], &aB[j])
		tmp.Add(&tmp, &C[j])
		commitmentIndex := committed.indexIfNext(j)
		isCommitment := nbCommitmentsSeen < len(commitments) && commitments[nbCommitmentsSeen].CommitmentIndex == j
		switch {
		case commitmentIndex != -1:
			evals.G1.CKK[commitmentIndex] = append(evals.G1.CKK[commitmentIndex], tmp)
		case j < nbPublic || isCommitment:
			evals.G1.VKK = append(evals.G1.VKK, tmp)
		default:
			p.Parameters.G1.PKK = append(p.Parameters.G1.PKK, tmp)
		}
		if isCommitment {
			nbCommitmentsSeen++
		}
	}
	for j := range commitments {
		p.Parameters.G1.SigmaCKK[j] = slices.Clone(evals.G1.CKK[j])
	}
	p.Challenge = nil
	return p, evals
}

// affine is what accumulate needs of curve.G1Affine and curve.G2Affine.
type affine[T any] interface {
	*T
	Add(*T, *T) *T
	Sub(*T, *T) *T
	ScalarMultiplication(*T, *big.Int) *T
}

// accumulate adds the term's coefficient times value to res, as gnark's
// Initialize does (small coefficients by additions).
func accumulate[T any, P affine[T]](r1cs *csbn254.R1CS, res *T, t constraint.Term, value *T) {
	switch cID := t.CoeffID(); cID {
	case constraint.CoeffIdZero:
	case constraint.CoeffIdOne:
		P(res).Add(res, value)
	case constraint.CoeffIdMinusOne:
		P(res).Sub(res, value)
	case constraint.CoeffIdTwo:
		P(res).Add(res, value)
		P(res).Add(res, value)
	default:
		var tmp T
		var vBi big.Int
		r1cs.Coefficients[cID].BigInt(&vBi)
		P(&tmp).ScalarMultiplication(value, &vBi)
		P(res).Add(res, &tmp)
	}
}

// mergeIterator walks the merge of sorted slices (gnark's internal
// MergeIterator, which Initialize uses to place committed wires).
type mergeIterator struct {
	slices [][]int
	least  int
}

func newMergeIterator(s [][]int) *mergeIterator {
	it := &mergeIterator{slices: slices.Clone(s)}
	it.findLeast()
	return it
}

func (it *mergeIterator) findLeast() {
	it.least = -1
	best := 0
	for j, s := range it.slices {
		if len(s) != 0 && (it.least == -1 || s[0] < best) {
			best, it.least = s[0], j
		}
	}
}

// indexIfNext returns the index of the slice whose next value is v and
// advances past it, or -1 if the merge's next value is not v.
func (it *mergeIterator) indexIfNext(v int) int {
	if it.least == -1 || it.slices[it.least][0] != v {
		return -1
	}
	j := it.least
	it.slices[j] = it.slices[j][1:]
	it.findLeast()
	return j
}

// phase2Z decodes Z from an encoded phase-2 state (gnark's order: the
// number of commitments, [δ]₁, PKK, Z, …) on every core (gnark's decoder
// is serial).
func phase2Z(b []byte, n uint64) ([]curve.G1Affine, error) {
	if _, err := scanPhase2(b); err != nil {
		return nil, err
	}
	off := uint64(2 + g1Size) // number of commitments, [δ]₁
	off += 4 + uint64(binary.BigEndian.Uint32(b[off:]))*g1Size
	if got := uint64(binary.BigEndian.Uint32(b[off:])); got != n-1 {
		return nil, fmt.Errorf("phase-2 state has %d points in Z, domain %d wants %d", got, n, n-1)
	}
	off += 4
	z := make([]curve.G1Affine, n-1)
	var first firstError
	base := int(off)
	parallel(len(z), func(i int) {
		if err := setG1(&z[i], b[base+i*g1Size:base+(i+1)*g1Size]); err != nil {
			first.set(fmt.Errorf("phase-2 state: Z[%d]: %w", i, err))
		}
	})
	return z, first.err
}

// reverse returns the bit reversal of i within log₂N bits (nn = 64−log₂N).
func reverse(i, nn uint64) uint64 {
	return bits.Reverse64(i) >> nn
}
