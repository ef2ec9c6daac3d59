package prover

import (
	"bytes"
	"testing"

	"github.com/zklora/zklora/circuits"
)

// bigShape is distilgpt2's attn.c_attn, the shape of DESIGN §1.
var bigShape = circuits.Shape{D: 768, R: 8, O: 2304}

// TestBigShape proves and verifies one session statement of 768×8×2304 for
// real. The dev setup takes several seconds; -short skips it.
func TestBigShape(t *testing.T) {
	if testing.Short() {
		t.Skip("768×8×2304 setup takes several seconds")
	}
	k := devKeys(t, bigShape)
	if n := k.CS.GetNbConstraints(); n != 25340 {
		t.Errorf("%d constraints, DESIGN §1 measured 25,340", n)
	}
	f := newFixture(t, bigShape, 16, 9)
	salt := mustSalt(t)
	p := mustProve(t, k, f.st, f.A, f.B, salt)
	cm, err := Commitment(k, f.A, f.B, salt)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cm, p.Commitment()) {
		t.Fatal("Commitment differs from the proof's commitment")
	}
	if err := Verify(k.VK, f.st, cm, p); err != nil {
		t.Fatal(err)
	}
	st := cloneStatement(f.st)
	st.Xbar[100].SetUint64(7)
	if err := Verify(k.VK, st, cm, p); err == nil {
		t.Fatal("tampered statement verifies")
	}
}
