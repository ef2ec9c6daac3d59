package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

func sampleMessages() []Message {
	return []Message{
		&InitRequest{Combine: CombineAddDelta, Client: "b"},
		&InitResponse{SessionID: "s1", Combine: CombineReplace, RowBudget: 100, MaxRowsPerCall: 64, Modules: []ModuleInfo{
			{Name: "h.0.attn.c_attn", D: 32, R: 4, O: 96, ScaleA: 12, ScaleB: -3, Scaling: 2, Commitment: bytes.Repeat([]byte{7}, 32), CircuitID: "c1", VKFingerprint: "ab", KeyMode: "dev"},
			{Name: "h.0.attn.c_proj", D: 32, R: 4, O: 32, Commitment: []byte{1}},
		}},
		&ForwardRequest{SessionID: "s1", Module: "m", Call: 3, ScaleX: 9, X: Int16Rows{Rows: 2, Cols: 3, Data: []int16{1, -2, 3, -32768, 32767, 0}}},
		&ForwardRequest{SessionID: "s1", Module: "m", X: Int16Rows{Rows: 1, Cols: 2, Data: []int16{1, 2}}, Base: Float32Rows{Rows: 1, Cols: 3, Data: []float32{0.5, -1, 2}}},
		&ForwardResponse{Module: "m", Call: 3, Z: Int64Rows{Rows: 2, Cols: 2, Data: []int64{1 << 62, -(1 << 62), 0, -1}}},
		&ForwardResponse{Module: "m", Z: Int64Rows{Rows: 1, Cols: 1, Data: []int64{5}}, Out: Float32Rows{Rows: 1, Cols: 1, Data: []float32{3.25}}},
		&EndRequest{SessionID: "s1", Nonce: bytes.Repeat([]byte{9}, 32), Calls: 7, Root: [32]byte{1, 2, 3}},
		&EndResponse{SessionID: "s1", JobID: "j1"},
		&StatusRequest{SessionID: "s1"},
		&StatusResponse{SessionID: "s1", State: StateProving, Done: 1, Total: 4, Module: "m"},
		&FetchRequest{SessionID: "s1"},
		&FetchChunk{Path: "proofs/m.proof", Size: 10, Offset: 4, Data: []byte("abcdef")},
		&FetchChunk{Final: true},
		&ErrorMsg{Code: CodeBudgetExceeded, Message: "too many rows"},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, m := range sampleMessages() {
		var buf bytes.Buffer
		if err := WriteMessage(&buf, m); err != nil {
			t.Fatalf("%T: write: %v", m, err)
		}
		got, err := ReadMessage(&buf, 0)
		if err != nil {
			t.Fatalf("%T: read: %v", m, err)
		}
		if !reflect.DeepEqual(normalize(got), normalize(m)) {
			t.Fatalf("%T: round trip:\n got %+v\nwant %+v", m, got, m)
		}
		if buf.Len() != 0 {
			t.Fatalf("%T: %d bytes left", m, buf.Len())
		}
	}
}

// normalize maps nil and empty slices together for comparison.
func normalize(m Message) Message {
	switch v := m.(type) {
	case *ForwardRequest:
		c := *v
		if len(c.Base.Data) == 0 {
			c.Base = Float32Rows{}
		}
		return &c
	case *ForwardResponse:
		c := *v
		if len(c.Out.Data) == 0 {
			c.Out = Float32Rows{}
		}
		return &c
	case *FetchChunk:
		c := *v
		if len(c.Data) == 0 {
			c.Data = nil
		}
		return &c
	}
	return m
}

func TestTensorLittleEndian(t *testing.T) {
	f, err := Encode(&ForwardResponse{Module: "m", Z: Int64Rows{Rows: 1, Cols: 1, Data: []int64{0x0102030405060708}}})
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{8, 7, 6, 5, 4, 3, 2, 1}
	if !bytes.Contains(f.Payload, want) {
		t.Fatalf("payload %x does not hold the little-endian element", f.Payload)
	}
}

// hugeReader returns a header announcing n bytes and then fails the test if
// anything reads past it: the limit must be enforced from the header alone.
type headerOnly struct {
	hdr  []byte
	read int
}

func (h *headerOnly) Read(p []byte) (int, error) {
	if h.read >= len(h.hdr) {
		return 0, errors.New("payload read after an oversized header")
	}
	n := copy(p, h.hdr[h.read:])
	h.read += n
	return n, nil
}

func TestOversizedLengthRejectedBeforeAllocation(t *testing.T) {
	hdr := []byte{'Z', 'L', Version, byte(TypeForward), 0, 0, 0, 0}
	binary.BigEndian.PutUint32(hdr[4:], 0xFFFFFFFF)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 100 {
		_, err := ReadFrame(&headerOnly{hdr: hdr}, 1<<20)
		if !errors.Is(err, ErrFrameTooLarge) {
			t.Fatalf("got %v, want ErrFrameTooLarge", err)
		}
	}
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Fatalf("%d bytes allocated for 100 rejected headers", d)
	}
	// The limit holds even if the caller passes a huge one.
	binary.BigEndian.PutUint32(hdr[4:], AbsoluteMaxFrame+1)
	if _, err := ReadFrame(&headerOnly{hdr: hdr}, 0xFFFFFFFF); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("got %v, want ErrFrameTooLarge", err)
	}
}

