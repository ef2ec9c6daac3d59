package gpu

import (
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// Backend names accepted by --backend.
const (
	BackendCPU  = "cpu"
	BackendGPU  = "gpu"
	BackendAuto = "auto"
)

// Backends lists the accepted --backend values.
func Backends() []string { return []string{BackendCPU, BackendGPU, BackendAuto} }

// Backend runs the engine-level kernels: ICICLE on a GPU, or gnark-crypto
// on the CPU. Both give the same host values (the parity tests check it).
type Backend interface {
	// Name is "cpu" or "gpu".
	Name() string
	MSMG1(points []bn254.G1Affine, scalars []fr.Element) (bn254.G1Jac, error)
	MSMG2(points []bn254.G2Affine, scalars []fr.Element) (bn254.G2Jac, error)
	NTT(v []fr.Element, inverse bool) error
}

// CPU is the gnark-crypto Backend.
type CPU struct{}

// Name returns "cpu".
func (CPU) Name() string { return BackendCPU }

// MSMG1 calls CPUMSMG1.
func (CPU) MSMG1(p []bn254.G1Affine, s []fr.Element) (bn254.G1Jac, error) { return CPUMSMG1(p, s) }

// MSMG2 calls CPUMSMG2.
func (CPU) MSMG2(p []bn254.G2Affine, s []fr.Element) (bn254.G2Jac, error) { return CPUMSMG2(p, s) }

// NTT calls CPUNTT.
func (CPU) NTT(v []fr.Element, inverse bool) error { return CPUNTT(v, inverse) }

// GPU is the ICICLE Backend: the package-level MSMG1, MSMG2 and NTT.
// Without the icicle build tag its methods return ErrGPUNotCompiled.
type GPU struct{}

// Name returns "gpu".
func (GPU) Name() string { return BackendGPU }

// MSMG1 calls the package's MSMG1.
func (GPU) MSMG1(p []bn254.G1Affine, s []fr.Element) (bn254.G1Jac, error) { return MSMG1(p, s) }

// MSMG2 calls the package's MSMG2.
func (GPU) MSMG2(p []bn254.G2Affine, s []fr.Element) (bn254.G2Jac, error) { return MSMG2(p, s) }

// NTT calls the package's NTT.
func (GPU) NTT(v []fr.Element, inverse bool) error { return NTT(v, inverse) }

// Choice is what Select decided: the backend, and why.
type Choice struct {
	Backend   Backend
	Requested string // the name asked for
	Reason    string // one line: why this backend
	Info      *Info  // the GPU runtime, when a GPU was chosen
}

// ErrUnknownBackend is returned by Select for a name other than cpu, gpu
// and auto.
var ErrUnknownBackend = errors.New("unknown backend (want cpu, gpu or auto)")

// Select resolves a --backend value. "cpu" always succeeds. "gpu" fails
// unless this binary has the icicle tag and a device is usable; the error
// says what to do (`make gpu`, docs/GPU.md). "auto" picks the GPU when it
// is usable and the CPU otherwise, with the reason in Choice.Reason.
func Select(name string) (Choice, error) {
	switch name {
	case BackendCPU:
		return Choice{Backend: CPU{}, Requested: name, Reason: "requested"}, nil
	case BackendGPU, BackendAuto:
	default:
		return Choice{}, fmt.Errorf("--backend %q: %w", name, ErrUnknownBackend)
	}
	info, err := usable()
	if err == nil {
		return Choice{Backend: GPU{}, Requested: name, Reason: "GPU usable: " + info.Summary(), Info: &info}, nil
	}
	if name == BackendAuto {
		return Choice{Backend: CPU{}, Requested: name, Reason: "no usable GPU: " + err.Error()}, nil
	}
	if errors.Is(err, ErrGPUNotCompiled) {
		return Choice{}, fmt.Errorf("--backend gpu: %w", err)
	}
	return Choice{}, fmt.Errorf("--backend gpu: %w (run `zklora doctor`; docs/GPU.md)", err)
}

// usable reports the GPU runtime if ICICLE is compiled in and sees at least
// one device.
func usable() (Info, error) {
	info, err := Available()
	if err != nil {
		return info, err
	}
	if len(info.Devices) == 0 {
		return info, ErrNoDevice
	}
	return info, nil
}
