package wire

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// Int16Rows is a rows×cols int16 matrix, row-major.
type Int16Rows struct {
	Rows, Cols int
	Data       []int16
}

// Int64Rows is a rows×cols int64 matrix, row-major.
type Int64Rows struct {
	Rows, Cols int
	Data       []int64
}

// Float32Rows is a rows×cols float32 matrix, row-major.
type Float32Rows struct {
	Rows, Cols int
	Data       []float32
}

// Check reports whether the data length matches the shape.
func (t Int16Rows) Check() error { return checkShape(t.Rows, t.Cols, len(t.Data)) }

// Check reports whether the data length matches the shape.
func (t Int64Rows) Check() error { return checkShape(t.Rows, t.Cols, len(t.Data)) }

// Check reports whether the data length matches the shape.
func (t Float32Rows) Check() error { return checkShape(t.Rows, t.Cols, len(t.Data)) }

func checkShape(rows, cols, n int) error {
	if rows < 0 || cols < 0 || rows > MaxTensorDim || cols > MaxTensorDim {
		return fmt.Errorf("wire: tensor shape %dx%d out of range", rows, cols)
	}
	if uint64(rows)*uint64(cols) != uint64(n) {
		return fmt.Errorf("wire: tensor %dx%d holds %d values", rows, cols, n)
	}
	return nil
}

// tensorHeader reads (rows, cols) and checks that rows·cols elements of
// elemSize bytes fit in what is left, before any allocation.
func (d *decoder) tensorHeader(what string, elemSize int) (rows, cols int) {
	r, c := d.u32(what+" rows"), d.u32(what+" cols")
	if d.err != nil {
		return 0, 0
	}
	if r > MaxTensorDim || c > MaxTensorDim {
		d.fail("%s: shape %dx%d out of range", what, r, c)
		return 0, 0
	}
	need := uint64(r) * uint64(c) * uint64(elemSize) // ≤ 2^48·8, no overflow
	if need > uint64(d.left()) {
		d.fail("%s: shape %dx%d needs %d bytes, %d left", what, r, c, need, d.left())
		return 0, 0
	}
	return int(r), int(c)
}

// extend grows e.b by n bytes and returns them.
func (e *encoder) extend(n int) []byte {
	e.b = slices.Grow(e.b, n)
	l := len(e.b)
	e.b = e.b[:l+n]
	return e.b[l:]
}

func (e *encoder) int16Rows(t Int16Rows) {
	e.u32(uint32(t.Rows))
	e.u32(uint32(t.Cols))
	p := e.extend(2 * len(t.Data))
	for i, v := range t.Data {
		binary.LittleEndian.PutUint16(p[2*i:], uint16(v))
	}
}

func (e *encoder) int64Rows(t Int64Rows) {
	e.u32(uint32(t.Rows))
	e.u32(uint32(t.Cols))
	p := e.extend(8 * len(t.Data))
	for i, v := range t.Data {
		binary.LittleEndian.PutUint64(p[8*i:], uint64(v))
	}
}

func (e *encoder) float32Rows(t Float32Rows) {
	e.u32(uint32(t.Rows))
	e.u32(uint32(t.Cols))
	p := e.extend(4 * len(t.Data))
	for i, v := range t.Data {
		binary.LittleEndian.PutUint32(p[4*i:], math.Float32bits(v))
	}
}

func (d *decoder) int16Rows(what string) Int16Rows {
	r, c := d.tensorHeader(what, 2)
	p := d.take(r*c*2, what)
	if d.err != nil {
		return Int16Rows{}
	}
	out := Int16Rows{Rows: r, Cols: c, Data: make([]int16, r*c)}
	for i := range out.Data {
		out.Data[i] = int16(binary.LittleEndian.Uint16(p[2*i:]))
	}
	return out
}

func (d *decoder) int64Rows(what string) Int64Rows {
	r, c := d.tensorHeader(what, 8)
	p := d.take(r*c*8, what)
	if d.err != nil {
		return Int64Rows{}
	}
	out := Int64Rows{Rows: r, Cols: c, Data: make([]int64, r*c)}
	for i := range out.Data {
		out.Data[i] = int64(binary.LittleEndian.Uint64(p[8*i:]))
	}
	return out
}

func (d *decoder) float32Rows(what string) Float32Rows {
	r, c := d.tensorHeader(what, 4)
	p := d.take(r*c*4, what)
	if d.err != nil {
		return Float32Rows{}
	}
	out := Float32Rows{Rows: r, Cols: c, Data: make([]float32, r*c)}
	for i := range out.Data {
		v := math.Float32frombits(binary.LittleEndian.Uint32(p[4*i:]))
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			d.fail("%s: element %d is not finite", what, i)
			return Float32Rows{}
		}
		out.Data[i] = v
	}
	return out
}
