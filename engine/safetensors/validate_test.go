package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// rawFile assembles a file from a literal header and dataLen zero bytes.
func rawFile(header string, dataLen int) []byte {
	b := make([]byte, 8, 8+len(header)+dataLen)
	binary.LittleEndian.PutUint64(b, uint64(len(header)))
	b = append(b, header...)
	return append(b, make([]byte, dataLen)...)
}

// TestRustLayoutByteForByte compares Write with a file laid out by hand
// exactly as safetensors' Rust serialize writes it (Python's save_file with
// metadata={"format":"pt"}): compact JSON, "__metadata__" first, the header
// padded with spaces to a multiple of 8, then the data.
func TestRustLayoutByteForByte(t *testing.T) {
	want := []byte("\x60\x00\x00\x00\x00\x00\x00\x00" + // 96 = 91 + 5 spaces
		`{"__metadata__":{"format":"pt"},"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}` + "     " +
		"\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\x04\x00\x00\x00")
	data := []byte{1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0}
	got := writeBytes(t, []Tensor{{Name: "test", DType: DTypeI32, Shape: []int{2, 2}, Data: data}}, nil)
	if !bytes.Equal(got, want) {
		t.Fatalf("Write:\n got %q\nwant %q", got, want)
	}
	f := openBytes(t, want)
	raw, err := f.Raw("test")
	if err != nil || !bytes.Equal(raw, data) {
		t.Fatalf("Raw = % x, %v", raw, err)
	}
	if _, _, err := f.Float32("test"); err == nil || !strings.Contains(err.Error(), "I32") {
		t.Fatalf("Float32 of I32: err = %v, want one naming I32", err)
	}
	// Older writers did not pad (header of 60 bytes): still valid.
	old := []byte("<\x00\x00\x00\x00\x00\x00\x00" + `{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}` + string(data))
	if f := openBytes(t, old); len(f.Metadata()) != 0 || f.Len() != 1 {
		t.Fatalf("unpadded file: %v %d", f.Metadata(), f.Len())
	}
}

