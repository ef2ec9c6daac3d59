package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Limits on variable-length fields, checked while decoding.
const (
	MaxStringLen = 4096    // names, ids, messages
	MaxBytesLen  = 1 << 20 // opaque byte strings other than tensors and chunks
	MaxModules   = 4096    // modules announced in one init
	MaxTensorDim = 1 << 24 // rows or cols of one tensor
)

// ErrMalformed wraps every payload decoding failure.
var ErrMalformed = errors.New("wire: malformed payload")

// encoder appends big-endian fields to a buffer.
type encoder struct{ b []byte }

func (e *encoder) u8(v uint8)   { e.b = append(e.b, v) }
func (e *encoder) u16(v uint16) { e.b = binary.BigEndian.AppendUint16(e.b, v) }
func (e *encoder) u32(v uint32) { e.b = binary.BigEndian.AppendUint32(e.b, v) }
func (e *encoder) u64(v uint64) { e.b = binary.BigEndian.AppendUint64(e.b, v) }
func (e *encoder) i32(v int32)  { e.u32(uint32(v)) }
func (e *encoder) f64(v float64) {
	e.u64(math.Float64bits(v))
}
func (e *encoder) boolean(v bool) {
	if v {
		e.u8(1)
	} else {
		e.u8(0)
	}
}
func (e *encoder) str(s string) {
	e.u32(uint32(len(s)))
	e.b = append(e.b, s...)
}
func (e *encoder) bytes(p []byte) {
	e.u32(uint32(len(p)))
	e.b = append(e.b, p...)
}

// decoder reads fields from a payload; the first error sticks and every
// later read returns zero values.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
	}
}

func (d *decoder) left() int { return len(d.b) - d.off }

func (d *decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > d.left() {
		d.fail("%s: need %d bytes, %d left", what, n, d.left())
		return nil
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p
}

func (d *decoder) u8(what string) uint8 {
	p := d.take(1, what)
	if p == nil {
		return 0
	}
	return p[0]
}

func (d *decoder) u16(what string) uint16 {
	p := d.take(2, what)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint16(p)
}

func (d *decoder) u32(what string) uint32 {
	p := d.take(4, what)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint32(p)
}

func (d *decoder) u64(what string) uint64 {
	p := d.take(8, what)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint64(p)
}

func (d *decoder) i32(what string) int32 { return int32(d.u32(what)) }

func (d *decoder) f64(what string) float64 {
	v := math.Float64frombits(d.u64(what))
	if d.err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
		d.fail("%s: not a finite number", what)
	}
	return v
}

func (d *decoder) boolean(what string) bool {
	switch d.u8(what) {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail("%s: boolean is neither 0 nor 1", what)
	return false
}

// length reads a uint32 length and checks it against limit and against
// the bytes left (each element at least elemSize bytes) before any
// allocation.
func (d *decoder) length(what string, limit, elemSize int) int {
	n := d.u32(what)
	if d.err != nil {
		return 0
	}
	if uint64(n) > uint64(limit) {
		d.fail("%s: length %d over the limit %d", what, n, limit)
		return 0
	}
	if uint64(n)*uint64(elemSize) > uint64(d.left()) {
		d.fail("%s: length %d needs more bytes than the %d left", what, n, d.left())
		return 0
	}
	return int(n)
}

func (d *decoder) str(what string) string {
	n := d.length(what, MaxStringLen, 1)
	return string(d.take(n, what))
}

func (d *decoder) bytesField(what string, limit int) []byte {
	n := d.length(what, limit, 1)
	p := d.take(n, what)
	if p == nil {
		return nil
	}
	return append([]byte(nil), p...)
}

// done reports trailing bytes as an error and returns the sticky error.
func (d *decoder) done() error {
	if d.err == nil && d.left() != 0 {
		d.fail("%d trailing bytes", d.left())
	}
	return d.err
}
