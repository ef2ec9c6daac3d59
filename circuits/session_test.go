package circuits

import (
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/test"
)

// randInt16s returns n random int16 values, extremes included.
func randInt16s(rng *rand.Rand, n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		switch rng.IntN(8) {
		case 0:
			out[i] = -32768
		case 1:
			out[i] = 32767
		case 2:
			out[i] = -32767
		default:
			out[i] = int16(rng.Uint32())
		}
	}
	return out
}

// sessionFixture is an honest session of one module.
type sessionFixture struct {
	s       Shape
	X, A, B []int16
	Z       []int64
	st      Statement
}

func newFixture(t testing.TB, s Shape, T int, seed uint64) sessionFixture {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	f := sessionFixture{s: s, X: randInt16s(rng, T*s.D), A: randInt16s(rng, s.D*s.R), B: randInt16s(rng, s.R*s.O)}
	var err error
	if f.Z, err = MatMulExact(s, f.X, f.A, f.B); err != nil {
		t.Fatal(err)
	}
	var beta, gamma fr.Element
	beta.SetRandom()
	gamma.SetRandom()
	if f.st, err = ComputeStatement(s, f.X, f.Z, beta, gamma); err != nil {
		t.Fatal(err)
	}
	return f
}

func mustAssign(t *testing.T, st Statement, A, B []int16) *SessionCircuit {
	t.Helper()
	c, err := st.Assignment(A, B)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSessionCircuitGroth16(t *testing.T) {
	for _, tc := range []struct {
		s Shape
		T int
	}{{Shape{4, 2, 3}, 5}, {Shape{5, 3, 7}, 3}, {Shape{1, 1, 1}, 1}} {
		t.Run(tc.s.String(), func(t *testing.T) {
			f := newFixture(t, tc.s, tc.T, uint64(tc.s.D*100+tc.s.O))
			valid := mustAssign(t, f.st, f.A, f.B)

			var one fr.Element
			one.SetOne()
			badZ := f.st
			badZ.Zbar.Add(&badZ.Zbar, &one)
			badX := f.st
			badX.Xbar = append([]fr.Element(nil), f.st.Xbar...)
			badX.Xbar[len(badX.Xbar)-1].Add(&badX.Xbar[len(badX.Xbar)-1], &one)
			badG := f.st
			badG.Gamma.Add(&badG.Gamma, &one)
			badA := append([]int16(nil), f.A...)
			badA[0]++
			badB := append([]int16(nil), f.B...)
			badB[len(badB)-1]--

			opts := []test.TestingOption{
				test.WithValidAssignment(valid),
				test.WithInvalidAssignment(mustAssign(t, badZ, f.A, f.B)),
				test.WithInvalidAssignment(mustAssign(t, badX, f.A, f.B)),
				test.WithInvalidAssignment(mustAssign(t, f.st, badA, f.B)),
				test.WithInvalidAssignment(mustAssign(t, f.st, f.A, badB)),
				test.WithCurves(ecc.BN254), test.WithBackends(backend.GROTH16),
				test.NoFuzzing(), test.NoSerializationChecks(), test.NoSolidityChecks(),
			}
			if tc.s.O > 1 { // with o = 1, γ does not enter the statement
				opts = append(opts, test.WithInvalidAssignment(mustAssign(t, badG, f.A, f.B)))
			}
			test.NewAssert(t).CheckCircuit(NewSessionCircuit(tc.s), opts...)
		})
	}
}
