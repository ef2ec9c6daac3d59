package prover

import (
	"bytes"
	"errors"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
)

func TestProveVerifySmall(t *testing.T) {
	k := devKeys(t, small)
	f := newFixture(t, small, 5, 1)
	salt := mustSalt(t)
	p := mustProve(t, k, f.st, f.A, f.B, salt)
	cm, err := Commitment(k, f.A, f.B, salt)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cm, p.Commitment()) {
		t.Fatalf("Commitment() = %x, proof carries %x", cm, p.Commitment())
	}
	if err := Verify(k.VK, f.st, cm, p); err != nil {
		t.Fatal(err)
	}
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != ProofSize {
		t.Fatalf("proof is %d bytes, want %d", len(b), ProofSize)
	}
	q, err := DecodeProof(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(k.VK, f.st, cm, q); err != nil {
		t.Fatal(err)
	}
}

// TestPublicWitnessOrder checks that the witness this package builds by
// hand is gnark's witness of circuits' assignment, value for value.
func TestPublicWitnessOrder(t *testing.T) {
	f := newFixture(t, small, 3, 2)
	mine, err := fullWitness(f.st, f.A, f.B)
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.st.Assignment(f.A, f.B)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := mine.MarshalBinary()
	tb, _ := theirs.MarshalBinary()
	if !bytes.Equal(mb, tb) {
		t.Fatal("hand-built witness differs from frontend.NewWitness")
	}
	pub, _ := theirs.Public()
	pb, _ := pub.MarshalBinary()
	var v = publicVector(f.st)
	if len(pb) != 12+32*len(v) {
		t.Fatalf("public witness has %d bytes, publicVector %d elements", len(pb), len(v))
	}
	for i := range v {
		b := v[i].Bytes()
		if !bytes.Equal(pb[12+32*i:12+32*(i+1)], b[:]) {
			t.Fatalf("public input %d differs", i)
		}
	}
}

func TestUnsatisfiedStatement(t *testing.T) {
	k := devKeys(t, small)
	f := newFixture(t, small, 2, 3)
	st := f.st
	st.Zbar.SetUint64(12345)
	if _, err := Prove(k, st, f.A, f.B, mustSalt(t)); !errors.Is(err, ErrUnsatisfied) {
		t.Fatalf("Prove of a false statement: %v, want ErrUnsatisfied", err)
	}
}
