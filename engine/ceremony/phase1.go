package ceremony

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/big"
	"runtime"
	"sync"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	cmpc "github.com/consensys/gnark-crypto/ecc/bn254/mpcsetup"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	gio "github.com/consensys/gnark/io"
)

// phase1 is a phase-1 (powers of τ) state: the same values, checks and
// encoding as gnark's mpcsetup.Phase1 (so transcripts are unchanged and
// interoperate), but its updates run on every core; gnark's loop over the
// 5N points of a contribution is serial. Its fields mirror Phase1's
// unexported ones.
type phase1 struct {
	proofs    [3]cmpc.UpdateProof // τ, α, β
	params    mpcsetup.SrsCommons
	challenge []byte // hash of the previous state
}

// newPhase1 is the state before any contribution, for domain n.
func newPhase1(n uint64) *phase1 {
	p := new(phase1)
	_, _, g1, g2 := curve.Generators()
	c := &p.params
	c.G1.Tau = make([]curve.G1Affine, 2*n-1)
	c.G2.Tau = make([]curve.G2Affine, n)
	c.G1.AlphaTau = make([]curve.G1Affine, n)
	c.G1.BetaTau = make([]curve.G1Affine, n)
	for _, s := range [][]curve.G1Affine{c.G1.Tau, c.G1.AlphaTau, c.G1.BetaTau} {
		for i := range s {
			s[i] = g1
		}
	}
	for i := range c.G2.Tau {
		c.G2.Tau[i] = g2
	}
	c.G2.Beta = g2
	return p
}

// WriteTo writes gnark's Phase1 encoding.
func (p *phase1) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for i := range p.proofs {
		dn, err := p.proofs[i].WriteTo(w)
		n += dn
		if err != nil {
			return n, err
		}
	}
	dn, err := p.params.WriteTo(w)
	n += dn
	if err != nil {
		return n, err
	}
	dn, err = gio.WriteBytesShort(p.challenge, w)
	return n + dn, err
}

// ReadFrom reads gnark's Phase1 encoding.
func (p *phase1) ReadFrom(r io.Reader) (int64, error) {
	var n int64
	for i := range p.proofs {
		dn, err := p.proofs[i].ReadFrom(r)
		n += dn
		if err != nil {
			return n, err
		}
	}
	dn, err := p.params.ReadFrom(r)
	n += dn
	if err != nil {
		return n, err
	}
	ch, dn, err := gio.ReadBytesShort(r)
	p.challenge = ch
	return n + dn, err
}

func (p *phase1) hash() []byte {
	h := sha256.New()
	if _, err := p.WriteTo(h); err != nil {
		panic(err) // hashing does not fail; a malformed state is a bug
	}
	return h.Sum(nil)
}

// Contribute samples τ, α, β from crypto/rand, proves knowledge of them
// and updates the state (mpcsetup.Phase1.Contribute).
func (p *phase1) Contribute() {
	p.challenge = p.hash()
	var tau, alpha, beta fr.Element
	p.proofs[0] = cmpc.UpdateValues(&tau, p.challenge, mpcsetup.DST_TAU)
	p.proofs[1] = cmpc.UpdateValues(&alpha, p.challenge, mpcsetup.DST_ALPHA)
	p.proofs[2] = cmpc.UpdateValues(&beta, p.challenge, mpcsetup.DST_BETA)
	p.update(&tau, &alpha, &beta)
}

// Seal applies the beacon's contribution and returns the whole sealed
// SRS (mpcsetup.Phase1.Seal). It modifies p. The ceremony itself never
// materialises the sealed SRS (computePhase2Start and checkPhase2Start
// fold the seal's scalars into their own work); the tests compare those
// with gnark's Initialize on this.
func (p *phase1) Seal(beacon []byte) mpcsetup.SrsCommons {
	c := sealScalarsOf(p, beacon)
	p.update(&c.x, &c.a, &c.b)
	return p.params
}

// Verify checks next against p as mpcsetup.Phase1.Verify does: the
// challenge, the proofs of knowledge of the τ, α, β updates, and that
// every vector holds consecutive powers.
func (p *phase1) Verify(next *phase1) error {
	challenge := p.hash()
	if len(next.challenge) != 0 && !bytes.Equal(next.challenge, challenge) {
		return errors.New("the challenge does not match the previous contribution's hash")
	}
	next.challenge = challenge
	if len(next.params.G2.Tau) != len(p.params.G2.Tau) {
		return errors.New("domain size mismatch")
	}
	pc, nc := &p.params, &next.params
	if err := next.proofs[0].Verify(challenge, mpcsetup.DST_TAU, cmpc.ValueUpdate{Previous: &pc.G1.Tau[1], Next: &nc.G1.Tau[1]}); err != nil {
		return fmt.Errorf("failed to verify contribution to τ: %w", err)
	}
	if err := next.proofs[1].Verify(challenge, mpcsetup.DST_ALPHA, cmpc.ValueUpdate{Previous: pc.G1.AlphaTau[0], Next: nc.G1.AlphaTau[0]}); err != nil {
		return fmt.Errorf("failed to verify contribution to α: %w", err)
	}
	if err := next.proofs[2].Verify(challenge, mpcsetup.DST_BETA,
		cmpc.ValueUpdate{Previous: &pc.G1.BetaTau[0], Next: &nc.G1.BetaTau[0]},
		cmpc.ValueUpdate{Previous: &pc.G2.Beta, Next: &nc.G2.Beta}); err != nil {
		return fmt.Errorf("failed to verify contribution to β: %w", err)
	}
	return cmpc.SameRatioMany(nc.G1.Tau, nc.G2.Tau, nc.G1.AlphaTau, nc.G1.BetaTau)
}

