package bench

import (
	"errors"
	"time"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/prover"
)

var errGPUMatMul = errors.New("no GPU exact matmul in this build (cuBLAS path of issue 6)")

// RunVerify proves n proofs of shape s (T=16 each) and measures one
// Verify (median) against one BatchVerify of all n. Verification runs on
// the CPU for either backend (pairings have no GPU path); the backend
// only names the row.
func RunVerify(backend string, kc *keyCache, s circuits.Shape, n int) VerifyRow {
	row := VerifyRow{Backend: backend, Shape: s.String(), Proofs: n}
	keys, err := kc.Keys(s)
	if err != nil {
		row.Status = "error: " + err.Error()
		return row
	}
	items := make([]prover.BatchItem, n)
	for i := range items {
		in, err := newSessionInput(s, 16, uint64(1000+i))
		if err != nil {
			row.Status = "error: " + err.Error()
			return row
		}
		p, err := prover.Prove(keys, in.St, in.A, in.B, in.Salt)
		if err != nil {
			row.Status = "error: " + err.Error()
			return row
		}
		items[i] = prover.BatchItem{Statement: in.St, Commitment: p.Commitment(), Proof: p}
	}
	i := 0
	row.SingleS, _, err = timeIt(2*n, 2*time.Second, func() error {
		it := items[i%n]
		i++
		return prover.Verify(keys.VK, it.Statement, it.Commitment, it.Proof)
	})
	if err != nil {
		row.Status = "error: verify: " + err.Error()
		return row
	}
	row.BatchS, _, err = timeIt(3, 2*time.Second, func() error { return prover.BatchVerify(keys.VK, items) })
	if err != nil {
		row.Status = "error: batch verify: " + err.Error()
		return row
	}
	row.BatchPerProof = row.BatchS / float64(n)
	row.Speedup = float64(n) * row.SingleS / row.BatchS
	row.Status = statusOK
	return row
}
