package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/bits"
	"slices"
	"sort"
	"strconv"

	"github.com/zklora/zklora/engine/fsutil"
)

// Tensor is one tensor to write: its little-endian bytes in row-major order.
type Tensor struct {
	// Name is the header key; it must be non-empty, unique and not "__metadata__".
	Name string
	// DType is the element type.
	DType DType
	// Shape is the tensor's dimensions.
	Shape []int
	// Data holds product(Shape)·DType.Size() bytes.
	Data []byte
}

// F32 builds an F32 tensor from data.
func F32(name string, shape []int, data []float32) Tensor {
	return Tensor{Name: name, DType: DTypeF32, Shape: slices.Clone(shape), Data: encodeFloat32(data, DTypeF32)}
}

// F16 builds an F16 tensor from data, rounding each value to nearest, ties to even.
func F16(name string, shape []int, data []float32) Tensor {
	return Tensor{Name: name, DType: DTypeF16, Shape: slices.Clone(shape), Data: encodeFloat32(data, DTypeF16)}
}

// BF16 builds a BF16 tensor from data, rounding each value to nearest, ties to even.
func BF16(name string, shape []int, data []float32) Tensor {
	return Tensor{Name: name, DType: DTypeBF16, Shape: slices.Clone(shape), Data: encodeFloat32(data, DTypeBF16)}
}

// FromFloat32 builds a tensor of a float dtype (F32, F16 or BF16) from data.
func FromFloat32(name string, dt DType, shape []int, data []float32) (Tensor, error) {
	if !dt.IsFloat() {
		return Tensor{}, fmt.Errorf("safetensors: tensor %q: cannot encode float32 data as %s", name, dt)
	}
	return Tensor{Name: name, DType: dt, Shape: slices.Clone(shape), Data: encodeFloat32(data, dt)}, nil
}

// DefaultMetadata is what Write puts in "__metadata__" when given nil, as
// transformers and PEFT do.
func DefaultMetadata() map[string]string { return map[string]string{"format": "pt"} }

// Lazy describes a tensor whose bytes are produced while the file is
// written, so that large files never sit in memory whole.
type Lazy struct {
	// Name is the header key; it must be non-empty, unique and not "__metadata__".
	Name string
	// DType is the element type.
	DType DType
	// Shape is the tensor's dimensions.
	Shape []int
	// Fill writes the tensor's product(Shape)·DType.Size() little-endian
	// bytes into dst (zeroed, exactly that long).
	Fill func(dst []byte) error
}

// Write writes tensors in the safetensors format: a compact JSON header with
// "__metadata__" first (DefaultMetadata when metadata is nil; omitted when it
// is empty but non-nil), then the tensors sorted by name with contiguous
// data offsets, the header padded with spaces to a multiple of 8 bytes as
// the Rust implementation does. Every tensor is validated first.
func Write(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	lazy := make([]Lazy, len(tensors))
	for i, t := range tensors {
		if err := checkTensor(t.Name, t.DType, t.Shape, int64(len(t.Data))); err != nil {
			return err
		}
		data := t.Data
		lazy[i] = Lazy{Name: t.Name, DType: t.DType, Shape: t.Shape, Fill: func(dst []byte) error {
			copy(dst, data)
			return nil
		}}
	}
	return WriteLazy(w, lazy, metadata)
}

// WriteLazy is Write for tensors produced on demand: each Fill is called
// once, in data order, with a buffer reused between tensors.
func WriteLazy(w io.Writer, tensors []Lazy, metadata map[string]string) error {
	hdr, order, sizes, err := encodeHeader(tensors, metadata)
	if err != nil {
		return err
	}
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(hdr)))
	if _, err := w.Write(lenBuf[:]); err != nil {
		return err
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	var buf []byte
	for i, t := range order {
		n := sizes[i]
		if int64(cap(buf)) < n {
			buf = make([]byte, n)
		}
		dst := buf[:n]
		clear(dst)
		if t.Fill == nil {
			return fmt.Errorf("safetensors: tensor %q: no data", t.Name)
		}
		if err := t.Fill(dst); err != nil {
			return fmt.Errorf("safetensors: tensor %q: %w", t.Name, err)
		}
		if _, err := w.Write(dst); err != nil {
			return err
		}
	}
	return nil
}

