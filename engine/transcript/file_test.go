package transcript

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/zklora/zklora/circuits"
)

// valuesStart returns the file offsets of the X and Z values of every
// call (calls as written, in order).
func valueOffsets(tr *Transcript, data []byte) (xs, zs []int) {
	// Header: magic, version, session id, nonce, modules, call count.
	off := 4 + 2 + 4 + len(tr.SessionID) + 4 + len(tr.Nonce) + 4
	for i := range tr.Modules {
		off += len(appendModule(nil, &tr.Modules[i]))
	}
	off += 4
	for _, c := range tr.Calls {
		off += 4 + len(c.Module) + 4 + 4
		m, _ := tr.Module(c.Module)
		for i := 0; i < c.Rows*m.Shape.D; i++ {
			xs = append(xs, off+2*i)
		}
		off += 2 * c.Rows * m.Shape.D
		for i := 0; i < c.Rows*m.Shape.O; i++ {
			zs = append(zs, off+8*i)
		}
		off += 8 * c.Rows * m.Shape.O
	}
	if off != len(data) {
		panic("valueOffsets: layout does not match the file")
	}
	return xs, zs
}

// TestRootBindsEveryValue flips bytes of every X and Z value (and of a
// random sample of all other bytes) in the encoded file: each corrupted file
// must either fail to decode or decode to a different root (or, for the
// nonce, to a different nonce).
func TestRootBindsEveryValue(t *testing.T) {
	tr, _ := testTranscript(t, 5)
	root := tr.Root()
	data := encode(t, tr)
	xs, zs := valueOffsets(tr, data)
	check := func(pos int, mask byte) {
		bad := append([]byte(nil), data...)
		bad[pos] ^= mask
		got, err := Decode(bytes.NewReader(bad))
		if err != nil {
			return
		}
		if got.Root() == root && bytes.Equal(got.Nonce, tr.Nonce) {
			t.Fatalf("flipping byte %d (mask %#x) changed neither the root nor the nonce", pos, mask)
		}
	}
	for _, p := range xs {
		check(p, 0x01)   // low byte of the int16
		check(p+1, 0x80) // sign bit
	}
	for _, p := range zs {
		check(p, 0x01)
		check(p+7, 0x80)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 2000; i++ {
		check(rng.IntN(len(data)), byte(1<<rng.IntN(8)))
	}
	// Every byte of the header region, one bit each.
	for p := 0; p < xs[0]; p++ {
		check(p, 0x04)
	}
}

func TestRootChangesWithEachValue(t *testing.T) {
	tr, calls := testTranscript(t, 6)
	root := tr.Root()
	for ci := range calls {
		for _, which := range []string{"X", "Z"} {
			n := len(calls[ci].X)
			if which == "Z" {
				n = len(calls[ci].Z)
			}
			for i := 0; i < n; i++ {
				tr2, _ := New(tr.SessionID, tr.Modules)
				for cj, c := range calls {
					if cj == ci {
						c.X = append([]int16(nil), c.X...)
						c.Z = append([]int64(nil), c.Z...)
						if which == "X" {
							c.X[i] ^= 1
						} else {
							c.Z[i] ^= 1 << 40
						}
					}
					if err := tr2.Append(c); err != nil {
						t.Fatal(err)
					}
				}
				if tr2.Root() == root {
					t.Fatalf("call %d %s[%d] changed, root did not", ci, which, i)
				}
			}
		}
	}
	// Moving a row between two calls (same values, different split) changes
	// the root too.
	m := testModules()[0]
	a, _ := New("s", []Module{m})
	b, _ := New("s", []Module{m})
	c := randCall(rand.New(rand.NewPCG(1, 2)), m, 0, 3)
	_ = a.Append(c)
	_ = b.Append(Call{Module: m.Name, Index: 0, Rows: 1, X: c.X[:4], Z: c.Z[:3]})
	_ = b.Append(Call{Module: m.Name, Index: 1, Rows: 2, X: c.X[4:], Z: c.Z[3:]})
	if a.Root() == b.Root() {
		t.Fatal("re-splitting the rows into calls kept the root")
	}
	// Header fields are bound too.
	for name, f := range map[string]func(*Module){
		"commitment": func(m *Module) { m.Commitment = []byte{9} },
		"vk":         func(m *Module) { m.VKFingerprint = "other" },
		"key mode":   func(m *Module) { m.KeyMode = "ceremony" },
		"shape":      func(m *Module) { m.Shape.R = 3 },
	} {
		mm := m
		f(&mm)
		x, _ := New("s", []Module{mm})
		_ = x.Append(c)
		if x.Root() == a.Root() {
			t.Errorf("changing the module's %s kept the root", name)
		}
	}
	other, _ := New("t", []Module{m})
	_ = other.Append(c)
	if other.Root() == a.Root() {
		t.Error("changing the session id kept the root")
	}
}

// TestRootKnownAnswer pins the tree shape: an RFC 6962 tree over the given
// leaf hashes, recomputed here by hand for 1 to 9 leaves.
func TestMerkleRootShape(t *testing.T) {
	leaf := func(i int) [32]byte { return hashLeaf([]byte{byte(i)}) }
	node := func(l, r [32]byte) [32]byte { return hashNode(&l, &r) }
	l := make([][32]byte, 9)
	for i := range l {
		l[i] = leaf(i)
	}
	want := map[int][32]byte{
		1: l[0],
		2: node(l[0], l[1]),
		3: node(node(l[0], l[1]), l[2]),
		4: node(node(l[0], l[1]), node(l[2], l[3])),
		5: node(node(node(l[0], l[1]), node(l[2], l[3])), l[4]),
		7: node(node(node(l[0], l[1]), node(l[2], l[3])), node(node(l[4], l[5]), l[6])),
		9: node(node(node(node(l[0], l[1]), node(l[2], l[3])), node(node(l[4], l[5]), node(l[6], l[7]))), l[8]),
	}
	for n, w := range want {
		if got := merkleRoot(l[:n]); got != w {
			t.Errorf("%d leaves: wrong root", n)
		}
	}
	// Leaf and node hashing are domain-separated.
	var x [32]byte
	if hashLeaf(append(x[:], x[:]...)) == hashNode(&x, &x) {
		t.Fatal("leaf and node hashes collide")
	}
}

func TestDecodeTruncated(t *testing.T) {
	tr, _ := testTranscript(t, 7)
	data := encode(t, tr)
	for n := 0; n < len(data); n++ {
		if _, err := Decode(bytes.NewReader(data[:n])); err == nil {
			t.Fatalf("a file cut at %d of %d bytes decoded", n, len(data))
		}
	}
	_, err := Decode(bytes.NewReader(data[:len(data)-3]))
	if err == nil || !strings.Contains(err.Error(), "truncated") || !strings.Contains(err.Error(), "call 2 of module") {
		t.Fatalf("truncation error does not say where: %v", err)
	}
}

func TestDecodeRefuses(t *testing.T) {
	tr, _ := testTranscript(t, 8)
	data := encode(t, tr)
	mut := func(f func([]byte) []byte) []byte { return f(append([]byte(nil), data...)) }
	cases := map[string]struct {
		in   []byte
		want string
	}{
		"trailing byte": {append(append([]byte(nil), data...), 0), "trailing"},
		"bad magic":     {mut(func(b []byte) []byte { b[0] = 'X'; return b }), "magic"},
		"version 2":     {mut(func(b []byte) []byte { b[4] = 2; return b }), "version 2"},
		"version 0":     {mut(func(b []byte) []byte { b[4] = 0; return b }), "version 0"},
		"empty":         {nil, "truncated"},
		"huge session id": {mut(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[6:], 1<<31)
			return b
		}), "session id"},
	}
	for name, c := range cases {
		_, err := Decode(bytes.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", name, err, c.want)
		}
	}
	// Hand-built files: duplicate call, unknown module, zero rows, too many
	// modules / calls, bad shape.
	m := Module{Name: "m", Shape: circuits.Shape{D: 1, R: 1, O: 1}}
	hdr := func(modules []Module, ncalls uint32) []byte {
		b := []byte("ZKLT")
		b = binary.LittleEndian.AppendUint16(b, 1)
		b = appendLP(b, []byte("s"))
		b = appendLP(b, nil)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(modules)))
		for i := range modules {
			b = appendModule(b, &modules[i])
		}
		return binary.LittleEndian.AppendUint32(b, ncalls)
	}
	call := func(b []byte, module string, index, rows uint32, nvals int) []byte {
		b = appendLP(b, []byte(module))
		b = binary.LittleEndian.AppendUint32(b, index)
		b = binary.LittleEndian.AppendUint32(b, rows)
		return append(b, make([]byte, nvals)...)
	}
	dup := call(call(hdr([]Module{m}, 2), "m", 0, 1, 10), "m", 0, 1, 10)
	unknown := call(hdr([]Module{m}, 1), "n", 0, 1, 10)
	zero := call(hdr([]Module{m}, 1), "m", 0, 0, 0)
	tooManyRows := call(hdr([]Module{m}, 1), "m", 0, MaxCallRows+1, 0)
	badShape := hdr([]Module{{Name: "m", Shape: circuits.Shape{D: 8192, R: 17, O: 1}}}, 0)
	dupModule := hdr([]Module{m, m}, 0)
	manyModules := binary.LittleEndian.AppendUint32(hdr(nil, 0)[:len(hdr(nil, 0))-8], MaxModules+1)
	manyCalls := binary.LittleEndian.AppendUint32(hdr([]Module{m}, 0)[:len(hdr([]Module{m}, 0))-4], MaxCalls+1)
	for name, c := range map[string]struct {
		in   []byte
		want string
	}{
		"duplicate call":   {dup, "call 0 of module \"m\": recorded twice"},
		"unknown module":   {unknown, "not announced"},
		"zero rows":        {zero, "0 rows"},
		"too many rows":    {tooManyRows, "rows"},
		"overflow shape":   {badShape, "overflow"},
		"duplicate module": {dupModule, "twice"},
		"many modules":     {manyModules, "modules"},
		"many calls":       {manyCalls, "calls"},
	} {
		_, err := Decode(bytes.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", name, err, c.want)
		}
	}
	// Limits apply on decode.
	ok := call(call(hdr([]Module{m}, 2), "m", 0, 1, 10), "m", 1, 2, 20)
	if _, err := Decode(bytes.NewReader(ok)); err != nil {
		t.Fatalf("valid hand-built file: %v", err)
	}
	if _, err := DecodeWithLimits(bytes.NewReader(ok), Limits{MaxRows: 2}); err == nil {
		t.Fatal("row limit not applied on decode")
	}
	if _, err := DecodeWithLimits(bytes.NewReader(ok), Limits{MaxValues: 5}); err == nil {
		t.Fatal("value limit not applied on decode")
	}
	// ReadFrom leaves t unchanged on error.
	before := encode(t, tr)
	if _, err := tr.ReadFrom(bytes.NewReader(dup)); err == nil {
		t.Fatal("ReadFrom accepted a duplicate call")
	}
	if !bytes.Equal(encode(t, tr), before) {
		t.Fatal("a failed ReadFrom changed the transcript")
	}
}

