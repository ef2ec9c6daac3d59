//go:build icicle

package gpu

import (
	"errors"
	"fmt"
	"sync"

	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/accelerated/icicle"
	icicle_groth16 "github.com/consensys/gnark/backend/accelerated/icicle/groth16/bn254"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/witness"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
)

// Prover proves with gnark's ICICLE Groth16 prover for BN254 (only BN254
// is linked: gnark's backend/accelerated/icicle/groth16/bn254 is imported
// directly), with its proving key pinned on the GPU for its lifetime.
//
// Failure model. Device errors on the calling goroutine (backend loading,
// the memory check, a wrapper that panics in Prove's own goroutine) come
// back as errors. gnark v0.16.3's ICICLE prover also panics inside the
// goroutines that icicle's RunOnDevice starts (for example "pin G1.A" or
// "copy A to device" when the device runs out of memory); no caller can
// recover those, so NewProver checks the free device memory before
// pinning, and long-running services should prove in a worker process
// (zklora worker) that a supervisor restarts.
type Prover struct {
	mu     sync.Mutex
	pk     *icicle_groth16.ProvingKey
	device int
	closed bool
}

// pinHeadroom is the share of free device memory the pinned key may use,
// leaving the rest for the per-proof vectors.
const pinHeadroom = 0.6

// NewProver pins pk on CUDA device `device`. It fails with an error
// matching ErrOutOfMemory when the key's vectors do not fit the device's
// free memory with headroom for proving.
func NewProver(pk *groth16bn254.ProvingKey, device int) (p *Prover, err error) {
	defer guard("new prover", &err)
	if pk == nil {
		return nil, errors.New("new prover: nil proving key")
	}
	free, _, err := freeMemory(device)
	if err != nil {
		return nil, err
	}
	need := PinnedKeyBytes(pk)
	if float64(need) > pinHeadroom*float64(free) {
		return nil, fmt.Errorf("new prover: the pinned key needs %d MiB, %d MiB free on device %d: %w", need>>20, free>>20, device, ErrOutOfMemory)
	}
	ipk := &icicle_groth16.ProvingKey{ProvingKey: *pk, PinToGPU: true}
	return &Prover{pk: ipk, device: device}, nil
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

// Prove proves the witness w for cs on the GPU. The proof is a plain gnark
// BN254 proof that the CPU verifier accepts.
func (p *Prover) Prove(cs *csbn254.R1CS, w witness.Witness, opts ...backend.ProverOption) (proof *groth16bn254.Proof, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errors.New("gpu prove: prover closed")
	}
	defer guard("gpu prove", &err)
	if err := loadBackend(); err != nil {
		return nil, err
	}
	copts := []icicle.Option{icicle.WithDeviceID(p.device), icicle.WithPinKeysToGPU(true)}
	if len(opts) > 0 {
		copts = append(copts, icicle.WithProverOptions(opts...))
	}
	cfg, err := icicle.NewConfig(copts...)
	if err != nil {
		return nil, fmt.Errorf("gpu prove: %w", err)
	}
	proof, err = icicle_groth16.Prove(cs, p.pk, w, cfg)
	if err != nil {
		return nil, fmt.Errorf("gpu prove: %w", err)
	}
	return proof, nil
}

// Close frees the pinned key on the device. The Prover is unusable after.
func (p *Prover) Close() (err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	defer guard("free gpu key", &err)
	p.pk.FreeGPUResources()
	return nil
}