func TestRejects(t *testing.T) {
	good := writeBytes(t, []Tensor{F32("a", []int{2}, []float32{1, 2}), F32("b", []int{1}, []float32{3})}, nil)
	hugeLen := slicesClone(good)
	binary.LittleEndian.PutUint64(hugeLen, 1<<62)
	overFile := slicesClone(good)
	binary.LittleEndian.PutUint64(overFile, uint64(len(good)))
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"empty file", nil, "too short"},
		{"truncated data", good[:len(good)-1], "data section"},
		{"truncated header", good[:20], "exceeds the file"},
		{"extra data", append(slicesClone(good), 0, 0, 0, 0), "cover only"},
		{"huge header length", hugeLen, "exceeds the limit"},
		{"header past end", overFile, "exceeds the file"},
		{"not JSON", rawFile(`hello world!`, 0), "not JSON"},
		{"JSON array", rawFile(`[1,2,3]`, 0), "not a JSON object"},
		{"truncated JSON", rawFile(`{"a":{"dtype":"F32"`, 0), "JSON"},
		{"trailing garbage", rawFile(`{} x`, 0), "JSON"},
		{"invalid UTF-8", rawFile("{\"\xff\":1}", 0), "UTF-8"},
		{"lying offsets", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 4), `tensor "a"`},
		{"offsets past end", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 4), "past the end"},
		{"reversed offsets", rawFile(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}`, 8), "invalid data_offsets"},
		{"negative offset", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}`, 8), "invalid data_offsets"},
		{"three offsets", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, 4), "2 entries"},
		{"overlap", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), "overlap"},
		{"gap", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, 12), `tensor "b": gap`},
		{"gap at start", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), "gap"},
		{"wrong shape product", rawFile(`{"w":{"dtype":"F16","shape":[2,3],"data_offsets":[0,8]}}`, 8), `tensor "w": shape [2 3] of F16 needs 12 bytes`},
		{"unknown dtype", rawFile(`{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}`, 16), `"F128"`},
		{"negative dim", rawFile(`{"a":{"dtype":"F32","shape":[-1,-4],"data_offsets":[0,16]}}`, 16), "negative dimension"},
		{"fractional dim", rawFile(`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, 4), `tensor "a"`},
		{"overflowing shape", rawFile(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}`, 0), "overflows"},
		{"overflow to zero size", rawFile(`{"a":{"dtype":"U8","shape":[4294967296,4294967296,16],"data_offsets":[0,0]}}`, 0), "overflows"},
		{"duplicate name", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), "duplicate"},
		{"missing dtype", rawFile(`{"a":{"shape":[1],"data_offsets":[0,4]}}`, 4), "missing dtype"},
		{"missing shape", rawFile(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, 4), "missing shape"},
		{"missing offsets", rawFile(`{"a":{"dtype":"F32","shape":[1]}}`, 4), "missing data_offsets"},
		{"unknown field", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`, 4), `tensor "a"`},
		{"entry not object", rawFile(`{"a":5}`, 0), `tensor "a"`},
		{"metadata not strings", rawFile(`{"__metadata__":{"format":1}}`, 0), "must be a string"},
		{"metadata not object", rawFile(`{"__metadata__":[]}`, 0), "__metadata__"},
		{"metadata duplicate key", rawFile(`{"__metadata__":{"k":"a","k":"b"}}`, 0), "duplicate"},
		{"duplicate metadata", rawFile(`{"__metadata__":{},"__metadata__":{}}`, 0), "duplicate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewReader(bytes.NewReader(c.file), int64(len(c.file)))
			if err == nil {
				t.Fatalf("accepted")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not mention %q", err, c.want)
			}
		})
	}
}

func TestAcceptsEdgeCases(t *testing.T) {
	for _, h := range []string{
		`{}`,
		`{"__metadata__":null}`,
		`{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]}}`,
		`{"x":{"dtype":"I64","shape":[],"data_offsets":[0,8]}}`,
	} {
		b := rawFile(h, 8*strings.Count(h, "I64"))
		if _, err := NewReader(bytes.NewReader(b), int64(len(b))); err != nil {
			t.Errorf("%s: %v", h, err)
		}
	}
}

func TestWriteRejects(t *testing.T) {
	for name, ts := range map[string][]Tensor{
		"short data":    {F32("a", []int{3}, []float32{1, 2})},
		"negative dim":  {{Name: "a", DType: DTypeF32, Shape: []int{-1}}},
		"unknown dtype": {{Name: "a", DType: "Q4", Shape: []int{1}, Data: []byte{0}}},
		"duplicate":     {F32("a", []int{1}, []float32{1}), F32("a", []int{1}, []float32{1})},
		"empty name":    {F32("", []int{1}, []float32{1})},
		"reserved name": {F32("__metadata__", []int{1}, []float32{1})},
	} {
		if err := Write(&bytes.Buffer{}, ts, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := FromFloat32("a", DTypeI64, []int{1}, []float32{1}); err == nil {
		t.Error("FromFloat32 to I64 accepted")
	}
}

func TestOpenMappedAndClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.safetensors")
	if err := WriteFile(path, []Tensor{F32("w", []int{2, 2}, []float32{1, 2, 3, 4})}, nil); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "linux" && !f.Mapped() {
		t.Fatal("Open did not memory-map the file on linux")
	}
	if f.Mapped() {
		a, _ := f.Raw("w")
		b, _ := f.Raw("w")
		if &a[0] != &b[0] {
			t.Fatal("Raw copies although the file is mapped")
		}
	}
	v, shape, err := f.Float32("w")
	if err != nil || len(v) != 4 || v[3] != 4 || shape[0] != 2 {
		t.Fatalf("Float32 = %v %v %v", v, shape, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := f.Raw("w"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Raw after Close: %v", err)
	}
	// A corrupt file on disk is rejected with the path in the error.
	if err := os.WriteFile(path, rawFile(`{"a":1}`, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open corrupt: %v", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("Open missing file: no error")
	}
}

func TestInfoIsACopy(t *testing.T) {
	f := openBytes(t, writeBytes(t, []Tensor{F32("w", []int{2}, []float32{1, 2})}, nil))
	ti, _ := f.Info("w")
	ti.Shape[0] = 99
	if ti2, _ := f.Info("w"); ti2.Shape[0] != 2 || ti2.Offsets != [2]int64{0, 8} || ti2.NumElements() != 2 {
		t.Fatalf("Info = %+v", ti2)
	}
}

func slicesClone(b []byte) []byte { return append([]byte(nil), b...) }

func FuzzOpen(f *testing.F) {
	var buf bytes.Buffer
	_ = Write(&buf, []Tensor{F32("a", []int{2}, []float32{1, 2}), F16("b", []int{1, 1}, []float32{3}), BF16("c", []int{}, []float32{4})}, nil)
	f.Add(buf.Bytes())
	f.Add(rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 8))
	f.Add(rawFile(`{"__metadata__":{"format":"pt"}}`, 0))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		for _, n := range file.Names() {
			info, ok := file.Info(n)
			if !ok {
				t.Fatalf("Info(%q) missing", n)
			}
			raw, err := file.Raw(n)
			if err != nil || int64(len(raw)) != info.ByteSize() {
				t.Fatalf("Raw(%q): %d bytes, %v", n, len(raw), err)
			}
			if v, _, err := file.Float32(n); err == nil && int64(len(v)) != info.NumElements() {
				t.Fatalf("Float32(%q): %d values", n, len(v))
			}
		}
	})
}

func TestOpenFallbackReader(t *testing.T) {
	// The positioned-read path Open falls back to when mmap is unavailable.
	path := filepath.Join(t.TempDir(), "x.safetensors")
	if err := WriteFile(path, []Tensor{BF16("w", []int{3}, []float32{1, -2, 0.5})}, nil); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	st, _ := fh.Stat()
	f, err := NewReader(io.NewSectionReader(fh, 0, st.Size()), st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if f.Mapped() {
		t.Fatal("NewReader claims a mapping")
	}
	v, _, err := f.Float32("w")
	if err != nil || v[0] != 1 || v[1] != -2 || v[2] != 0.5 {
		t.Fatalf("Float32 = %v, %v", v, err)
	}
}
