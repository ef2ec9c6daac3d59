package record

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/transcript"
)

func sample(t *testing.T, z0 int64) *transcript.Transcript {
	t.Helper()
	tr, err := transcript.New("s", []transcript.Module{{Name: "m", Shape: circuits.Shape{D: 2, R: 1, O: 2}, Commitment: []byte{1}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := uint32(0); i < 2; i++ {
		if err := tr.Append(transcript.Call{Module: "m", Index: i, Rows: 2, X: []int16{1, 2, 3, 4}, Z: []int64{z0, 2, 3, 4}}); err != nil {
			t.Fatal(err)
		}
	}
	_ = tr.SetNonce([]byte{7})
	return tr
}

func TestDiff(t *testing.T) {
	a := sample(t, 1)
	path := filepath.Join(t.TempDir(), FileName)
	if err := Of(a).Save(path); err != nil {
		t.Fatal(err)
	}
	r, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := Diff(r, sample(t, 1)); d != "" {
		t.Fatalf("equal records differ: %s", d)
	}
	b := sample(t, 1)
	b.Calls[1].Z[3]++ // call 1, row 1
	if d := Diff(r, b); !strings.Contains(d, "module m call 1 row 1") {
		t.Fatalf("diff %q", d)
	}
	c := sample(t, 1)
	c.Calls = c.Calls[:1]
	if d := Diff(r, c); !strings.Contains(d, "call 1 is in A's record only") {
		t.Fatalf("diff %q", d)
	}
}
