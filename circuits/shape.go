package circuits

import (
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// MaxDim bounds every dimension of a shape. It keeps allocations sane for
// shapes read from untrusted input; real LoRA modules are far below it.
const MaxDim = 1 << 16

// MaxAbsInt16 is the largest magnitude an int16 operand can have (-32768).
const MaxAbsInt16 = 1 << 15

// ErrOverflowShape is returned for shapes whose worst-case exact product
// could exceed 2^62 in magnitude.
var ErrOverflowShape = errors.New("shape could overflow the exact int64 product (d·r·2^45 > 2^62)")

// Shape is the shape of one LoRA module: input width D, rank R, output
// width O. In the CLI it is written DxRxO, for example 768x8x2304.
type Shape struct {
	D int `json:"d"`
	R int `json:"r"`
	O int `json:"o"`
}

// ParseShape parses "DxRxO" (case-insensitive x) and validates it.
func ParseShape(s string) (Shape, error) {
	parts := strings.Split(strings.ToLower(strings.TrimSpace(s)), "x")
	if len(parts) != 3 {
		return Shape{}, fmt.Errorf("shape %q: want DxRxO, for example 768x8x2304", s)
	}
	var dims [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil {
			return Shape{}, fmt.Errorf("shape %q: %q is not an integer", s, p)
		}
		dims[i] = v
	}
	sh := Shape{D: dims[0], R: dims[1], O: dims[2]}
	return sh, sh.Validate()
}

// String returns the shape as DxRxO.
func (s Shape) String() string { return fmt.Sprintf("%dx%dx%d", s.D, s.R, s.O) }

// Validate checks that every dimension is in [1, MaxDim] and that the exact
// product X·A·B cannot overflow: each output is a sum of d·r products of
// three int16 values, so |Z| ≤ d·r·2^45, which must not exceed 2^62.
func (s Shape) Validate() error {
	for _, v := range []struct {
		name string
		val  int
	}{{"d", s.D}, {"r", s.R}, {"o", s.O}} {
		if v.val < 1 || v.val > MaxDim {
			return fmt.Errorf("shape %s: %s=%d out of range [1, %d]", s, v.name, v.val, MaxDim)
		}
	}
	hi, lo := bits.Mul64(uint64(s.D)*uint64(s.R), 1<<45)
	if hi != 0 || lo > 1<<62 {
		return fmt.Errorf("shape %s: %w", s, ErrOverflowShape)
	}
	return nil
}
