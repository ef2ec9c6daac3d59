package lora

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"sync"

	"github.com/zklora/zklora/engine/gpt2"
	"github.com/zklora/zklora/engine/peft"
	"github.com/zklora/zklora/engine/quant"
)

// FloatHook returns a hook adding the float LoRA reference
// y += scaling·(x·lora_Aᵀ)·lora_Bᵀ at every module of the adapter, with
// float64 accumulation and one rounding to float32 per element. Other
// modules pass through unchanged. The hook keeps no state.
func FloatHook(ad *peft.Adapter) gpt2.LinearHook {
	mods := maps.Clone(ad.Modules)
	return func(name string, x, y []float32, T, d, o int) error {
		m, ok := mods[name]
		if !ok {
			return nil
		}
		if err := checkCall(name, m.D, m.O, x, y, T, d, o); err != nil {
			return err
		}
		xa := make([]float64, m.R)
		for t := range T {
			row := x[t*d : (t+1)*d]
			for j := range m.R {
				a := m.A[j*d : (j+1)*d]
				s := 0.0
				for i, v := range row {
					s += float64(v) * float64(a[i])
				}
				xa[j] = s
			}
			out := y[t*o : (t+1)*o]
			for k := range o {
				b := m.B[k*m.R : (k+1)*m.R]
				s := 0.0
				for j, v := range xa {
					s += v * float64(b[j])
				}
				out[k] = float32(float64(out[k]) + float64(m.Scaling*s))
			}
		}
		return nil
	}
}

// checkCall validates one hook call against the module's shape.
func checkCall(name string, wantD, wantO int, x, y []float32, T, d, o int) error {
	if d != wantD || o != wantO {
		return fmt.Errorf("lora: module %s: called with d=%d o=%d, adapter has d=%d o=%d", name, d, o, wantD, wantO)
	}
	if T < 0 || len(x) != T*d || len(y) != T*o {
		return fmt.Errorf("lora: module %s: %d input and %d output values for T=%d, d=%d, o=%d", name, len(x), len(y), T, d, o)
	}
	return nil
}

// Recorder receives every exchange of a quantized session, in call order,
// so that party B can keep its transcript: the module, its call index, the
// number of rows, the int16 input X (rows×d), the exact answer Z (rows×o)
// and the input shift sX. The slices are the hook's own and are not
// reused: a Recorder may keep them.
type Recorder interface {
	Record(module string, call uint32, rows int, X []int16, Z []int64, shiftX int) error
}

// RecorderFunc adapts a function to Recorder.
type RecorderFunc func(module string, call uint32, rows int, X []int16, Z []int64, shiftX int) error

// Record calls f.
func (f RecorderFunc) Record(module string, call uint32, rows int, X []int16, Z []int64, shiftX int) error {
	return f(module, call, rows, X, Z, shiftX)
}

// CombineMode says how an answer becomes the module's output (see the
// package doc).
type CombineMode int

const (
	// CombineAddDelta adds the dequantized delta to B's base output.
	CombineAddDelta CombineMode = iota
	// CombineReplace takes the provider's whole output after checking it
	// against the exact answer.
	CombineReplace
)

// String returns the mode's protocol name.
func (c CombineMode) String() string {
	switch c {
	case CombineAddDelta:
		return "add_delta"
	case CombineReplace:
		return "replace"
	}
	return fmt.Sprintf("CombineMode(%d)", int(c))
}

// ParseCombineMode parses "add_delta" or "replace".
func ParseCombineMode(s string) (CombineMode, error) {
	switch s {
	case "add_delta":
		return CombineAddDelta, nil
	case "replace":
		return CombineReplace, nil
	}
	return 0, fmt.Errorf("lora: combine mode %q: want add_delta or replace", s)
}

// Option configures a Quantized session.
type Option func(*Quantized)

// WithMode selects the combine mode (default CombineAddDelta).
func WithMode(m CombineMode) Option { return func(q *Quantized) { q.mode = m } }

// WithContext sets the context passed to the provider (default
// context.Background()). The hook signature has no context of its own.
func WithContext(ctx context.Context) Option { return func(q *Quantized) { q.ctx = ctx } }

// qpoint is what the hook needs per module.
type qpoint struct {
	Point
	shiftAB int
}

// Quantized is party B's side of one quantized session: its Hook routes
// every call of a LoRA module through an IntProvider, keeping per-module call
// counters from 0. Use one Quantized per session. Its methods are safe for
// concurrent use; hook calls are serialised so call indices follow the order
// of the exchanges.
type Quantized struct {
	points map[string]qpoint
	prov   IntProvider
	rec    Recorder
	mode   CombineMode
	ctx    context.Context

	mu    sync.Mutex
	calls map[string]uint32
}

