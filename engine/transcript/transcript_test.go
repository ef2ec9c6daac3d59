package transcript

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/zklora/zklora/circuits"
)

func testModules() []Module {
	return []Module{
		{Name: "h.0.attn.c_attn", Shape: circuits.Shape{D: 4, R: 2, O: 3}, Commitment: bytes.Repeat([]byte{1}, 32), VKFingerprint: "fp1", KeyMode: "dev"},
		{Name: "h.0.attn.c_proj", Shape: circuits.Shape{D: 3, R: 1, O: 5}, Commitment: bytes.Repeat([]byte{2}, 32), VKFingerprint: "fp2", KeyMode: "dev"},
		{Name: "unused", Shape: circuits.Shape{D: 2, R: 1, O: 2}},
	}
}

func randCall(rng *rand.Rand, m Module, index uint32, rows int) Call {
	c := Call{Module: m.Name, Index: index, Rows: rows, X: make([]int16, rows*m.Shape.D), Z: make([]int64, rows*m.Shape.O)}
	for i := range c.X {
		c.X[i] = int16(rng.Uint32())
	}
	for i := range c.Z {
		c.Z[i] = int64(rng.Uint64())
	}
	return c
}

// testTranscript builds a transcript with a few calls of two modules.
func testTranscript(t testing.TB, seed uint64) (*Transcript, []Call) {
	t.Helper()
	mods := testModules()
	tr, err := New("session-1", mods)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	var calls []Call
	for i := 0; i < 3; i++ {
		calls = append(calls, randCall(rng, mods[0], uint32(i), 1+i))
		calls = append(calls, randCall(rng, mods[1], uint32(i), 2))
	}
	for _, c := range calls {
		if err := tr.Append(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.SetNonce([]byte("nonce-123")); err != nil {
		t.Fatal(err)
	}
	return tr, calls
}

func encode(t testing.TB, tr *Transcript) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := tr.WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("WriteTo reported %d bytes, wrote %d", n, buf.Len())
	}
	return buf.Bytes()
}

func sameTranscript(a, b *Transcript) bool {
	return a.SessionID == b.SessionID && bytes.Equal(a.Nonce, b.Nonce) &&
		reflect.DeepEqual(a.Modules, b.Modules) && reflect.DeepEqual(a.Calls, b.Calls)
}

func TestRoundTrip(t *testing.T) {
	tr, _ := testTranscript(t, 1)
	data := encode(t, tr)
	got, err := Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !sameTranscript(tr, got) {
		t.Fatal("decoded transcript differs")
	}
	if got.Root() != tr.Root() {
		t.Fatal("root changed across a round trip")
	}
	if !bytes.Equal(encode(t, got), data) {
		t.Fatal("re-encoding differs")
	}
	var rt Transcript
	n, err := rt.ReadFrom(bytes.NewReader(data))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("ReadFrom: %d, %v", n, err)
	}
	if !sameTranscript(tr, &rt) {
		t.Fatal("ReadFrom transcript differs")
	}

	path := filepath.Join(t.TempDir(), "s.zklt")
	if err := tr.Save(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !sameTranscript(tr, loaded) {
		t.Fatal("loaded transcript differs")
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("Load of a missing file succeeded")
	}
}

func TestModuleRows(t *testing.T) {
	tr, calls := testTranscript(t, 2)
	m := testModules()[0]
	X, Z, T := tr.ModuleRows(m.Name)
	if T != 1+2+3 || len(X) != T*m.Shape.D || len(Z) != T*m.Shape.O {
		t.Fatalf("T=%d len X=%d Z=%d", T, len(X), len(Z))
	}
	var wantX []int16
	var wantZ []int64
	for _, c := range calls {
		if c.Module == m.Name {
			wantX = append(wantX, c.X...)
			wantZ = append(wantZ, c.Z...)
		}
	}
	if !reflect.DeepEqual(X, wantX) || !reflect.DeepEqual(Z, wantZ) {
		t.Fatal("ModuleRows is not the calls concatenated in index order")
	}
	if X, Z, T := tr.ModuleRows("unused"); X != nil || Z != nil || T != 0 {
		t.Fatal("unused module has rows")
	}
	if got := tr.UsedModules(); !reflect.DeepEqual(got, []string{"h.0.attn.c_attn", "h.0.attn.c_proj"}) {
		t.Fatalf("UsedModules = %v", got)
	}
	if n := tr.CallCount(m.Name); n != 3 {
		t.Fatalf("CallCount = %d", n)
	}
	if _, ok := tr.Module("nope"); ok {
		t.Fatal("unknown module found")
	}
	if got, ok := tr.Module(m.Name); !ok || !reflect.DeepEqual(got, m) {
		t.Fatal("Module returned the wrong module")
	}
}

