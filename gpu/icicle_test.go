//go:build icicle

package gpu

import (
	"errors"
	"fmt"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/constraint"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
)

// These run on a GPU host (make test-gpu). Without a usable device they
// fail rather than skip: a tagged binary on a host without a GPU is a
// misconfiguration the run should show.

func requireDevice(t *testing.T) Info {
	t.Helper()
	info, err := Available()
	if err != nil {
		t.Fatalf("no usable GPU: %v", err)
	}
	if len(info.Devices) == 0 {
		t.Fatal("no CUDA device")
	}
	t.Logf("GPU: %s", info.Summary())
	return info
}

// TestParityMSMAndNTT: fresh random inputs at 2^10 … 2^22, host values
// compared with gnark-crypto.
func TestParityMSMAndNTT(t *testing.T) {
	requireDevice(t)
	for _, k := range ParityLogSizes() {
		n := 1 << k
		t.Run(fmt.Sprintf("2^%d", k), func(t *testing.T) {
			s, err := RandomScalars(n)
			if err != nil {
				t.Fatal(err)
			}
			p1, err := RandomG1(n)
			if err != nil {
				t.Fatal(err)
			}
			if err := CheckMSMG1(GPU{}, p1, s); err != nil {
				t.Fatal(err)
			}
			if k <= 18 { // G2 inputs are slow to make on the CPU
				p2, err := RandomG2(n)
				if err != nil {
					t.Fatal(err)
				}
				if err := CheckMSMG2(GPU{}, p2, s); err != nil {
					t.Fatal(err)
				}
			}
			if err := CheckNTT(GPU{}, s); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestDeviceErrorsAreErrors: bad calls come back as errors, not panics.
func TestDeviceErrorsAreErrors(t *testing.T) {
	requireDevice(t)
	if _, err := MSMG1(make([]bn254G1, 3), nil); err == nil {
		t.Fatal("length mismatch accepted")
	}
	if err := NTT(make([]frElement, 1<<(MaxLogNTT+1)), false); err == nil {
		t.Fatal("NTT above MaxLogNTT accepted")
	}
	if err := onDevice(1<<20, func() error { return nil }); !errors.Is(err, ErrNoDevice) {
		t.Fatalf("device 2^20: %v", err)
	}
}

// commitCircuit has a BSB22 commitment, like the session circuits.
type commitCircuit struct {
	X, Y frontend.Variable
	Z    frontend.Variable `gnark:",public"`
}

func (c *commitCircuit) Define(api frontend.API) error {
	cm, err := api.(frontend.Committer).Commit(c.X, c.Y)
	if err != nil {
		return err
	}
	api.AssertIsDifferent(cm, 0)
	api.AssertIsEqual(api.Mul(c.X, c.Y), c.Z)
	return nil
}

// TestGPUProofVerifiesOnCPU: proofs made by Prover verify with gnark's CPU
// verifier, repeatedly with the same pinned key.
func TestGPUProofVerifiesOnCPU(t *testing.T) {
	requireDevice(t)
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &commitCircuit{})
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewProver(pk.(*groth16bn254.ProvingKey), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := 2; i < 6; i++ {
		w, err := frontend.NewWitness(&commitCircuit{X: i, Y: i + 1, Z: i * (i + 1)}, ecc.BN254.ScalarField())
		if err != nil {
			t.Fatal(err)
		}
		proof, err := p.Prove(ccs.(*csbn254.R1CS), w)
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := w.Public()
		if err := groth16.Verify(proof, vk, pub); err != nil {
			t.Fatalf("proof %d does not verify on the CPU: %v", i, err)
		}
	}
	var _ constraint.ConstraintSystem = ccs
}
