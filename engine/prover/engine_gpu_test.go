//go:build icicle

package prover

import (
	"testing"
	"time"

	"github.com/zklora/zklora/circuits"
)

// TestGPUEngineSessionProofs: session proofs made on the GPU (keys pinned
// once, several proofs, ProveMany too) verify with the CPU verifier and
// carry the same commitment as a CPU proof. Run on a GPU host.
func TestGPUEngineSessionProofs(t *testing.T) {
	s := circuits.Shape{D: 768, R: 8, O: 2304}
	if testing.Short() {
		s = circuits.Shape{D: 64, R: 4, O: 64}
	}
	k := devKeys(t, s)
	e := &GPUEngine{}
	defer e.Close()
	salt := mustSalt(t)
	var jobs []Job
	for i := range 4 {
		f := newFixture(t, s, 16, uint64(100+i))
		t0 := time.Now()
		p, err := ProveWith(e, k, f.st, f.A, f.B, salt)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("GPU proof %d of %s: %v", i, s, time.Since(t0))
		if err := Verify(k.VK, f.st, p.Commitment(), p); err != nil {
			t.Fatalf("GPU proof %d does not verify on the CPU: %v", i, err)
		}
		cpu := mustProve(t, k, f.st, f.A, f.B, salt)
		if string(cpu.Commitment()) != string(p.Commitment()) {
			t.Fatalf("proof %d: GPU and CPU commitments differ", i)
		}
		jobs = append(jobs, Job{Name: "m", Keys: k, Statement: f.st, A: f.A, B: f.B, Salt: salt})
	}
	proofs, err := ProveMany(t.Context(), jobs, ManyOptions{Engine: e, Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range proofs {
		if err := Verify(k.VK, jobs[i].Statement, p.Commitment(), p); err != nil {
			t.Fatalf("ProveMany GPU proof %d: %v", i, err)
		}
	}
}