// NewQuantized checks the points and scales and returns a session. Every
// point needs its scales; rec may be nil. CombineReplace requires prov to
// implement OutputProvider.
func NewQuantized(points []Point, scales map[string]Scales, prov IntProvider, rec Recorder, opts ...Option) (*Quantized, error) {
	if prov == nil {
		return nil, errors.New("lora: nil IntProvider")
	}
	q := &Quantized{points: map[string]qpoint{}, prov: prov, rec: rec, ctx: context.Background(), calls: map[string]uint32{}}
	for _, o := range opts {
		o(q)
	}
	if q.ctx == nil {
		return nil, errors.New("lora: nil context")
	}
	switch q.mode {
	case CombineAddDelta:
	case CombineReplace:
		if _, ok := prov.(OutputProvider); !ok {
			return nil, errors.New("lora: combine mode replace needs a provider that serves whole outputs (OutputProvider)")
		}
	default:
		return nil, fmt.Errorf("lora: unknown combine mode %d", int(q.mode))
	}
	for _, p := range points {
		if err := p.Shape().Validate(); err != nil {
			return nil, fmt.Errorf("lora: point %s: %w", p.Name, err)
		}
		if _, dup := q.points[p.Name]; dup {
			return nil, fmt.Errorf("lora: point %s listed twice", p.Name)
		}
		s, ok := scales[p.Name]
		if !ok {
			return nil, fmt.Errorf("lora: point %s has no scales", p.Name)
		}
		if checkShift(s.A) != nil || checkShift(s.B) != nil {
			return nil, fmt.Errorf("lora: point %s: shifts %d, %d outside [%d, %d]", p.Name, s.A, s.B, quant.MinShift, quant.MaxShift)
		}
		q.points[p.Name] = qpoint{Point: p, shiftAB: s.A + s.B}
	}
	return q, nil
}

// QuantizedHook is NewQuantized(...).Hook() for callers that need no call
// counts.
func QuantizedHook(points []Point, scales map[string]Scales, prov IntProvider, rec Recorder, opts ...Option) (gpt2.LinearHook, error) {
	q, err := NewQuantized(points, scales, prov, rec, opts...)
	if err != nil {
		return nil, err
	}
	return q.Hook(), nil
}

// Calls returns the number of completed calls per module so far.
func (q *Quantized) Calls() map[string]uint32 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return maps.Clone(q.calls)
}

// Hook returns the session's hook. Modules without a point pass through. A
// failed call does not advance the module's counter.
func (q *Quantized) Hook() gpt2.LinearHook {
	return func(name string, x, y []float32, T, d, o int) error {
		p, ok := q.points[name]
		if !ok {
			return nil
		}
		if err := checkCall(name, p.D, p.O, x, y, T, d, o); err != nil {
			return err
		}
		if T == 0 {
			return nil
		}
		q.mu.Lock()
		defer q.mu.Unlock()
		call := q.calls[name]
		if err := q.exchange(p, call, x, y, T); err != nil {
			return fmt.Errorf("lora: module %s call %d: %w", name, call, err)
		}
		q.calls[name] = call + 1
		return nil
	}
}

// exchange runs one call: quantize x, ask the provider, combine, record.
func (q *Quantized) exchange(p qpoint, call uint32, x, y []float32, T int) error {
	X, sX, _, err := quant.QuantizeAuto(x)
	if err != nil {
		return fmt.Errorf("quantizing the input: %w", err)
	}
	shift := sX + p.shiftAB
	var Z []int64
	var out []float32
	if q.mode == CombineReplace {
		op := q.prov.(OutputProvider)
		out, Z, err = op.ForwardOutput(q.ctx, p.Name, call, T, X, sX, y)
	} else {
		Z, err = q.prov.Forward(q.ctx, p.Name, call, T, X)
	}
	if err != nil {
		return err
	}
	if len(Z) != T*p.O {
		return fmt.Errorf("provider answered %d values, want %d (%d rows × %d)", len(Z), T*p.O, T, p.O)
	}
	if q.mode == CombineReplace {
		if len(out) != len(y) {
			return fmt.Errorf("provider returned %d output values, want %d", len(out), len(y))
		}
		for i, z := range Z {
			if want := Combine(y[i], z, shift, p.Scaling); math.Float32bits(out[i]) != math.Float32bits(want) {
				return fmt.Errorf("provider's output %d is %v, but base + its exact answer gives %v", i, out[i], want)
			}
		}
	}
	if q.rec != nil {
		if err := q.rec.Record(p.Name, call, T, X, Z, sX); err != nil {
			return fmt.Errorf("recording: %w", err)
		}
	}
	for i, z := range Z {
		y[i] = Combine(y[i], z, shift, p.Scaling)
	}
	return nil
}
