package prover

import (
	"testing"
	"time"

	"github.com/zklora/zklora/circuits"
)

var bigShape = circuits.Shape{D: 768, R: 8, O: 2304}

func TestBigShape(t *testing.T) {
	t0 := time.Now()
	k := devKeys(t, bigShape)
	t.Logf("setup %v, constraints %d", time.Since(t0), k.CS.GetNbConstraints())
	f := newFixture(t, bigShape, 16, 9)
	salt := mustSalt(t)
	for i := 0; i < 3; i++ {
		t0 = time.Now()
		p := mustProve(t, k, f.st, f.A, f.B, salt)
		t.Logf("prove %v", time.Since(t0))
		t0 = time.Now()
		if err := Verify(k.VK, f.st, p.Commitment(), p); err != nil {
			t.Fatal(err)
		}
		t.Logf("verify %v", time.Since(t0))
	}
	t0 = time.Now()
	if _, err := Commitment(k, f.A, f.B, salt); err != nil {
		t.Fatal(err)
	}
	t.Logf("commitment %v", time.Since(t0))
}