// TestDecodeBoundedAllocation feeds short files that claim huge contents
// and checks that the decoder allocates little.
func TestDecodeBoundedAllocation(t *testing.T) {
	big := Module{Name: "m", Shape: circuits.Shape{D: 65536, R: 1, O: 65536}}
	b := []byte("ZKLT")
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = appendLP(b, []byte("s"))
	b = appendLP(b, nil)
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = appendModule(b, &big)
	b = binary.LittleEndian.AppendUint32(b, MaxCalls)
	b = appendLP(b, []byte("m"))
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, MaxCallRows) // claims 2^32 X and 2^32 Z values
	b = append(b, make([]byte, 20)...)
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	_, err := DecodeWithLimits(bytes.NewReader(b), Limits{MaxRows: 1 << 40, MaxValues: 1 << 40})
	runtime.ReadMemStats(&ms1)
	if err == nil {
		t.Fatal("decoded a file that claims gigabytes")
	}
	if alloc := ms1.TotalAlloc - ms0.TotalAlloc; alloc > 8<<20 {
		t.Fatalf("decoding %d bytes allocated %d bytes", len(b), alloc)
	}
	// With the default limits the claim is refused before reading values.
	_, err = Decode(bytes.NewReader(b))
	if err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("default limits: %v", err)
	}
}

