package circuits

import (
	"bytes"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"
)

var distilShape = Shape{D: 768, R: 8, O: 2304}

func compileR1CS(t testing.TB, c frontend.Circuit) constraint.ConstraintSystem {
	t.Helper()
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
	if err != nil {
		t.Fatal(err)
	}
	return ccs
}

// TestSessionCompileDeterministic compiles the distilgpt2 c_attn circuit
// twice and compares the serialized constraint systems byte for byte; it
// also pins the constraint and public-input counts (a regression check: a
// gnark upgrade or circuit change that moves them must be looked at).
func TestSessionCompileDeterministic(t *testing.T) {
	var enc [2][]byte
	for i := range enc {
		ccs := compileR1CS(t, NewSessionCircuit(distilShape))
		if i == 0 {
			if n := ccs.GetNbConstraints(); n != 25340 {
				t.Errorf("constraints = %d, want 25340", n)
			}
			// gnark counts the constant-one wire among the public variables:
			// 768 x̄ + γ + z̄ + 1 = 771.
			if n := ccs.GetNbPublicVariables(); n != 771 {
				t.Errorf("public variables = %d, want 771", n)
			}
		}
		var buf bytes.Buffer
		if _, err := ccs.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		enc[i] = buf.Bytes()
	}
	if !bytes.Equal(enc[0], enc[1]) {
		t.Fatal("two compilations of the same shape differ")
	}
}

func TestCompileRefusesBadShapes(t *testing.T) {
	for _, s := range []Shape{{}, {D: 8192, R: 17, O: 1}, {D: 1, R: 1, O: MaxDim + 1}} {
		if _, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, NewSessionCircuit(s)); err == nil {
			t.Errorf("session circuit of shape %v compiled", s)
		}
		if _, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, NewNaiveCircuit(s, 2)); err == nil {
			t.Errorf("naive circuit of shape %v compiled", s)
		}
	}
	if _, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, NewNaiveCircuit(Shape{2, 1, 2}, 0)); err == nil {
		t.Error("naive circuit with T = 0 compiled")
	}
	// Slices that do not match the shape.
	c := NewSessionCircuit(Shape{4, 2, 3})
	c.A = c.A[:7]
	if _, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c); err == nil {
		t.Error("session circuit with a short A compiled")
	}
}

func TestNaiveCircuitGroth16(t *testing.T) {
	s := Shape{D: 4, R: 2, O: 3}
	f := newFixture(t, s, 3, 17)
	valid, err := NaiveAssignment(s, f.X, f.Z, f.A, f.B)
	if err != nil {
		t.Fatal(err)
	}
	badZ := append([]int64(nil), f.Z...)
	badZ[4]++
	badA := append([]int16(nil), f.A...)
	badA[3] ^= 1
	badX := append([]int16(nil), f.X...)
	badX[len(badX)-1]--
	mk := func(X []int16, Z []int64, A, B []int16) *NaiveCircuit {
		c, err := NaiveAssignment(s, X, Z, A, B)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	test.NewAssert(t).CheckCircuit(NewNaiveCircuit(s, 3),
		test.WithValidAssignment(valid),
		test.WithInvalidAssignment(mk(f.X, badZ, f.A, f.B)),
		test.WithInvalidAssignment(mk(f.X, f.Z, badA, f.B)),
		test.WithInvalidAssignment(mk(badX, f.Z, f.A, f.B)),
		test.WithCurves(ecc.BN254), test.WithBackends(backend.GROTH16),
		test.NoFuzzing(), test.NoSerializationChecks(), test.NoSolidityChecks())

	for name, fn := range map[string]func() error{
		"short Z": func() error { _, err := NaiveAssignment(s, f.X, f.Z[1:], f.A, f.B); return err },
		"short A": func() error { _, err := NaiveAssignment(s, f.X, f.Z, f.A[1:], f.B); return err },
		"short B": func() error { _, err := NaiveAssignment(s, f.X, f.Z, f.A, f.B[1:]); return err },
		"no rows": func() error { _, err := NaiveAssignment(s, nil, nil, f.A, f.B); return err },
		"bad X":   func() error { _, err := NaiveAssignment(s, f.X[1:], f.Z, f.A, f.B); return err },
	} {
		if fn() == nil {
			t.Errorf("NaiveAssignment %s: accepted", name)
		}
	}
}

// TestNaiveConstraintCount pins the naive baseline's size at the
// distilgpt2 c_attn shape: 26,896 constraints per row, so 430,336 at T = 16
// (the figure DESIGN §8 quotes; compiled only without -short, ~20 s), and
// T·(d+o) public inputs.
func TestNaiveConstraintCount(t *testing.T) {
	T := 16
	if testing.Short() {
		T = 2
	}
	ccs := compileR1CS(t, NewNaiveCircuit(distilShape, T))
	t.Logf("naive 768x8x2304 T=%d: %d constraints, %d public variables", T, ccs.GetNbConstraints(), ccs.GetNbPublicVariables())
	if n := ccs.GetNbConstraints(); n != 26896*T {
		t.Errorf("constraints = %d, want %d", n, 26896*T)
	}
	if n := ccs.GetNbPublicVariables(); n != T*(768+2304)+1 {
		t.Errorf("public variables = %d, want %d", n, T*(768+2304)+1)
	}
}
