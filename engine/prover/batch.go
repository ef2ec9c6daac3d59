package prover

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/hash_to_field"
	"github.com/consensys/gnark/constraint"
	"github.com/zklora/zklora/circuits"
)

// BatchItem is one proof to batch-verify: the statement B recomputed, the
// commitment pinned for the module, and the proof.
type BatchItem struct {
	Statement  circuits.Statement
	Commitment []byte
	Proof      *Proof
}

// BatchError is returned by BatchVerify when some items fail. Failed holds
// their indices in ascending order and Errs the reason for each.
type BatchError struct {
	Total  int
	Failed []int
	Errs   map[int]error
}

// Error names every failing item.
func (e *BatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "batch verify: %d of %d proofs failed", len(e.Failed), e.Total)
	for _, i := range e.Failed {
		fmt.Fprintf(&b, "; item %d: %v", i, e.Errs[i])
	}
	return b.String()
}

// Unwrap returns the errors of the failing items.
func (e *BatchError) Unwrap() []error {
	out := make([]error, 0, len(e.Failed))
	for _, i := range e.Failed {
		out = append(out, e.Errs[i])
	}
	return out
}

// batchScalarBytes is the size of the random combination scalars: 128
// bits, so a batch with any invalid proof passes with probability ≤ 2^-128.
const batchScalarBytes = 16

