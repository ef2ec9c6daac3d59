package circuits

import (
	"fmt"

	"github.com/consensys/gnark/frontend"
)

// SessionCircuit is the session statement of DESIGN §1 for one module of
// shape D×R×O. Public: Xbar (D elements), Gamma and Zbar. Private: A (D×R)
// and B (R×O), flat row-major, committed together with gnark's BSB22
// commitment (the commitment's mask is the module's secret salt, see
// engine). It costs (O-1)·R + D·R + D multiplication constraints plus the
// commitment's, independent of the number of tokens.
type SessionCircuit struct {
	Xbar  []frontend.Variable `gnark:",public"`
	Gamma frontend.Variable   `gnark:",public"`
	Zbar  frontend.Variable   `gnark:",public"`

	A []frontend.Variable
	B []frontend.Variable

	shape Shape
}

// NewSessionCircuit allocates an empty circuit (or assignment) of shape s.
// An invalid shape allocates nothing and the circuit fails to compile.
func NewSessionCircuit(s Shape) *SessionCircuit {
	if s.Validate() != nil {
		return &SessionCircuit{shape: s}
	}
	return &SessionCircuit{
		Xbar:  make([]frontend.Variable, s.D),
		A:     make([]frontend.Variable, s.D*s.R),
		B:     make([]frontend.Variable, s.R*s.O),
		shape: s,
	}
}

// Shape returns the shape the circuit was allocated with.
func (c *SessionCircuit) Shape() Shape { return c.shape }

// Define encodes z̄ = x̄·A·(B·(γ^k)_k).
func (c *SessionCircuit) Define(api frontend.API) error {
	s := c.shape
	if err := s.Validate(); err != nil {
		return fmt.Errorf("session circuit: %w", err)
	}
	if len(c.Xbar) != s.D || len(c.A) != s.D*s.R || len(c.B) != s.R*s.O {
		return fmt.Errorf("session circuit: slices do not match shape %s", s)
	}
	committer, ok := api.(frontend.Committer)
	if !ok {
		return fmt.Errorf("session circuit: builder does not support commitments")
	}
	weights := make([]frontend.Variable, 0, len(c.A)+len(c.B))
	weights = append(weights, c.A...)
	weights = append(weights, c.B...)
	if _, err := committer.Commit(weights...); err != nil {
		return fmt.Errorf("session circuit: commit: %w", err)
	}

	// v = B·(γ^k)_k by Horner: v_j = (…(B[j][o-1]·γ + B[j][o-2])·γ + …) + B[j][0].
	v := make([]frontend.Variable, s.R)
	for j := 0; j < s.R; j++ {
		row := c.B[j*s.O : (j+1)*s.O]
		acc := row[s.O-1]
		for k := s.O - 2; k >= 0; k-- {
			acc = api.Add(api.Mul(acc, c.Gamma), row[k])
		}
		v[j] = acc
	}
	// u = A·v, then x̄·u.
	var sum frontend.Variable = 0
	for i := 0; i < s.D; i++ {
		var ui frontend.Variable = 0
		for j := 0; j < s.R; j++ {
			ui = api.Add(ui, api.Mul(c.A[i*s.R+j], v[j]))
		}
		sum = api.Add(sum, api.Mul(c.Xbar[i], ui))
	}
	api.AssertIsEqual(sum, c.Zbar)
	return nil
}
