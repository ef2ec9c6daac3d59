package prover

import (
	"errors"
	"fmt"
	"sync"

	"github.com/consensys/gnark/backend"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/witness"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
	"github.com/zklora/zklora/gpu"
)

// Engine runs gnark's Groth16 prover for one witness: on the CPU (the
// default, CPUEngine) or on a GPU (GPUEngine). Prove, ProveMany and the
// session prover take one; nil means the CPU.
type Engine interface {
	// Name is "cpu" or "gpu".
	Name() string
	Prove(cs *csbn254.R1CS, pk *groth16bn254.ProvingKey, w witness.Witness, opts ...backend.ProverOption) (*groth16bn254.Proof, error)
}

// CPUEngine is gnark's CPU prover.
type CPUEngine struct{}

// Name returns "cpu".
func (CPUEngine) Name() string { return gpu.BackendCPU }

// Prove calls gnark's groth16/bn254 Prove.
func (CPUEngine) Prove(cs *csbn254.R1CS, pk *groth16bn254.ProvingKey, w witness.Witness, opts ...backend.ProverOption) (*groth16bn254.Proof, error) {
	return groth16bn254.Prove(cs, pk, w, opts...)
}

// GPUEngine proves with gnark's ICICLE prover (gpu.Prover), keeping one
// prover, and so one GPU-pinned copy of the key's vectors, per proving key
// for the engine's lifetime. Without the icicle build tag every proof
// fails with gpu.ErrGPUNotCompiled.
type GPUEngine struct {
	// Device is the CUDA device index.
	Device int

	mu      sync.Mutex
	provers map[*groth16bn254.ProvingKey]*gpu.Prover
}

// Name returns "gpu".
func (*GPUEngine) Name() string { return gpu.BackendGPU }

// Prove proves on the GPU, pinning pk on first use.
func (e *GPUEngine) Prove(cs *csbn254.R1CS, pk *groth16bn254.ProvingKey, w witness.Witness, opts ...backend.ProverOption) (*groth16bn254.Proof, error) {
	p, err := e.prover(pk)
	if err != nil {
		return nil, err
	}
	return p.Prove(cs, w, opts...)
}

// prover returns the pinned prover of pk, creating it on first use.
func (e *GPUEngine) prover(pk *groth16bn254.ProvingKey) (*gpu.Prover, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p, ok := e.provers[pk]; ok {
		return p, nil
	}
	p, err := gpu.NewProver(pk, e.Device)
	if err != nil {
		return nil, fmt.Errorf("gpu engine: %w", err)
	}
	if e.provers == nil {
		e.provers = map[*groth16bn254.ProvingKey]*gpu.Prover{}
	}
	e.provers[pk] = p
	return p, nil
}

// Close frees every pinned key.
func (e *GPUEngine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var errs []error
	for pk, p := range e.provers {
		errs = append(errs, p.Close())
		delete(e.provers, pk)
	}
	return errors.Join(errs...)
}

// engineOrCPU returns e, or CPUEngine when e is nil.
func engineOrCPU(e Engine) Engine {
	if e == nil {
		return CPUEngine{}
	}
	return e
}

// isDeviceError reports whether err came from the GPU rather than from the
// witness (so Prove does not report it as ErrUnsatisfied).
func isDeviceError(err error) bool {
	var ie *gpu.IcicleError
	var ce *gpu.CUDAError
	var pe *gpu.PanicError
	return errors.Is(err, gpu.ErrGPUNotCompiled) || errors.Is(err, gpu.ErrNoDevice) ||
		errors.Is(err, gpu.ErrOutOfMemory) || errors.Is(err, gpu.ErrBackendNotFound) ||
		errors.As(err, &ie) || errors.As(err, &ce) || errors.As(err, &pe)
}