// update multiplies [τⁱ] by τ'ⁱ, [ατⁱ] by α'τ'ⁱ and [βτⁱ] by β'τ'ⁱ (and
// [β]₂ by β'), in parallel: the same values as gnark's serial update.
func (p *phase1) update(tau, alpha, beta *fr.Element) {
	c := &p.params
	n := len(c.G2.Tau)
	pow := make([]fr.Element, len(c.G1.Tau)) // τ'ⁱ
	pow[0].SetOne()
	for i := 1; i < len(pow); i++ {
		pow[i].Mul(&pow[i-1], tau)
	}
	var b big.Int
	beta.BigInt(&b)
	c.G2.Beta.ScalarMultiplication(&c.G2.Beta, &b)
	// G1: Jacobian multiplications, converted back in batches (one field
	// inversion per batch instead of one per point).
	scaleBatch := func(v []curve.G1Affine, scalar func(i int, e *fr.Element)) {
		inBatches(len(v), func(lo, hi int) {
			j := make([]curve.G1Jac, hi-lo)
			var e fr.Element
			var s big.Int
			for i := lo; i < hi; i++ {
				j[i-lo].FromAffine(&v[i])
				scalar(i, &e)
				j[i-lo].ScalarMultiplication(&j[i-lo], e.BigInt(&s))
			}
			copy(v[lo:hi], curve.BatchJacobianToAffineG1(j))
		})
	}
	scaleBatch(c.G1.Tau, func(i int, e *fr.Element) { e.Set(&pow[i]) })
	scaleBatch(c.G1.AlphaTau, func(i int, e *fr.Element) { e.Mul(&pow[i], alpha) })
	scaleBatch(c.G1.BetaTau, func(i int, e *fr.Element) { e.Mul(&pow[i], beta) })
	parallel(n-1, func(i int) {
		var s big.Int
		pow[i+1].BigInt(&s)
		c.G2.Tau[i+1].ScalarMultiplication(&c.G2.Tau[i+1], &s)
	})
}

// parallel calls f(i) for i in [0, n) on every core, in interleaved
// blocks so that the costlier indices are shared.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), max(n/64, 1))
	const block = 64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for start := w * block; start < n; start += workers * block {
				for i := start; i < min(start+block, n); i++ {
					f(i)
				}
			}
		}()
	}
	wg.Wait()
}

// decodePhase1Points decodes the canonical (compressed) encoding of a
// phase-1 state for domain n, whose size the caller checked, decompressing
// the points on every core (gnark's decoder is serial). Every point is
// checked as gnark's decoder checks it (on the curve, in the subgroup) and
// must re-encode to the same bytes.
func decodePhase1Points(b []byte, n uint64) (*phase1, error) {
	p := new(phase1)
	r := bytes.NewReader(b)
	for i := range p.proofs {
		if _, err := p.proofs[i].ReadFrom(r); err != nil {
			return nil, fmt.Errorf("update proof %d: %w", i, err)
		}
	}
	off := 3*proofSize + 8 // the proofs, then the domain size
	c := &p.params
	c.G1.Tau = make([]curve.G1Affine, 2*n-1)
	c.G2.Tau = make([]curve.G2Affine, n)
	c.G1.AlphaTau = make([]curve.G1Affine, n)
	c.G1.BetaTau = make([]curve.G1Affine, n)
	_, _, c.G1.Tau[0], c.G2.Tau[0] = curve.Generators()
	if err := setG2(&c.G2.Beta, b[off:off+g2Size]); err != nil {
		return nil, fmt.Errorf("[β]₂: %w", err)
	}
	off += g2Size
	var first firstError
	g1s := func(what string, dst []curve.G1Affine) {
		base := off
		off += len(dst) * g1Size
		parallel(len(dst), func(i int) {
			if err := setG1(&dst[i], b[base+i*g1Size:base+(i+1)*g1Size]); err != nil {
				first.set(fmt.Errorf("%s[%d]: %w", what, i, err))
			}
		})
	}
	g1s("[τⁱ]₁", c.G1.Tau[1:])
	tau2 := c.G2.Tau[1:]
	base := off
	off += len(tau2) * g2Size
	parallel(len(tau2), func(i int) {
		if err := setG2(&tau2[i], b[base+i*g2Size:base+(i+1)*g2Size]); err != nil {
			first.set(fmt.Errorf("[τⁱ]₂[%d]: %w", i+1, err))
		}
	})
	g1s("[βτⁱ]₁", c.G1.BetaTau)
	g1s("[ατⁱ]₁", c.G1.AlphaTau)
	if first.err != nil {
		return nil, first.err
	}
	if off+1+hashSize != len(b) || b[off] != hashSize {
		return nil, errors.New("bad challenge")
	}
	p.challenge = bytes.Clone(b[off+1:])
	return p, nil
}

// setG1 decodes one compressed G1 point, canonically.
func setG1(p *curve.G1Affine, b []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder panicked: %v", r)
		}
	}()
	if _, err := p.SetBytes(b); err != nil {
		return err
	}
	if e := p.Bytes(); !bytes.Equal(e[:], b) {
		return errors.New("not canonically encoded")
	}
	return nil
}

// setG2 decodes one compressed G2 point, canonically.
func setG2(p *curve.G2Affine, b []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder panicked: %v", r)
		}
	}()
	if _, err := p.SetBytes(b); err != nil {
		return err
	}
	if e := p.Bytes(); !bytes.Equal(e[:], b) {
		return errors.New("not canonically encoded")
	}
	return nil
}
