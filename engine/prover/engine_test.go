package prover

import (
	"errors"
	"testing"

	"github.com/consensys/gnark/backend"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/witness"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/gpu"
)

// countingEngine is the CPU engine, counting its proofs.
type countingEngine struct{ n *int }

func (countingEngine) Name() string { return "counting" }

func (c countingEngine) Prove(cs *csbn254.R1CS, pk *groth16bn254.ProvingKey, w witness.Witness, opts ...backend.ProverOption) (*groth16bn254.Proof, error) {
	*c.n++
	return CPUEngine{}.Prove(cs, pk, w, opts...)
}

// TestProveWithEngine: ProveWith and ProveMany use the engine they are
// given, the proof verifies on the CPU, and the GPU engine of an untagged
// build fails with ErrGPUNotCompiled instead of panicking.
func TestProveWithEngine(t *testing.T) {
	s := circuits.Shape{D: 4, R: 2, O: 4}
	k := devKeys(t, s)
	f := newFixture(t, s, 2, 61)
	salt := mustSalt(t)
	n := 0
	p, err := ProveWith(countingEngine{&n}, k, f.st, f.A, f.B, salt)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("engine ran %d times", n)
	}
	if err := Verify(k.VK, f.st, p.Commitment(), p); err != nil {
		t.Fatalf("engine proof does not verify: %v", err)
	}
	jobs := []Job{{Name: "a", Keys: k, Statement: f.st, A: f.A, B: f.B, Salt: salt}, {Name: "b", Keys: k, Statement: f.st, A: f.A, B: f.B, Salt: salt}}
	if _, err := ProveMany(t.Context(), jobs, ManyOptions{Engine: countingEngine{&n}, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Fatalf("ProveMany: engine ran %d times in all, want 3", n)
	}
	if gpu.ICICLECompiled {
		return
	}
	e := &GPUEngine{}
	defer e.Close()
	if _, err := ProveWith(e, k, f.st, f.A, f.B, salt); !errors.Is(err, gpu.ErrGPUNotCompiled) {
		t.Fatalf("GPU engine on an untagged build: %v", err)
	}
}
