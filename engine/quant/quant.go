package quant

import (
	"errors"
	"fmt"
	"math"
)

// MaxQ is the largest magnitude of a quantized value. -32768 is never
// produced, so negation never overflows.
const MaxQ = math.MaxInt16

// MinShift and MaxShift bound the shift s of the scale 2^-s. The bound keeps
// every scale and every dequantized value a normal float32 and bounds the
// total shift sX+sA+sB of a LoRA answer.
const (
	MinShift = -64
	MaxShift = 64
)

// DefaultShift is the shift ChooseShift returns for input with no non-zero
// value (empty or all zeros): any shift represents it exactly.
const DefaultShift = 0

// ErrNonFinite is returned (wrapped) for NaN or infinite input.
var ErrNonFinite = errors.New("value is NaN or infinite")

// ErrRange is returned (wrapped) when a value does not fit in [-MaxQ, MaxQ]
// at the requested shift, or when a shift is outside [MinShift, MaxShift].
var ErrRange = errors.New("value out of range")

// ChooseShift returns the largest s in [MinShift, MaxShift] with
// round(max|v|·2^s) ≤ MaxQ: the finest power-of-two scale at which every
// value fits. Input with no non-zero value gives DefaultShift. NaN or
// infinite values, or a maximum too large even for MinShift, are errors.
func ChooseShift(vals []float32) (int, error) {
	m, err := maxAbs(vals)
	if err != nil {
		return 0, err
	}
	if m == 0 {
		return DefaultShift, nil
	}
	// m = f·2^e with f in [0.5, 1), so m·2^(15-e) = f·2^15 ∈ [16384, 32768):
	// s = 15-e fits unless rounding reaches 32768, then s = 14-e does.
	_, e := math.Frexp(m)
	s := 15 - e
	if math.Round(math.Ldexp(m, s)) > MaxQ {
		s--
	}
	if s > MaxShift {
		return MaxShift, nil
	}
	if s < MinShift {
		return 0, fmt.Errorf("quant: max |v| = %g needs shift %d < %d: %w", m, s, MinShift, ErrRange)
	}
	return s, nil
}

// Quantize returns q with q[i] = round(vals[i]·2^s), rounding half away from
// zero. It fails if s is outside [MinShift, MaxShift], if a value is NaN or
// infinite, or if a rounded value exceeds MaxQ in magnitude.
func Quantize(vals []float32, s int) ([]int16, error) {
	if err := checkShift(s); err != nil {
		return nil, err
	}
	q := make([]int16, len(vals))
	for i, v := range vals {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("quant: element %d: %w", i, ErrNonFinite)
		}
		r := math.Round(math.Ldexp(f, s)) // exact scaling, one rounding
		if r > MaxQ || r < -MaxQ {
			return nil, fmt.Errorf("quant: element %d = %g does not fit at shift %d: %w", i, f, s, ErrRange)
		}
		q[i] = int16(r)
	}
	return q, nil
}

// QuantizeAuto quantizes vals at the shift ChooseShift picks and reports the
// largest absolute quantization error max|v - q·2^-shift| (exact: computed
// in float64, where it is representable). The error is at most
// 2^-(shift+1).
func QuantizeAuto(vals []float32) (q []int16, shift int, maxAbsErr float64, err error) {
	shift, err = ChooseShift(vals)
	if err != nil {
		return nil, 0, 0, err
	}
	q, err = Quantize(vals, shift)
	if err != nil {
		return nil, 0, 0, err
	}
	return q, shift, MaxAbsError(vals, q, shift), nil
}

// MaxAbsError returns max|vals[i] - q[i]·2^-s| over the common prefix of
// vals and q. For the outputs of Quantize the float64 result is exact.
func MaxAbsError(vals []float32, q []int16, s int) float64 {
	worst := 0.0
	for i := range min(len(vals), len(q)) {
		e := math.Abs(float64(vals[i]) - math.Ldexp(float64(q[i]), -s))
		if e > worst {
			worst = e
		}
	}
	return worst
}

// Dequantize returns q[i]·2^-s as float32. For s in [MinShift, MaxShift]
// every result is exact.
func Dequantize(q []int16, s int) []float32 {
	out := make([]float32, len(q))
	for i, v := range q {
		out[i] = float32(math.Ldexp(float64(v), -s))
	}
	return out
}

// checkShift validates a shift.
func checkShift(s int) error {
	if s < MinShift || s > MaxShift {
		return fmt.Errorf("quant: shift %d outside [%d, %d]: %w", s, MinShift, MaxShift, ErrRange)
	}
	return nil
}

// maxAbs returns max|v| in float64, or an error for a NaN or infinity.
func maxAbs(vals []float32) (float64, error) {
	m := 0.0
	for i, v := range vals {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("quant: element %d: %w", i, ErrNonFinite)
		}
		if a := math.Abs(f); a > m {
			m = a
		}
	}
	return m, nil
}
