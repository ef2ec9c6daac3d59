//go:build !icicle

package gpu

import (
	"github.com/consensys/gnark/backend"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/witness"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
)

// Prover proves Groth16 on the GPU with a device-pinned proving key.
// Without the icicle build tag it cannot be built: NewProver returns
// ErrGPUNotCompiled.
type Prover struct{}

// NewProver pins pk on a device. Without the icicle build tag it returns
// ErrGPUNotCompiled.
func NewProver(pk *groth16bn254.ProvingKey, device int) (*Prover, error) {
	return nil, ErrGPUNotCompiled
}

// PinnedKeyBytes estimates the device memory of pk's pinned vectors: the
// G1 points A, B, K, Z and the commitment bases (64 bytes each, affine)
// and the G2 points B (128 bytes each).
func PinnedKeyBytes(pk *groth16bn254.ProvingKey) uint64 {
	g1 := len(pk.G1.A) + len(pk.G1.B) + len(pk.G1.K) + len(pk.G1.Z)
	for _, ck := range pk.CommitmentKeys {
		g1 += len(ck.Basis) + len(ck.BasisExpSigma)
	}
	return uint64(g1)*64 + uint64(len(pk.G2.B))*128 + uint64(pk.Domain.Cardinality)*32
}

// Prove returns ErrGPUNotCompiled without the icicle build tag.
func (p *Prover) Prove(cs *csbn254.R1CS, w witness.Witness, opts ...backend.ProverOption) (*groth16bn254.Proof, error) {
	return nil, ErrGPUNotCompiled
}

// Close does nothing without the icicle build tag.
func (p *Prover) Close() error { return nil }
