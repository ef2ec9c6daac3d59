package circuits

import (
	"fmt"

	"github.com/consensys/gnark/frontend"
)

// NaiveCircuit is the baseline that constrains every multiplication of
// Z = X·A·B for T rows: public X (T×d) and Z (T×o), private A (d×r) and B
// (r×o), flat row-major. It costs about T·r·(d+o) + T·o constraints and
// T·(d+o) public inputs, growing with the number of tokens, where the
// SessionCircuit does not. It does not commit the weights: it exists for
// benchmarks and differential tests, not for the protocol.
type NaiveCircuit struct {
	X []frontend.Variable `gnark:",public"`
	Z []frontend.Variable `gnark:",public"`

	A []frontend.Variable
	B []frontend.Variable

	shape Shape
	rows  int
}

// NewNaiveCircuit allocates an empty naive circuit (or assignment) of shape
// s for T rows. An invalid shape or T < 0 allocates nothing and the
// circuit fails to compile.
func NewNaiveCircuit(s Shape, T int) *NaiveCircuit {
	if T < 0 || s.Validate() != nil {
		// Nothing sane to allocate; Define refuses the circuit.
		return &NaiveCircuit{shape: s, rows: T}
	}
	return &NaiveCircuit{
		X:     make([]frontend.Variable, T*s.D),
		Z:     make([]frontend.Variable, T*s.O),
		A:     make([]frontend.Variable, s.D*s.R),
		B:     make([]frontend.Variable, s.R*s.O),
		shape: s,
		rows:  T,
	}
}

// NaiveAssignment returns the full witness of a NaiveCircuit of shape s for
// the T = len(X)/d rows of X (int16), Z (int64) and the weights A, B.
func NaiveAssignment(s Shape, X []int16, Z []int64, A, B []int16) (*NaiveCircuit, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if len(X) == 0 || len(X)%s.D != 0 {
		return nil, fmt.Errorf("naive: X has %d values, want T·d for some T ≥ 1 (d=%d)", len(X), s.D)
	}
	T := len(X) / s.D
	switch {
	case len(Z) != T*s.O:
		return nil, fmt.Errorf("naive: Z has %d values, want T·o=%d", len(Z), T*s.O)
	case len(A) != s.D*s.R:
		return nil, fmt.Errorf("naive: A has %d values, want d·r=%d", len(A), s.D*s.R)
	case len(B) != s.R*s.O:
		return nil, fmt.Errorf("naive: B has %d values, want r·o=%d", len(B), s.R*s.O)
	}
	c := NewNaiveCircuit(s, T)
	for i, v := range X {
		c.X[i] = FrFromInt64(int64(v))
	}
	for i, v := range Z {
		c.Z[i] = FrFromInt64(v)
	}
	for i, v := range A {
		c.A[i] = FrFromInt64(int64(v))
	}
	for i, v := range B {
		c.B[i] = FrFromInt64(int64(v))
	}
	return c, nil
}

// Shape returns the shape the circuit was allocated with.
func (c *NaiveCircuit) Shape() Shape { return c.shape }

// Rows returns the number of rows T the circuit was allocated for.
func (c *NaiveCircuit) Rows() int { return c.rows }

// Define constrains XA = X·A, then each Z_tk = Σ_j XA_tj·B_jk.
func (c *NaiveCircuit) Define(api frontend.API) error {
	s, T := c.shape, c.rows
	if err := s.Validate(); err != nil {
		return fmt.Errorf("naive circuit: %w", err)
	}
	if T < 1 || len(c.X) != T*s.D || len(c.Z) != T*s.O || len(c.A) != s.D*s.R || len(c.B) != s.R*s.O {
		return fmt.Errorf("naive circuit: slices do not match shape %s with %d rows", s, T)
	}
	xa := make([]frontend.Variable, s.R)
	for t := 0; t < T; t++ {
		for j := 0; j < s.R; j++ {
			var acc frontend.Variable = 0
			for i := 0; i < s.D; i++ {
				acc = api.Add(acc, api.Mul(c.X[t*s.D+i], c.A[i*s.R+j]))
			}
			xa[j] = acc
		}
		for k := 0; k < s.O; k++ {
			var acc frontend.Variable = 0
			for j := 0; j < s.R; j++ {
				acc = api.Add(acc, api.Mul(xa[j], c.B[j*s.O+k]))
			}
			api.AssertIsEqual(acc, c.Z[t*s.O+k])
		}
	}
	return nil
}
