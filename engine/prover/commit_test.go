package prover

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/zklora/zklora/circuits"
)

// These tests pin the gnark behaviour the salted commitment relies on
// (DESIGN §2). If one fails after a gnark upgrade, the commitment no
// longer binds proofs to the announced weights: do not relax the test.

func TestRandomizeHintRegistered(t *testing.T) {
	if _, err := randomizeHintID(); err != nil {
		t.Fatal(err)
	}
}

func TestCommitmentDeterministicAcrossStatements(t *testing.T) {
	k := devKeys(t, small)
	f := newFixture(t, small, 4, 10)
	rng := rand.New(rand.NewPCG(10, 11))
	salt := mustSalt(t)
	want, err := Commitment(k, f.A, f.B, salt)
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range []circuits.Statement{f.st, f.statement(t, rng), zeroStatement(small)} {
		p := mustProve(t, k, st, f.A, f.B, salt)
		if !bytes.Equal(p.Commitment(), want) {
			t.Fatalf("proof %d: commitment %x, want %x (gnark no longer uses the salt as the mask?)", i, p.Commitment(), want)
		}
	}
}

func TestCommitmentDependsOnSaltAndWeights(t *testing.T) {
	k := devKeys(t, small)
	f := newFixture(t, small, 2, 12)
	salt := mustSalt(t)
	st := zeroStatement(small)
	base := mustProve(t, k, st, f.A, f.B, salt).Commitment()

	other := mustProve(t, k, st, f.A, f.B, mustSalt(t)).Commitment()
	if bytes.Equal(base, other) {
		t.Fatal("two salts gave the same commitment")
	}
	A2 := append([]int16(nil), f.A...)
	A2[len(A2)-1]++
	if c := mustProve(t, k, st, A2, f.B, salt).Commitment(); bytes.Equal(base, c) {
		t.Fatal("weights A differing in one entry gave the same commitment")
	}
	B2 := append([]int16(nil), f.B...)
	B2[0] ^= 1
	if c := mustProve(t, k, st, f.A, B2, salt).Commitment(); bytes.Equal(base, c) {
		t.Fatal("weights B differing in one entry gave the same commitment")
	}
	// Commitment (no proof) agrees for every variant.
	for _, v := range []struct {
		A, B []int16
	}{{A2, f.B}, {f.A, B2}} {
		c1, err := Commitment(k, v.A, v.B, salt)
		if err != nil {
			t.Fatal(err)
		}
		c2 := mustProve(t, k, st, v.A, v.B, salt).Commitment()
		if !bytes.Equal(c1, c2) {
			t.Fatal("Commitment differs from the proof's commitment")
		}
	}
}

func TestSalt(t *testing.T) {
	s := mustSalt(t)
	p, err := ParseSalt(s.String())
	if err != nil || p != s {
		t.Fatalf("ParseSalt(String()) = %v, %v", p, err)
	}
	if _, err := (Salt{}).Element(); !errors.Is(err, ErrBadSalt) {
		t.Fatal("zero salt accepted")
	}
	var over Salt
	for i := range over {
		over[i] = 0xff
	}
	if _, err := over.Element(); !errors.Is(err, ErrBadSalt) {
		t.Fatal("non-canonical salt accepted")
	}
	for _, h := range []string{"", "zz", s.String()[:62], s.String() + "00"} {
		if _, err := ParseSalt(h); err == nil {
			t.Fatalf("ParseSalt(%q) accepted", h)
		}
	}
	k := devKeys(t, small)
	f := newFixture(t, small, 1, 13)
	if _, err := Prove(k, f.st, f.A, f.B, Salt{}); !errors.Is(err, ErrBadSalt) {
		t.Fatalf("Prove with a zero salt: %v", err)
	}
	if _, err := Commitment(k, f.A, f.B, Salt{}); !errors.Is(err, ErrBadSalt) {
		t.Fatalf("Commitment with a zero salt: %v", err)
	}
}
