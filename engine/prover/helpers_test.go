package prover

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/zklora/zklora/circuits"
)

var small = circuits.Shape{D: 16, R: 4, O: 32}

func devKeys(t testing.TB, s circuits.Shape) *Keys {
	t.Helper()
	k, err := DevSetup(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// fixture is one module's session: weights, rows, answers and statement.
type fixture struct {
	s    circuits.Shape
	A, B []int16
	X    []int16
	Z    []int64
	st   circuits.Statement
}

func randInt16s(rng *rand.Rand, n int) []int16 {
	v := make([]int16, n)
	for i := range v {
		v[i] = int16(rng.IntN(1 << 16))
	}
	return v
}

func randFr(rng *rand.Rand) fr.Element {
	var e fr.Element
	e.SetUint64(rng.Uint64())
	var f fr.Element
	f.SetUint64(rng.Uint64())
	e.Mul(&e, &f).Add(&e, &f)
	return e
}

func newFixture(t testing.TB, s circuits.Shape, T int, seed uint64) fixture {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	f := fixture{s: s, A: randInt16s(rng, s.D*s.R), B: randInt16s(rng, s.R*s.O), X: randInt16s(rng, T*s.D)}
	var err error
	if f.Z, err = circuits.MatMulExact(s, f.X, f.A, f.B); err != nil {
		t.Fatal(err)
	}
	f.st = f.statement(t, rng)
	return f
}

// statement draws fresh challenges for the fixture's session.
func (f fixture) statement(t testing.TB, rng *rand.Rand) circuits.Statement {
	t.Helper()
	st, err := circuits.ComputeStatement(f.s, f.X, f.Z, randFr(rng), randFr(rng))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func mustSalt(t testing.TB) Salt {
	t.Helper()
	s, err := NewSalt()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustProve(t testing.TB, k *Keys, st circuits.Statement, A, B []int16, salt Salt) *Proof {
	t.Helper()
	p, err := Prove(k, st, A, B, salt)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// zeroStatement is x̄ = 0, γ = 0, z̄ = 0: satisfied by any weights.
func zeroStatement(s circuits.Shape) circuits.Statement {
	return circuits.Statement{Shape: s, Xbar: make([]fr.Element, s.D)}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
