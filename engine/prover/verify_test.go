package prover

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/zklora/zklora/circuits"
)

// cloneStatement deep-copies a statement so a test can tamper with it.
func cloneStatement(st circuits.Statement) circuits.Statement {
	st.Xbar = append(st.Xbar[:0:0], st.Xbar...)
	return st
}

func TestVerifyRejectsTampering(t *testing.T) {
	k := devKeys(t, small)
	f := newFixture(t, small, 6, 20)
	salt := mustSalt(t)
	p := mustProve(t, k, f.st, f.A, f.B, salt)
	cm := p.Commitment()
	if err := Verify(k.VK, f.st, cm, p); err != nil {
		t.Fatal(err)
	}
	one := f.st.Gamma
	one.SetOne()

	cases := map[string]func(st *circuits.Statement){
		"xbar[0]":    func(st *circuits.Statement) { st.Xbar[0].Add(&st.Xbar[0], &one) },
		"xbar[last]": func(st *circuits.Statement) { st.Xbar[len(st.Xbar)-1].Sub(&st.Xbar[len(st.Xbar)-1], &one) },
		"zbar":       func(st *circuits.Statement) { st.Zbar.Add(&st.Zbar, &one) },
		"gamma":      func(st *circuits.Statement) { st.Gamma.Add(&st.Gamma, &one) },
	}
	for name, tamper := range cases {
		st := cloneStatement(f.st)
		tamper(&st)
		if err := Verify(k.VK, st, cm, p); !errors.Is(err, ErrInvalidProof) {
			t.Errorf("tampered %s: %v, want ErrInvalidProof", name, err)
		}
	}

	// Wrong shape or length.
	st := cloneStatement(f.st)
	st.Xbar = st.Xbar[:len(st.Xbar)-1]
	if err := Verify(k.VK, st, cm, p); err == nil {
		t.Error("short xbar accepted")
	}
	st = cloneStatement(f.st)
	st.Shape.O++
	if err := Verify(k.VK, st, cm, p); err == nil {
		t.Error("statement of another shape accepted")
	}

	// The same session with other challenges (statement M′ for proof of M).
	rng := rand.New(rand.NewPCG(20, 21))
	if err := Verify(k.VK, f.statement(t, rng), cm, p); !errors.Is(err, ErrInvalidProof) {
		t.Errorf("proof presented with another statement: %v", err)
	}
	// Another session entirely.
	g := newFixture(t, small, 3, 22)
	g.A, g.B = f.A, f.B
	if g.Z, _ = circuits.MatMulExact(small, g.X, f.A, f.B); true {
		g.st = g.statement(t, rng)
	}
	if err := Verify(k.VK, g.st, cm, p); !errors.Is(err, ErrInvalidProof) {
		t.Errorf("proof of session M presented with session M′: %v", err)
	}
	if err := Verify(k.VK, g.st, cm, mustProve(t, k, g.st, f.A, f.B, salt)); err != nil {
		t.Errorf("control: proof of M′ rejected: %v", err)
	}
}

func TestVerifyCommitmentMismatch(t *testing.T) {
	k := devKeys(t, small)
	f := newFixture(t, small, 3, 30)
	salt := mustSalt(t)
	pinned, err := Commitment(k, f.A, f.B, salt)
	if err != nil {
		t.Fatal(err)
	}
	// A valid proof for the same statement with another salt.
	p := mustProve(t, k, f.st, f.A, f.B, mustSalt(t))
	if err := Verify(k.VK, f.st, p.Commitment(), p); err != nil {
		t.Fatalf("control: %v", err)
	}
	if err := Verify(k.VK, f.st, pinned, p); !errors.Is(err, ErrCommitmentMismatch) {
		t.Fatalf("other salt: %v, want ErrCommitmentMismatch", err)
	}
	// Other weights that give the same answers on the zero statement.
	A2 := append([]int16(nil), f.A...)
	A2[3] ^= 4
	z := zeroStatement(small)
	p2 := mustProve(t, k, z, A2, f.B, salt)
	if err := Verify(k.VK, z, pinned, p2); !errors.Is(err, ErrCommitmentMismatch) {
		t.Fatalf("other weights: %v, want ErrCommitmentMismatch", err)
	}
	if err := Verify(k.VK, f.st, pinned[:31], p); !errors.Is(err, ErrCommitmentMismatch) {
		t.Fatalf("short pinned commitment: %v", err)
	}
	// A proof with the commitment swapped for the pinned one fails the
	// pairing check.
	q := *p
	q.p.Commitments = append(q.p.Commitments[:0:0], p.p.Commitments...)
	if _, err := q.p.Commitments[0].SetBytes(pinned); err != nil {
		t.Fatal(err)
	}
	if err := Verify(k.VK, f.st, pinned, &q); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("swapped commitment: %v, want ErrInvalidProof", err)
	}
}

func TestFlippedProofBytes(t *testing.T) {
	k := devKeys(t, small)
	f := newFixture(t, small, 2, 40)
	p := mustProve(t, k, f.st, f.A, f.B, mustSalt(t))
	cm := p.Commitment()
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(40, 41))
	decoded := 0
	for i := range b {
		c := append([]byte(nil), b...)
		c[i] ^= 1 << rng.IntN(8)
		q, err := DecodeProof(c)
		if err != nil {
			continue
		}
		decoded++
		if err := Verify(k.VK, f.st, cm, q); err == nil {
			t.Fatalf("proof with byte %d flipped verifies", i)
		}
	}
	t.Logf("%d of %d flipped proofs still decoded (and were rejected)", decoded, len(b))
	for _, n := range []int{0, 1, ProofSize - 1, ProofSize + 1} {
		c := make([]byte, n)
		copy(c, b)
		if _, err := DecodeProof(c); err == nil {
			t.Fatalf("proof of %d bytes decoded", n)
		}
	}
	var q Proof
	if _, err := q.ReadFrom(bytesReader(b[:100])); err == nil {
		t.Fatal("ReadFrom accepted a truncated proof")
	}
}
