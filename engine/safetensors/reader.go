package safetensors

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sync"
)

// File is an open, validated safetensors file. Its methods are safe for
// concurrent use; Close must not race with them.
type File struct {
	r         io.ReaderAt
	mapped    []byte // the whole file when memory-mapped, else nil
	unmap     func() error
	closer    io.Closer
	dataStart int64 // absolute offset of the data section
	h         *header

	closeOnce sync.Once
	closeErr  error
	closed    bool
}

// ErrClosed is returned by reads on a closed File.
var ErrClosed = errors.New("safetensors: file is closed")

// Open opens and validates the safetensors file at path. It memory-maps the
// file read-only where the platform supports it and otherwise reads through
// positioned reads. Close releases the mapping or the file.
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	size := st.Size()
	if data, unmap, err := mmapFile(fh, size); err == nil {
		fh.Close() // the mapping outlives the descriptor
		f, err := newFile(bytesReaderAt(data), size)
		if err != nil {
			unmap()
			return nil, fmt.Errorf("safetensors: %s: %w", path, err)
		}
		f.mapped, f.unmap = data, unmap
		return f, nil
	}
	f, err := newFile(io.NewSectionReader(fh, 0, size), size)
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	f.closer = fh
	return f, nil
}

// NewReader validates a safetensors file of size bytes read through r.
// Tensor data is read on demand; r must stay valid until the File is done.
func NewReader(r io.ReaderAt, size int64) (*File, error) {
	f, err := newFile(r, size)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return f, nil
}

func newFile(r io.ReaderAt, size int64) (*File, error) {
	if size < 8 {
		return nil, fmt.Errorf("file is %d bytes, too short for the 8-byte header length", size)
	}
	var lenBuf [8]byte
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return nil, fmt.Errorf("reading header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > MaxHeaderSize {
		return nil, fmt.Errorf("header length %d exceeds the limit of %d bytes", n, MaxHeaderSize)
	}
	if int64(n) > size-8 {
		return nil, fmt.Errorf("header length %d exceeds the file (%d bytes): truncated file?", n, size)
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, 8); err != nil {
		return nil, fmt.Errorf("reading header: %w", err)
	}
	dataStart := 8 + int64(n)
	h, err := parseHeader(buf, size-dataStart)
	if err != nil {
		return nil, err
	}
	return &File{r: r, dataStart: dataStart, h: h}, nil
}

// Close releases the memory mapping or the underlying file opened by Open.
// It is a no-op for files from NewReader. Calling it twice is harmless.
func (f *File) Close() error {
	f.closeOnce.Do(func() {
		f.closed = true
		if f.unmap != nil {
			f.closeErr = f.unmap()
		}
		if f.closer != nil {
			f.closeErr = f.closer.Close()
		}
		f.mapped = nil
	})
	return f.closeErr
}

// Mapped reports whether the file is memory-mapped (Raw is then zero-copy).
func (f *File) Mapped() bool { return f.mapped != nil }

// Names returns the tensor names, sorted.
func (f *File) Names() []string { return slices.Clone(f.h.names) }

// Len returns the number of tensors.
func (f *File) Len() int { return len(f.h.names) }

// Info returns the description of the named tensor.
func (f *File) Info(name string) (TensorInfo, bool) {
	ti, ok := f.h.tensors[name]
	if ok {
		ti.Shape = slices.Clone(ti.Shape)
	}
	return ti, ok
}

// Metadata returns a copy of the header's "__metadata__" map (empty if none).
func (f *File) Metadata() map[string]string { return maps.Clone(f.h.metadata) }

// Raw returns the named tensor's little-endian bytes. When the file is
// memory-mapped the slice is a read-only view into the mapping, valid until
// Close: writing to it faults. Otherwise it is a fresh copy.
func (f *File) Raw(name string) ([]byte, error) {
	if f.closed {
		return nil, ErrClosed
	}
	ti, ok := f.h.tensors[name]
	if !ok {
		return nil, fmt.Errorf("safetensors: no tensor %q", name)
	}
	begin, end := f.dataStart+ti.Offsets[0], f.dataStart+ti.Offsets[1]
	if f.mapped != nil {
		return f.mapped[begin:end:end], nil
	}
	buf := make([]byte, end-begin)
	if n, err := f.r.ReadAt(buf, begin); n < len(buf) {
		return nil, fmt.Errorf("safetensors: tensor %q: %w", name, err)
	}
	return buf, nil
}

// Float32 returns the named tensor converted to float32 (from F32, F16 or
// BF16) and its shape. Other dtypes are refused with an error naming them.
func (f *File) Float32(name string) ([]float32, []int, error) {
	ti, ok := f.h.tensors[name]
	if !ok {
		return nil, nil, fmt.Errorf("safetensors: no tensor %q", name)
	}
	if !ti.DType.IsFloat() {
		return nil, nil, fmt.Errorf("safetensors: tensor %q has dtype %s, which cannot be converted to float32 (supported: F32, F16, BF16)", name, ti.DType)
	}
	raw, err := f.Raw(name)
	if err != nil {
		return nil, nil, err
	}
	out := make([]float32, ti.NumElements())
	if err := decodeFloat32(out, raw, ti.DType); err != nil {
		return nil, nil, fmt.Errorf("safetensors: tensor %q: %w", name, err)
	}
	return out, slices.Clone(ti.Shape), nil
}

// bytesReaderAt adapts a byte slice (the mapping) to io.ReaderAt.
type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off > int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
