package lora

import (
	"fmt"
	"maps"
	"slices"

	"github.com/zklora/zklora/engine/peft"
	"github.com/zklora/zklora/engine/quant"
)

// QuantizedModule is party A's quantized LoRA of one module, in the
// circuits layout: A is d×r = lora_Aᵀ and B is r×o = lora_Bᵀ, flat
// row-major, with A ≈ A_int·2^-ShiftA and B ≈ B_int·2^-ShiftB.
type QuantizedModule struct {
	Point
	// A holds the d×r quantized lora_Aᵀ.
	A []int16
	// B holds the r×o quantized lora_Bᵀ.
	B []int16
	// ShiftA and ShiftB are the scales' shifts (scale 2^-shift).
	ShiftA, ShiftB int
	// MaxErrA and MaxErrB are the largest absolute quantization errors.
	MaxErrA, MaxErrB float64
}

// Scales are the public shifts of one module's quantized factors.
type Scales struct {
	A int `json:"shift_a"`
	B int `json:"shift_b"`
}

// Scales returns the module's public shifts.
func (m *QuantizedModule) Scales() Scales { return Scales{A: m.ShiftA, B: m.ShiftB} }

// check validates the module's shape and slice lengths.
func (m *QuantizedModule) check() error {
	if err := m.Shape().Validate(); err != nil {
		return fmt.Errorf("module %s: %w", m.Name, err)
	}
	if len(m.A) != m.D*m.R || len(m.B) != m.R*m.O {
		return fmt.Errorf("module %s: A has %d values and B %d, want %d and %d", m.Name, len(m.A), len(m.B), m.D*m.R, m.R*m.O)
	}
	if err := checkShift(m.ShiftA); err != nil {
		return fmt.Errorf("module %s: A: %w", m.Name, err)
	}
	if err := checkShift(m.ShiftB); err != nil {
		return fmt.Errorf("module %s: B: %w", m.Name, err)
	}
	return nil
}

// checkShift validates a shift against engine/quant's range.
func checkShift(s int) error {
	if s < quant.MinShift || s > quant.MaxShift {
		return fmt.Errorf("shift %d outside [%d, %d]", s, quant.MinShift, quant.MaxShift)
	}
	return nil
}

// QuantizeAdapter quantizes every module of the adapter (each factor at the
// finest power-of-two scale that fits), transposing PEFT's stored
// lora_A [r,d] and lora_B [o,r] to the circuits layout. It refuses shapes
// whose exact product could overflow int64 (circuits.Shape.Validate).
func QuantizeAdapter(ad *peft.Adapter) (map[string]*QuantizedModule, error) {
	out := make(map[string]*QuantizedModule, len(ad.Modules))
	for _, p := range Points(ad) {
		m := ad.Modules[p.Name]
		if err := p.Shape().Validate(); err != nil {
			return nil, fmt.Errorf("lora: module %s: %w", p.Name, err)
		}
		if len(m.A) != p.R*p.D || len(m.B) != p.O*p.R {
			return nil, fmt.Errorf("lora: module %s: lora_A has %d values and lora_B %d, want %d and %d", p.Name, len(m.A), len(m.B), p.R*p.D, p.O*p.R)
		}
		at := transpose(m.A, p.R, p.D) // d×r
		bt := transpose(m.B, p.O, p.R) // r×o
		qm := &QuantizedModule{Point: p}
		var err error
		if qm.A, qm.ShiftA, qm.MaxErrA, err = quant.QuantizeAuto(at); err != nil {
			return nil, fmt.Errorf("lora: module %s: lora_A: %w", p.Name, err)
		}
		if qm.B, qm.ShiftB, qm.MaxErrB, err = quant.QuantizeAuto(bt); err != nil {
			return nil, fmt.Errorf("lora: module %s: lora_B: %w", p.Name, err)
		}
		out[p.Name] = qm
	}
	return out, nil
}

// transpose returns the cols×rows transpose of the rows×cols matrix m.
func transpose(m []float32, rows, cols int) []float32 {
	t := make([]float32, len(m))
	for i := range rows {
		for j := range cols {
			t[j*rows+i] = m[i*cols+j]
		}
	}
	return t
}

// QuantizedPoints returns the points of quantized modules in forward order.
func QuantizedPoints(mods map[string]*QuantizedModule) []Point {
	names := slices.SortedFunc(maps.Keys(mods), compareForward)
	out := make([]Point, 0, len(names))
	for _, n := range names {
		out = append(out, mods[n].Point)
	}
	return out
}

// ScalesOf returns every module's public shifts.
func ScalesOf(mods map[string]*QuantizedModule) map[string]Scales {
	out := make(map[string]Scales, len(mods))
	for n, m := range mods {
		out[n] = m.Scales()
	}
	return out
}