// WriteFile writes the file at path crash-safe (temporary file, fsync,
// rename, directory fsync). The parent directory must exist.
func WriteFile(path string, tensors []Tensor, metadata map[string]string) error {
	return fsutil.WriteFileAtomic(path, 0o644, func(w io.Writer) error {
		return Write(w, tensors, metadata)
	})
}

// WriteFileLazy is WriteFile for tensors produced on demand.
func WriteFileLazy(path string, tensors []Lazy, metadata map[string]string) error {
	return fsutil.WriteFileAtomic(path, 0o644, func(w io.Writer) error {
		return WriteLazy(w, tensors, metadata)
	})
}

// encodeHeader validates the tensors and returns the padded header, the
// tensors in data order and their byte sizes.
func encodeHeader(tensors []Lazy, metadata map[string]string) ([]byte, []Lazy, []int64, error) {
	order := slices.Clone(tensors)
	sort.SliceStable(order, func(i, j int) bool { return order[i].Name < order[j].Name })
	sizes := make([]int64, len(order))
	for i, t := range order {
		size, err := tensorSize(t.Name, t.DType, t.Shape)
		if err != nil {
			return nil, nil, nil, err
		}
		sizes[i] = size
		if i > 0 && order[i-1].Name == t.Name {
			return nil, nil, nil, fmt.Errorf("safetensors: duplicate tensor name %q", t.Name)
		}
	}
	if metadata == nil {
		metadata = DefaultMetadata()
	}
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	if len(metadata) > 0 {
		b.WriteString(`"__metadata__":{`)
		for i, k := range slices.Sorted(maps.Keys(metadata)) {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(&b, k)
			b.WriteByte(':')
			writeJSONString(&b, metadata[k])
		}
		b.WriteByte('}')
		first = false
	}
	off := int64(0)
	for i, t := range order {
		if !first {
			b.WriteByte(',')
		}
		first = false
		writeJSONString(&b, t.Name)
		b.WriteString(`:{"dtype":`)
		writeJSONString(&b, string(t.DType))
		b.WriteString(`,"shape":[`)
		for j, d := range t.Shape {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(d))
		}
		end := off + sizes[i]
		fmt.Fprintf(&b, `],"data_offsets":[%d,%d]}`, off, end)
		off = end
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	if b.Len() > MaxHeaderSize {
		return nil, nil, nil, fmt.Errorf("safetensors: header of %d bytes exceeds the limit of %d", b.Len(), MaxHeaderSize)
	}
	return b.Bytes(), order, sizes, nil
}

// checkTensor validates a tensor to be written whose data has dataLen bytes.
func checkTensor(name string, dt DType, shape []int, dataLen int64) error {
	size, err := tensorSize(name, dt, shape)
	if err != nil {
		return err
	}
	if size != dataLen {
		return fmt.Errorf("safetensors: tensor %q: shape %v of %s needs %d bytes but data has %d", name, shape, dt, size, dataLen)
	}
	return nil
}

// tensorSize validates name, dtype and shape and returns the byte size.
func tensorSize(name string, dt DType, shape []int) (int64, error) {
	switch {
	case name == "":
		return 0, errors.New("safetensors: empty tensor name")
	case name == metadataKey:
		return 0, fmt.Errorf("safetensors: tensor name %q is reserved", name)
	}
	if err := checkDType(dt); err != nil {
		return 0, fmt.Errorf("safetensors: tensor %q: %w", name, err)
	}
	elems := uint64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("safetensors: tensor %q: negative dimension in shape %v", name, shape)
		}
		hi, lo := bits.Mul64(elems, uint64(d))
		if hi != 0 {
			return 0, fmt.Errorf("safetensors: tensor %q: shape %v overflows", name, shape)
		}
		elems = lo
	}
	hi, size := bits.Mul64(elems, uint64(dt.Size()))
	if hi != 0 || size > math.MaxInt64 {
		return 0, fmt.Errorf("safetensors: tensor %q: shape %v overflows", name, shape)
	}
	return int64(size), nil
}

// writeJSONString writes s as a JSON string without HTML escaping, as
// serde_json does.
func writeJSONString(b *bytes.Buffer, s string) {
	var tmp bytes.Buffer
	enc := json.NewEncoder(&tmp)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	b.Write(bytes.TrimSuffix(tmp.Bytes(), []byte{'\n'}))
}