// errReader fails after n bytes.
type errReader struct {
	r io.Reader
	n int
}

func (e *errReader) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, errors.New("disk on fire")
	}
	if len(p) > e.n {
		p = p[:e.n]
	}
	n, err := e.r.Read(p)
	e.n -= n
	return n, err
}

type errWriter struct{ n int }

func (e *errWriter) Write(p []byte) (int, error) {
	if e.n < len(p) {
		return 0, errors.New("disk full")
	}
	e.n -= len(p)
	return len(p), nil
}

func TestIOErrors(t *testing.T) {
	tr, _ := testTranscript(t, 9)
	data := encode(t, tr)
	for _, n := range []int{0, 10, len(data) / 2, len(data) - 1} {
		if _, err := Decode(&errReader{bytes.NewReader(data), n}); err == nil {
			t.Errorf("read error after %d bytes not reported", n)
		}
	}
	for _, n := range []int{0, 100, len(data) / 2} {
		if _, err := tr.WriteTo(&errWriter{n}); err == nil {
			t.Errorf("write error after %d bytes not reported", n)
		}
	}
	// WriteTo refuses a transcript that would not decode.
	bad := &Transcript{SessionID: "s", Modules: testModules(), Calls: []Call{{Module: "unused", Rows: 1, X: []int16{1}, Z: []int64{1, 2}}}}
	if _, err := bad.WriteTo(io.Discard); err == nil {
		t.Fatal("WriteTo wrote an invalid transcript")
	}
	if err := bad.Validate(); err == nil {
		t.Fatal("Validate accepted a call with the wrong X length")
	}
}

func FuzzTranscriptDecode(f *testing.F) {
	tr, _ := testTranscript(f, 10)
	var buf bytes.Buffer
	if _, err := tr.WriteTo(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	small, _ := New("s", []Module{{Name: "m", Shape: circuits.Shape{D: 1, R: 1, O: 1}}})
	_ = small.Append(Call{Module: "m", Rows: 1, X: []int16{-1}, Z: []int64{5}})
	buf.Reset()
	_, _ = small.WriteTo(&buf)
	f.Add(buf.Bytes())
	f.Add([]byte("ZKLT\x01\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if _, err := got.WriteTo(&out); err != nil {
			t.Fatalf("decoded transcript does not encode: %v", err)
		}
		if !bytes.Equal(out.Bytes(), data) {
			t.Fatal("accepted file does not re-encode to the same bytes")
		}
		_ = got.Root()
	})
}