// BatchVerify verifies N proofs under one verifying key with one final
// exponentiation. With independent random 128-bit scalars r_i and ρ_i it
// checks
//
//	Π e(r_i·A_i, B_i) · e(Σr_i·L_i, −γ) · e(Σr_i·C_i, −δ) · e(−Σr_i·α, β)
//	  · e(Σρ_i·D_i, −σG) · e(Σρ_i·P_i, G) = 1
//
// where L_i = K₀ + Σ_j x_ij·K_j + h_i·K_h + D_i is the public-input point
// (computed for all items as one MSM over K and the commitments, with
// merged scalars), D_i the commitment, h_i its hash into Fr, and P_i the
// commitment's proof of knowledge; the last two pairings are the batched
// Pedersen checks. Every item's commitment must equal its pinned one and
// every point is checked to be in its subgroup. On failure it verifies the
// items one by one and returns a *BatchError naming the failing indices.
func BatchVerify(vk *VerifyingKey, items []BatchItem) error {
	if vk == nil {
		return errors.New("batch verify: nil key")
	}
	switch len(items) {
	case 0:
		return nil
	case 1:
		if err := verifyItem(vk, items[0]); err != nil {
			return &BatchError{Total: 1, Failed: []int{0}, Errs: map[int]error{0: err}}
		}
		return nil
	}
	bad := map[int]error{}
	good := make([]int, 0, len(items))
	for i, it := range items {
		if err := precheck(vk, it); err != nil {
			bad[i] = err
			continue
		}
		good = append(good, i)
	}
	if len(good) > 0 {
		ok, err := batchCheck(vk, items, good)
		if err != nil || !ok {
			// Locate the failures.
			for _, i := range good {
				if err := verifyItem(vk, items[i]); err != nil {
					bad[i] = err
				}
			}
			if len(bad) == 0 {
				// Cannot happen for a correct implementation; fail closed.
				for _, i := range good {
					bad[i] = fmt.Errorf("%w: the batch check failed (%v) though the proof verifies alone", ErrInvalidProof, err)
				}
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	be := &BatchError{Total: len(items), Errs: bad}
	for i := range bad {
		be.Failed = append(be.Failed, i)
	}
	sort.Ints(be.Failed)
	return be
}

// verifyItem verifies one item alone.
func verifyItem(vk *VerifyingKey, it BatchItem) error {
	if it.Proof == nil {
		return errors.New("nil proof")
	}
	return Verify(vk, it.Statement, it.Commitment, it.Proof)
}

// precheck runs the per-item checks that need no pairing.
func precheck(vk *VerifyingKey, it BatchItem) error {
	if it.Proof == nil {
		return errors.New("nil proof")
	}
	if err := checkStatement(vk, it.Statement); err != nil {
		return err
	}
	if err := checkPinned(it.Proof, it.Commitment); err != nil {
		return err
	}
	if err := checkProofPoints(&it.Proof.p); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidProof, err)
	}
	return nil
}

// commitmentHash hashes a commitment into Fr exactly as gnark's Groth16
// prover and verifier do (the value of the commitment wire).
func commitmentHash(c *bn254.G1Affine) fr.Element {
	h := hash_to_field.New([]byte(constraint.CommitmentDst))
	h.Write(constraint.SerializeCommitment(c.Marshal(), nil, (fr.Bits-1)/8+1))
	sum := h.Sum(nil)
	n := fr.Bytes
	if h.Size() < n {
		n = h.Size()
	}
	var e fr.Element
	e.SetBytes(sum[:n])
	return e
}

// randomScalars draws n non-zero 128-bit scalars from crypto/rand.
func randomScalars(n int) ([]fr.Element, error) {
	buf := make([]byte, n*batchScalarBytes)
	if _, err := rand.Read(buf); err != nil {
		return nil, fmt.Errorf("batch verify: %w", err)
	}
	out := make([]fr.Element, n)
	for i := range out {
		out[i].SetBytes(buf[i*batchScalarBytes : (i+1)*batchScalarBytes])
		if out[i].IsZero() {
			out[i].SetOne()
		}
	}
	return out, nil
}

// batchCheck runs the combined pairing check over items[idx].
func batchCheck(vk *VerifyingKey, items []BatchItem, idx []int) (bool, error) {
	n := len(idx)
	d := vk.shape.D
	r, err := randomScalars(n)
	if err != nil {
		return false, err
	}
	rho, err := randomScalars(n)
	if err != nil {
		return false, err
	}
	K := vk.vk.G1.K // [one, x̄ (d), γ, z̄, commitment hash]

	// One MSM for Σ r_i·L_i: bases K ‖ D_1..D_n, merged scalars.
	bases := make([]bn254.G1Affine, 0, len(K)+n)
	bases = append(bases, K...)
	scalars := make([]fr.Element, len(K)+n)
	var rSum, t fr.Element
	for k, i := range idx {
		it := &items[i]
		p := &it.Proof.p
		rk := &r[k]
		rSum.Add(&rSum, rk)
		st := &it.Statement
		for j := range st.Xbar {
			t.Mul(rk, &st.Xbar[j])
			scalars[1+j].Add(&scalars[1+j], &t)
		}
		t.Mul(rk, &st.Gamma)
		scalars[1+d].Add(&scalars[1+d], &t)
		t.Mul(rk, &st.Zbar)
		scalars[2+d].Add(&scalars[2+d], &t)
		h := commitmentHash(&p.Commitments[0])
		t.Mul(rk, &h)
		scalars[3+d].Add(&scalars[3+d], &t)
		bases = append(bases, p.Commitments[0])
		scalars[len(K)+k] = *rk
	}
	scalars[0] = rSum

	var sumL, sumKrs, sumD, sumPok, alphaR bn254.G1Affine
	if _, err := sumL.MultiExp(bases, scalars, ecc.MultiExpConfig{}); err != nil {
		return false, err
	}
	krs := make([]bn254.G1Affine, n)
	ds := make([]bn254.G1Affine, n)
	poks := make([]bn254.G1Affine, n)
	P := make([]bn254.G1Affine, 0, n+5)
	Q := make([]bn254.G2Affine, 0, n+5)
	for k, i := range idx {
		p := &items[i].Proof.p
		krs[k], ds[k], poks[k] = p.Krs, p.Commitments[0], p.CommitmentPok
		var a bn254.G1Affine
		a.ScalarMultiplication(&p.Ar, r[k].BigInt(new(big.Int)))
		P = append(P, a)
		Q = append(Q, p.Bs)
	}
	if _, err := sumKrs.MultiExp(krs, r, ecc.MultiExpConfig{}); err != nil {
		return false, err
	}
	if _, err := sumD.MultiExp(ds, rho, ecc.MultiExpConfig{}); err != nil {
		return false, err
	}
	if _, err := sumPok.MultiExp(poks, rho, ecc.MultiExpConfig{}); err != nil {
		return false, err
	}
	alphaR.ScalarMultiplication(&vk.alphaNeg, rSum.BigInt(new(big.Int)))
	ck := &vk.vk.CommitmentKeys[0]
	P = append(P, sumL, sumKrs, alphaR, sumD, sumPok)
	Q = append(Q, vk.gammaNeg, vk.deltaNeg, vk.vk.G2.Beta, ck.GSigmaNeg, ck.G)
	return bn254.PairingCheck(P, Q)
}
