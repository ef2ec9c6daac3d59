package safetensors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"sort"
	"unicode/utf8"
)

// MaxHeaderSize is the largest JSON header accepted (100 MiB, as the Rust
// implementation). The length prefix is checked against it before anything
// is allocated.
const MaxHeaderSize = 100 << 20

// metadataKey is the reserved header key holding the string→string metadata.
const metadataKey = "__metadata__"

// TensorInfo describes one tensor of a file.
type TensorInfo struct {
	// Name is the tensor's key in the header.
	Name string
	// DType is the element type.
	DType DType
	// Shape is the tensor's dimensions (empty for a scalar).
	Shape []int
	// Offsets are [begin, end) byte offsets relative to the data section.
	Offsets [2]int64
}

// NumElements returns the product of the shape (1 for a scalar).
func (ti TensorInfo) NumElements() int64 {
	n := int64(1)
	for _, d := range ti.Shape {
		n *= int64(d)
	}
	return n
}

// ByteSize returns the size of the tensor's data in bytes.
func (ti TensorInfo) ByteSize() int64 { return ti.Offsets[1] - ti.Offsets[0] }

// header is the validated, parsed JSON header.
type header struct {
	tensors  map[string]TensorInfo
	names    []string
	metadata map[string]string
}

// rawEntry is one tensor entry as it appears in the JSON.
type rawEntry struct {
	DType       *string  `json:"dtype"`
	Shape       *[]int64 `json:"shape"`
	DataOffsets *[]int64 `json:"data_offsets"`
}

// parseHeader parses and validates a header of a file whose data section is
// dataSize bytes long.
func parseHeader(buf []byte, dataSize int64) (*header, error) {
	if !utf8.Valid(buf) {
		return nil, errors.New("header is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(buf))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("header is not JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("header is not a JSON object")
	}
	h := &header{tensors: map[string]TensorInfo{}, metadata: map[string]string{}}
	seenMeta := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("header is not valid JSON: %w", err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, errors.New("header is not valid JSON: object key is not a string")
		}
		if name == metadataKey {
			if seenMeta {
				return nil, errors.New("header: duplicate __metadata__")
			}
			seenMeta = true
			if h.metadata, err = parseMetadata(dec); err != nil {
				return nil, err
			}
			continue
		}
		if _, dup := h.tensors[name]; dup {
			return nil, fmt.Errorf("tensor %q: duplicate name in header", name)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("tensor %q: header is not valid JSON: %w", name, err)
		}
		ti, err := parseEntry(name, raw)
		if err != nil {
			return nil, err
		}
		h.tensors[name] = ti
	}
	if _, err := dec.Token(); err != nil { // closing '}'
		return nil, fmt.Errorf("header is not valid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("header: trailing data after the JSON object")
	}
	if err := checkLayout(h.tensors, dataSize); err != nil {
		return nil, err
	}
	h.names = make([]string, 0, len(h.tensors))
	for n := range h.tensors {
		h.names = append(h.names, n)
	}
	sort.Strings(h.names)
	return h, nil
}

// parseMetadata reads the __metadata__ value: null or an object of strings.
func parseMetadata(dec *json.Decoder) (map[string]string, error) {
	m := map[string]string{}
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("__metadata__: %w", err)
	}
	if tok == nil {
		return m, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("__metadata__ must be a JSON object of strings")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("__metadata__: %w", err)
		}
		k, _ := tok.(string)
		tok, err = dec.Token()
		if err != nil {
			return nil, fmt.Errorf("__metadata__: %w", err)
		}
		v, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("__metadata__[%q] must be a string", k)
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("__metadata__: duplicate key %q", k)
		}
		m[k] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("__metadata__: %w", err)
	}
	return m, nil
}

// parseEntry validates one tensor entry on its own (dtype, shape, offsets,
// size agreement).
func parseEntry(name string, raw json.RawMessage) (TensorInfo, error) {
	fail := func(format string, a ...any) (TensorInfo, error) {
		return TensorInfo{}, fmt.Errorf("tensor %q: "+format, append([]any{name}, a...)...)
	}
	var e rawEntry
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return fail("bad entry: %v", err)
	}
	switch {
	case e.DType == nil:
		return fail("missing dtype")
	case e.Shape == nil:
		return fail("missing shape")
	case e.DataOffsets == nil:
		return fail("missing data_offsets")
	}
	dt := DType(*e.DType)
	if err := checkDType(dt); err != nil {
		return fail("%v", err)
	}
	if len(*e.DataOffsets) != 2 {
		return fail("data_offsets must have 2 entries, got %d", len(*e.DataOffsets))
	}
	begin, end := (*e.DataOffsets)[0], (*e.DataOffsets)[1]
	if begin < 0 || end < begin {
		return fail("invalid data_offsets [%d, %d]", begin, end)
	}
	elems := uint64(1)
	shape := make([]int, len(*e.Shape))
	for i, d := range *e.Shape {
		if d < 0 {
			return fail("negative dimension %d in shape %v", d, *e.Shape)
		}
		if uint64(d) > math.MaxInt {
			return fail("dimension %d too large", d)
		}
		hi, lo := bits.Mul64(elems, uint64(d))
		if hi != 0 {
			return fail("shape %v overflows", *e.Shape)
		}
		elems = lo
		shape[i] = int(d)
	}
	hi, size := bits.Mul64(elems, uint64(dt.Size()))
	if hi != 0 || size > math.MaxInt64 {
		return fail("shape %v overflows", *e.Shape)
	}
	if size != uint64(end-begin) {
		return fail("shape %v of %s needs %d bytes but data_offsets [%d, %d] span %d", *e.Shape, dt, size, begin, end, end-begin)
	}
	return TensorInfo{Name: name, DType: dt, Shape: shape, Offsets: [2]int64{begin, end}}, nil
}

// checkLayout enforces the format's rule that the tensors' spans, sorted,
// cover the data section exactly: contiguous, non-overlapping, no gap and
// nothing after the last tensor.
func checkLayout(tensors map[string]TensorInfo, dataSize int64) error {
	list := make([]TensorInfo, 0, len(tensors))
	for _, ti := range tensors {
		list = append(list, ti)
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.Offsets[0] != b.Offsets[0] {
			return a.Offsets[0] < b.Offsets[0]
		}
		if a.Offsets[1] != b.Offsets[1] {
			return a.Offsets[1] < b.Offsets[1]
		}
		return a.Name < b.Name
	})
	pos := int64(0)
	for _, ti := range list {
		switch {
		case ti.Offsets[1] > dataSize:
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] run past the end of the data section (%d bytes)", ti.Name, ti.Offsets[0], ti.Offsets[1], dataSize)
		case ti.Offsets[0] < pos:
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] overlap the previous tensor (ending at %d)", ti.Name, ti.Offsets[0], ti.Offsets[1], pos)
		case ti.Offsets[0] > pos:
			return fmt.Errorf("tensor %q: gap in the data section: starts at %d, previous tensor ends at %d", ti.Name, ti.Offsets[0], pos)
		}
		pos = ti.Offsets[1]
	}
	if pos != dataSize {
		return fmt.Errorf("data section is %d bytes but the tensors cover only %d", dataSize, pos)
	}
	return nil
}
