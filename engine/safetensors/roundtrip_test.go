package safetensors

import (
	"bytes"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeBytes(t *testing.T, tensors []Tensor, meta map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, tensors, meta); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

func openBytes(t *testing.T, b []byte) *File {
	t.Helper()
	f, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	return f
}

func TestRoundTripAllFloatDTypes(t *testing.T) {
	vals := []float32{1, -2, 0.5, 0, 3.25, -0.125}
	tensors := []Tensor{
		F32("z.f32", []int{2, 3}, vals),
		F16("a.f16", []int{3, 2}, vals),
		BF16("m.bf16", []int{6}, vals),
		F32("scalar", []int{}, []float32{7}),
		F32("empty", []int{0, 4}, nil),
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	if err := WriteFile(path, tensors, map[string]string{"format": "pt", "k": "v"}); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, want := f.Names(), []string{"a.f16", "empty", "m.bf16", "scalar", "z.f32"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Names = %v, want %v", got, want)
	}
	if got := f.Metadata(); !reflect.DeepEqual(got, map[string]string{"format": "pt", "k": "v"}) {
		t.Fatalf("Metadata = %v", got)
	}
	for _, tc := range []struct {
		name  string
		dt    DType
		shape []int
		want  []float32
	}{
		{"z.f32", DTypeF32, []int{2, 3}, vals},
		{"a.f16", DTypeF16, []int{3, 2}, vals},
		{"m.bf16", DTypeBF16, []int{6}, vals},
		{"scalar", DTypeF32, []int{}, []float32{7}},
		{"empty", DTypeF32, []int{0, 4}, []float32{}},
	} {
		info, ok := f.Info(tc.name)
		if !ok || info.DType != tc.dt || !reflect.DeepEqual(info.Shape, tc.shape) {
			t.Fatalf("%s: Info = %+v, %v", tc.name, info, ok)
		}
		got, shape, err := f.Float32(tc.name)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !reflect.DeepEqual(shape, tc.shape) || !reflect.DeepEqual(got, tc.want) {
			t.Fatalf("%s: got %v %v, want %v %v", tc.name, got, shape, tc.want, tc.shape)
		}
	}
	if _, _, err := f.Float32("nope"); err == nil {
		t.Fatal("missing tensor: no error")
	}
}

func TestKnownBitPatterns(t *testing.T) {
	f16 := []struct {
		f    float32
		bits uint16
	}{
		{1, 0x3C00}, {-2, 0xC000}, {0.5, 0x3800}, {65504, 0x7BFF},
		{float32(math.Inf(1)), 0x7C00}, {float32(math.Inf(-1)), 0xFC00},
		{0x1p-24, 0x0001}, // smallest subnormal
		{0x1p-14, 0x0400}, // smallest normal
		{0x3FFp-24, 0x03FF},
		{65520, 0x7C00},       // rounds up to Inf
		{0x1p-25, 0x0000},     // tie between 0 and 2^-24 → even (0)
		{0x1.8p-24, 0x0002},   // tie between 1 and 2 subnormal units → even (2)
		{1 + 0x1p-11, 0x3C00}, // tie → even
		{1 + 0x3p-11, 0x3C02}, // tie → even (up)
		{float32(math.Copysign(0, -1)), 0x8000},
	}
	for _, c := range f16 {
		if got := Float32ToF16(c.f); got != c.bits {
			t.Errorf("Float32ToF16(%g) = %#04x, want %#04x", c.f, got, c.bits)
		}
		back := F16ToFloat32(c.bits)
		want := c.f
		if c.bits == 0x7C00 {
			want = float32(math.Inf(1))
		}
		if c.f == 0x1p-25 || c.f == 1+0x1p-11 || c.f == 1+0x3p-11 || c.f == 0x1.8p-24 {
			continue // rounded; no exact way back
		}
		if math.Float32bits(back) != math.Float32bits(want) {
			t.Errorf("F16ToFloat32(%#04x) = %g, want %g", c.bits, back, want)
		}
	}
	nan := Float32ToF16(float32(math.NaN()))
	if nan&0x7C00 != 0x7C00 || nan&0x3FF == 0 {
		t.Errorf("F16 NaN = %#04x", nan)
	}
	if v := F16ToFloat32(0x7E00); !math.IsNaN(float64(v)) {
		t.Errorf("F16ToFloat32(0x7E00) = %g, want NaN", v)
	}
	// Every finite F16 survives F16 → F32 → F16.
	for h := 0; h < 1<<16; h++ {
		if h&0x7C00 == 0x7C00 && h&0x3FF != 0 {
			continue
		}
		if got := Float32ToF16(F16ToFloat32(uint16(h))); got != uint16(h) {
			t.Fatalf("F16 %#04x round trips to %#04x", h, got)
		}
	}
	bf := []struct {
		f    float32
		bits uint16
	}{
		{1, 0x3F80}, {-2, 0xC000}, {0.5, 0x3F00},
		{float32(math.Inf(1)), 0x7F80},
		{1 + 0x1p-8, 0x3F80}, // tie → even
		{1 + 0x3p-8, 0x3F82}, // tie → even (up)
		{math.MaxFloat32, 0x7F80},
	}
	for _, c := range bf {
		if got := Float32ToBF16(c.f); got != c.bits {
			t.Errorf("Float32ToBF16(%g) = %#04x, want %#04x", c.f, got, c.bits)
		}
	}
	if b := Float32ToBF16(float32(math.NaN())); b&0x7F80 != 0x7F80 || b&0x7F == 0 {
		t.Errorf("BF16 NaN = %#04x", b)
	}
	// The constructors write these patterns little-endian.
	f := openBytes(t, writeBytes(t, []Tensor{F16("h", []int{1}, []float32{1}), BF16("b", []int{1}, []float32{1})}, nil))
	if raw, _ := f.Raw("h"); !bytes.Equal(raw, []byte{0x00, 0x3C}) {
		t.Errorf("F16 raw = % x", raw)
	}
	if raw, _ := f.Raw("b"); !bytes.Equal(raw, []byte{0x80, 0x3F}) {
		t.Errorf("BF16 raw = % x", raw)
	}
}

func TestWriteLazyMatchesWrite(t *testing.T) {
	a := F32("a", []int{2, 2}, []float32{1, 2, 3, 4})
	b := BF16("b", []int{3}, []float32{5, 6, 7})
	eager := writeBytes(t, []Tensor{b, a}, nil)
	var lazy bytes.Buffer
	fill := func(src []byte) func([]byte) error {
		return func(dst []byte) error {
			if len(dst) != len(src) {
				return errors.New("wrong buffer size")
			}
			copy(dst, src)
			return nil
		}
	}
	err := WriteLazy(&lazy, []Lazy{
		{Name: "b", DType: b.DType, Shape: b.Shape, Fill: fill(b.Data)},
		{Name: "a", DType: a.DType, Shape: a.Shape, Fill: fill(a.Data)},
	}, nil)
	if err != nil || !bytes.Equal(lazy.Bytes(), eager) {
		t.Fatalf("WriteLazy differs from Write (err %v)", err)
	}
	boom := errors.New("boom")
	err = WriteLazy(&bytes.Buffer{}, []Lazy{{Name: "x", DType: DTypeF32, Shape: []int{1}, Fill: func([]byte) error { return boom }}}, nil)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), `"x"`) {
		t.Fatalf("Fill error: %v", err)
	}
	if err := WriteLazy(&bytes.Buffer{}, []Lazy{{Name: "x", DType: DTypeF32, Shape: []int{1}}}, nil); err == nil {
		t.Fatal("nil Fill accepted")
	}
}