func TestHeaderErrors(t *testing.T) {
	cases := map[string]struct {
		hdr  []byte
		want error
	}{
		"magic":   {[]byte{'G', 'E', 'T', ' ', '/', ' ', 'H', 'T'}, ErrBadMagic},
		"version": {[]byte{'Z', 'L', 2, byte(TypeInit), 0, 0, 0, 0}, ErrBadVersion},
		"type":    {[]byte{'Z', 'L', Version, 0x99, 0, 0, 0, 0}, ErrUnknownType},
	}
	for name, c := range cases {
		if _, err := ReadFrame(bytes.NewReader(c.hdr), 0); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
	// Truncated payload.
	if _, err := ReadFrame(bytes.NewReader([]byte{'Z', 'L', Version, byte(TypeInit), 0, 0, 0, 9, 1}), 0); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated payload: got %v", err)
	}
}

func TestTruncatedAndExtendedPayloads(t *testing.T) {
	for _, m := range sampleMessages() {
		f, err := Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		for cut := 0; cut < len(f.Payload); cut++ {
			if _, err := Decode(Frame{Type: f.Type, Payload: f.Payload[:cut]}); err == nil {
				t.Fatalf("%T cut at %d/%d decoded", m, cut, len(f.Payload))
			}
		}
		long := append(append([]byte(nil), f.Payload...), 0)
		if _, err := Decode(Frame{Type: f.Type, Payload: long}); err == nil || !strings.Contains(err.Error(), "trailing") {
			t.Fatalf("%T with a trailing byte: %v", m, err)
		}
	}
}

func TestTensorShapeLies(t *testing.T) {
	// A tensor header claiming 2^24 × 2^24 elements in a tiny payload.
	var e encoder
	e.str("s")
	e.str("m")
	e.u32(0)
	e.i32(0)
	e.u32(MaxTensorDim)
	e.u32(MaxTensorDim)
	if _, err := Decode(Frame{Type: TypeForward, Payload: e.b}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("got %v", err)
	}
	// Encoding refuses a tensor whose data does not match its shape.
	if _, err := Encode(&ForwardRequest{SessionID: "s", Module: "m", X: Int16Rows{Rows: 2, Cols: 2, Data: []int16{1}}}); err == nil {
		t.Fatal("encoded a lying tensor")
	}
	// Replace-mode base output with another number of rows.
	if _, err := Encode(&ForwardRequest{SessionID: "s", Module: "m", X: Int16Rows{Rows: 1, Cols: 1, Data: []int16{1}}, Base: Float32Rows{Rows: 2, Cols: 1, Data: []float32{1, 2}}}); err == nil {
		t.Fatal("encoded a mismatched base output")
	}
	// A NaN in a float tensor.
	var e2 encoder
	e2.str("m")
	e2.u32(0)
	e2.int64Rows(Int64Rows{Rows: 1, Cols: 1, Data: []int64{1}})
	e2.u32(1)
	e2.u32(1)
	e2.b = append(e2.b, 0, 0, 0xc0, 0x7f)
	if _, err := Decode(Frame{Type: TypeForwardOK, Payload: e2.b}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("NaN output decoded: %v", err)
	}
}

func TestValidation(t *testing.T) {
	bad := []Message{
		&InitRequest{Combine: "sum"},
		&InitResponse{SessionID: "s", Combine: CombineAddDelta, Modules: []ModuleInfo{{Name: "m", D: 1, R: 1, O: 1, Commitment: []byte{1}}, {Name: "m", D: 1, R: 1, O: 1, Commitment: []byte{1}}}},
		&InitResponse{SessionID: "s", Combine: CombineAddDelta, Modules: []ModuleInfo{{Name: "m", D: 0, R: 1, O: 1, Commitment: []byte{1}}}},
		&ForwardRequest{SessionID: "s", Module: "m", X: Int16Rows{}},
		&EndRequest{SessionID: "s", Nonce: []byte{1}},
		&StatusResponse{SessionID: "s", State: 9},
		&StatusResponse{SessionID: "s", State: StateDone, Done: 2, Total: 1},
		&FetchChunk{Path: "../etc/passwd", Size: 1, Data: []byte{1}},
		&FetchChunk{Path: "a", Size: 1, Offset: 1, Data: []byte{1}},
	}
	for _, m := range bad {
		if _, err := Encode(m); err == nil {
			t.Errorf("%T %+v encoded", m, m)
		}
	}
}

func TestCheckRelPath(t *testing.T) {
	good := []string{"manifest.json", "proofs/h.0.attn.c_attn.proof", "keys/abc-1_2.vk"}
	bad := []string{"", "/etc/passwd", "../x", "a/../b", "a//b", "a/", "./a", `a\b`, "a b", "a/b/c/d/e/f/g/h/i", "é"}
	for _, p := range good {
		if err := CheckRelPath(p); err != nil {
			t.Errorf("%q rejected: %v", p, err)
		}
	}
	for _, p := range bad {
		if err := CheckRelPath(p); err == nil {
			t.Errorf("%q accepted", p)
		}
	}
}

func TestErrorfTruncates(t *testing.T) {
	e := Errorf(CodeInternal, "%s", strings.Repeat("x", 3*MaxStringLen))
	if _, err := Encode(e); err != nil {
		t.Fatal(err)
	}
}
