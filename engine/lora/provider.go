package lora

import (
	"context"
	"fmt"
	"maps"
	"math"

	"github.com/zklora/zklora/circuits"
)

// IntProvider answers one call of one module with Z = X·A·B exactly
// (DESIGN §1). call is the per-module call index from 0. X is rows×d int16,
// row-major; the answer must be rows×o int64.
type IntProvider interface {
	Forward(ctx context.Context, module string, call uint32, rows int, X []int16) ([]int64, error)
}

// OutputProvider is an IntProvider that also serves the replace combine
// mode: given B's base output (rows×o float32) and the call's input shift
// sX, it answers with the module's whole output out = Combine(base, Z, …)
// and the exact Z it derived it from (see the package doc).
type OutputProvider interface {
	IntProvider
	ForwardOutput(ctx context.Context, module string, call uint32, rows int, X []int16, shiftX int, base []float32) (out []float32, Z []int64, err error)
}

// Delta dequantizes one exact answer: z·2^-shift·scaling in float64, where
// shift = sX+sA+sB.
func Delta(z int64, shift int, scaling float64) float64 {
	return float64(math.Ldexp(float64(z), -shift)) * scaling
}

// Combine returns base + Delta(z, shift, scaling), summed in float64 and
// rounded once to float32. It is the value of one output element in both
// combine modes; the explicit conversions keep the compiler from fusing the
// operations, so every party computes the same bits.
func Combine(base float32, z int64, shift int, scaling float64) float32 {
	return float32(float64(base) + float64(Delta(z, shift, scaling)))
}

// LocalIntProvider answers in process from party A's quantized modules with
// circuits.MatMulExact. It keeps no state: call indices are not checked
// (a session-keeping provider does that). It is safe for concurrent use.
type LocalIntProvider struct {
	mods map[string]*QuantizedModule
}

// NewLocalIntProvider validates the modules (shapes, lengths, shifts) and
// returns a provider for them. The modules are not copied and must not be
// modified afterwards.
func NewLocalIntProvider(mods map[string]*QuantizedModule) (*LocalIntProvider, error) {
	for n, m := range mods {
		if m == nil || m.Name != n {
			return nil, fmt.Errorf("lora: module entry %q is nil or misnamed", n)
		}
		if err := m.check(); err != nil {
			return nil, fmt.Errorf("lora: %w", err)
		}
	}
	return &LocalIntProvider{mods: maps.Clone(mods)}, nil
}

// Forward computes Z = X·A·B exactly for the module.
func (p *LocalIntProvider) Forward(ctx context.Context, module string, call uint32, rows int, X []int16) ([]int64, error) {
	m, err := p.lookup(ctx, module, rows, X)
	if err != nil {
		return nil, err
	}
	Z, err := circuits.MatMulExact(m.Shape(), X, m.A, m.B)
	if err != nil {
		return nil, fmt.Errorf("lora: module %s call %d: %w", module, call, err)
	}
	return Z, nil
}

// ForwardOutput serves the replace combine mode: it returns
// out[i] = Combine(base[i], Z[i], shiftX+sA+sB, scaling) and Z.
func (p *LocalIntProvider) ForwardOutput(ctx context.Context, module string, call uint32, rows int, X []int16, shiftX int, base []float32) ([]float32, []int64, error) {
	Z, err := p.Forward(ctx, module, call, rows, X)
	if err != nil {
		return nil, nil, err
	}
	m := p.mods[module]
	if len(base) != len(Z) {
		return nil, nil, fmt.Errorf("lora: module %s call %d: base output has %d values, want %d", module, call, len(base), len(Z))
	}
	if err := checkShift(shiftX); err != nil {
		return nil, nil, fmt.Errorf("lora: module %s call %d: X: %w", module, call, err)
	}
	shift := shiftX + m.ShiftA + m.ShiftB
	out := make([]float32, len(Z))
	for i, z := range Z {
		out[i] = Combine(base[i], z, shift, m.Scaling)
	}
	return out, Z, nil
}

// lookup checks the context, the module and the input's size.
func (p *LocalIntProvider) lookup(ctx context.Context, module string, rows int, X []int16) (*QuantizedModule, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m, ok := p.mods[module]
	if !ok {
		return nil, fmt.Errorf("lora: unknown module %q", module)
	}
	if rows < 1 || rows > len(X) || len(X) != rows*m.D {
		return nil, fmt.Errorf("lora: module %s: %d input values for %d rows of width %d", module, len(X), rows, m.D)
	}
	return m, nil
}