func TestRootOrderIndependent(t *testing.T) {
	tr, calls := testTranscript(t, 3)
	want := tr.Root()
	rng := rand.New(rand.NewPCG(9, 9))
	for trial := 0; trial < 10; trial++ {
		perm := rng.Perm(len(calls))
		tr2, err := New("session-1", testModules())
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range perm {
			if err := tr2.Append(calls[i]); err != nil {
				t.Fatal(err)
			}
		}
		if tr2.Root() != want {
			t.Fatalf("root depends on append order %v", perm)
		}
	}
	// Module order at init does not matter either.
	mods := testModules()
	mods[0], mods[2] = mods[2], mods[0]
	tr3, _ := New("session-1", mods)
	for _, c := range calls {
		_ = tr3.Append(c)
	}
	if tr3.Root() != want {
		t.Fatal("root depends on module order")
	}
	// The nonce is not in the root.
	_ = tr3.SetNonce([]byte("other"))
	if tr3.Root() != want {
		t.Fatal("root depends on the nonce")
	}
}

func TestAppendRefuses(t *testing.T) {
	mods := testModules()
	rng := rand.New(rand.NewPCG(4, 4))
	good := randCall(rng, mods[0], 0, 2)
	cases := map[string]Call{
		"unknown module": {Module: "nope", Index: 0, Rows: 1, X: make([]int16, 4), Z: make([]int64, 3)},
		"zero rows":      {Module: mods[0].Name, Rows: 0},
		"short X":        {Module: mods[0].Name, Rows: 2, X: good.X[:7], Z: good.Z},
		"long Z":         {Module: mods[0].Name, Rows: 2, X: good.X, Z: append(append([]int64(nil), good.Z...), 1)},
		"too many rows":  {Module: mods[0].Name, Rows: MaxCallRows + 1},
	}
	for name, c := range cases {
		tr, _ := New("s", mods)
		if err := tr.Append(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	tr, _ := New("s", mods)
	if err := tr.Append(good); err != nil {
		t.Fatal(err)
	}
	if err := tr.Append(good); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("duplicate call: %v", err)
	}
	// Append copies: changing the caller's slice does not change the record.
	r := tr.Root()
	good.X[0]++
	if tr.Root() != r {
		t.Fatal("Append aliases the caller's X")
	}
	// Row limit.
	if err := tr.SetLimits(Limits{MaxRows: 3}); err != nil {
		t.Fatal(err)
	}
	if err := tr.Append(randCall(rng, mods[0], 1, 2)); err == nil {
		t.Fatal("row limit not enforced")
	}
	if err := tr.Append(randCall(rng, mods[0], 1, 1)); err != nil {
		t.Fatal(err)
	}
	if err := tr.SetLimits(Limits{MaxRows: 2}); err == nil {
		t.Fatal("SetLimits below what is recorded accepted")
	}
	if err := tr.SetLimits(Limits{MaxValues: 10}); err == nil {
		t.Fatal("SetLimits below the recorded values accepted")
	}
}

func TestNewRefuses(t *testing.T) {
	m := testModules()[0]
	bad := func(f func(*Module)) []Module { c := m; f(&c); return []Module{c} }
	cases := map[string]struct {
		sid  string
		mods []Module
	}{
		"empty session id":  {"", []Module{m}},
		"long session id":   {strings.Repeat("s", MaxSessionIDLen+1), []Module{m}},
		"duplicate module":  {"s", []Module{m, m}},
		"empty name":        {"s", bad(func(m *Module) { m.Name = "" })},
		"control in name":   {"s", bad(func(m *Module) { m.Name = "a\nb" })},
		"bad shape":         {"s", bad(func(m *Module) { m.Shape.R = 0 })},
		"overflow shape":    {"s", bad(func(m *Module) { m.Shape = circuits.Shape{D: 8192, R: 17, O: 1} })},
		"long commitment":   {"s", bad(func(m *Module) { m.Commitment = make([]byte, MaxCommitmentLen+1) })},
		"long fingerprint":  {"s", bad(func(m *Module) { m.VKFingerprint = strings.Repeat("f", MaxFingerprintLen+1) })},
		"long key mode":     {"s", bad(func(m *Module) { m.KeyMode = strings.Repeat("k", MaxKeyModeLen+1) })},
		"too many modules":  {"s", make([]Module, MaxModules+1)},
		"invalid utf8 name": {"s", bad(func(m *Module) { m.Name = "\xff" })},
	}
	for name, c := range cases {
		if _, err := New(c.sid, c.mods); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	tr, _ := New("s", []Module{m})
	if err := tr.SetNonce(make([]byte, MaxNonceLen+1)); err == nil {
		t.Error("long nonce accepted")
	}
}
