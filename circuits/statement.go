package circuits

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"
)

// Statement is the public part of one module's session proof (DESIGN §1):
// x̄ = Σ_t β^t X_t (Shape.D elements), the challenge γ, and
// z̄ = Σ_t β^t Σ_k γ^k Z_tk, with t and k counted from 0. β itself is not
// part of the statement: it only enters through x̄ and z̄.
type Statement struct {
	Shape Shape
	Xbar  []fr.Element
	Gamma fr.Element
	Zbar  fr.Element
}

// parallelThreshold is the number of values (T·(d+o)) below which
// ComputeStatement does not bother with goroutines.
const parallelThreshold = 1 << 18

// ComputeStatement folds a module's whole session (T rows of X, T×d int16,
// and Z, T×o int64, flat row-major) into its Statement under challenges β
// and γ. It refuses an invalid shape, T = 0, and lengths that are not T·d
// and T·o for the same T.
//
// It works by Horner's rule (over t in reverse, and over k in reverse
// within a row), so no power table is needed, and on the raw integer
// representation (see rawFromInt64), so each input value costs one field
// multiplication. Large inputs are split into row ranges folded in
// parallel and joined with the right power of β.
func ComputeStatement(s Shape, X []int16, Z []int64, beta, gamma fr.Element) (Statement, error) {
	if err := s.Validate(); err != nil {
		return Statement{}, err
	}
	if len(X) == 0 || len(X)%s.D != 0 {
		return Statement{}, fmt.Errorf("statement: X has %d values, want T·d for some T ≥ 1 (d=%d)", len(X), s.D)
	}
	T := len(X) / s.D
	if len(Z) != T*s.O {
		return Statement{}, fmt.Errorf("statement: Z has %d values, want T·o = %d·%d = %d", len(Z), T, s.O, T*s.O)
	}

	workers := runtime.GOMAXPROCS(0)
	if n := T * (s.D + s.O); n < parallelThreshold || workers < 2 || T < 2 {
		workers = 1
	}
	if workers > T {
		workers = T
	}
	// Rows [lo_c, hi_c) per chunk; each chunk folds to its own partial sums
	// with powers of β counted from lo_c.
	type partial struct {
		xbar []fr.Element
		zbar fr.Element
	}
	parts := make([]partial, workers)
	bounds := make([]int, workers+1)
	for c := 0; c <= workers; c++ {
		bounds[c] = c * T / workers
	}
	var wg sync.WaitGroup
	for c := 0; c < workers; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			xb, zb := foldRows(s, X, Z, bounds[c], bounds[c+1], &beta, &gamma)
			parts[c] = partial{xbar: xb, zbar: zb}
		}(c)
	}
	wg.Wait()

	// Join: total = Σ_c β^{lo_c}·part_c, by Horner over chunks in reverse:
	// acc = acc·β^{len_c} + part_c.
	xbar := parts[workers-1].xbar
	zbar := parts[workers-1].zbar
	for c := workers - 2; c >= 0; c-- {
		var bp fr.Element
		bp.Exp(beta, bigFromInt(bounds[c+1]-bounds[c]))
		for i := range xbar {
			xbar[i].Mul(&xbar[i], &bp).Add(&xbar[i], &parts[c].xbar[i])
		}
		zbar.Mul(&zbar, &bp).Add(&zbar, &parts[c].zbar)
	}
	for i := range xbar {
		fromRaw(&xbar[i])
	}
	fromRaw(&zbar)
	return Statement{Shape: s, Xbar: xbar, Gamma: gamma, Zbar: zbar}, nil
}

// foldRows folds rows [lo, hi) with β powers counted from lo, in the raw
// representation (results are value·R⁻¹). It keeps one accumulator per
// column of X and of Z and updates them by Horner over t with gnark-crypto's
// vector operations (AVX-512 where the CPU has it); z̄ then takes one
// Horner pass over the o column accumulators with γ:
// Σ_t β^t Σ_k γ^k Z_tk = Σ_k γ^k (Σ_t β^t Z_tk).
func foldRows(s Shape, X []int16, Z []int64, lo, hi int, beta, gamma *fr.Element) ([]fr.Element, fr.Element) {
	xacc := make(fr.Vector, s.D)
	zacc := make(fr.Vector, s.O)
	xraw := make(fr.Vector, s.D)
	zraw := make(fr.Vector, s.O)
	for t := hi - 1; t >= lo; t-- {
		for i, x := range X[t*s.D : (t+1)*s.D] {
			xraw[i] = rawFromInt64(int64(x))
		}
		for k, z := range Z[t*s.O : (t+1)*s.O] {
			zraw[k] = rawFromInt64(z)
		}
		if t != hi-1 {
			xacc.ScalarMul(xacc, beta)
			zacc.ScalarMul(zacc, beta)
		}
		xacc.Add(xacc, xraw)
		zacc.Add(zacc, zraw)
	}
	var zbar fr.Element
	for k := s.O - 1; k >= 0; k-- {
		zbar.Mul(&zbar, gamma).Add(&zbar, &zacc[k])
	}
	return xacc, zbar
}

// validate checks the statement's internal consistency.
func (st Statement) validate() error {
	if err := st.Shape.Validate(); err != nil {
		return err
	}
	if len(st.Xbar) != st.Shape.D {
		return fmt.Errorf("statement: xbar has %d elements, shape %s wants %d", len(st.Xbar), st.Shape, st.Shape.D)
	}
	return nil
}

// PublicAssignment returns a SessionCircuit of the statement's shape with
// the public inputs set and the private weights zeroed: the public witness.
// A statement whose Xbar does not match its shape yields an assignment that
// gnark refuses (its slices do not match the shape).
func (st Statement) PublicAssignment() *SessionCircuit {
	c := NewSessionCircuit(st.Shape)
	c.Xbar = make([]frontend.Variable, len(st.Xbar))
	for i := range st.Xbar {
		c.Xbar[i] = st.Xbar[i]
	}
	c.Gamma = st.Gamma
	c.Zbar = st.Zbar
	for i := range c.A {
		c.A[i] = 0
	}
	for i := range c.B {
		c.B[i] = 0
	}
	return c
}

// Assignment returns the full witness: the public inputs and the weights A
// (d×r) and B (r×o), int16, flat row-major.
func (st Statement) Assignment(A, B []int16) (*SessionCircuit, error) {
	if err := st.validate(); err != nil {
		return nil, err
	}
	s := st.Shape
	if len(A) != s.D*s.R {
		return nil, fmt.Errorf("statement: A has %d values, want d·r=%d", len(A), s.D*s.R)
	}
	if len(B) != s.R*s.O {
		return nil, fmt.Errorf("statement: B has %d values, want r·o=%d", len(B), s.R*s.O)
	}
	c := st.PublicAssignment()
	for i, v := range A {
		c.A[i] = FrFromInt64(int64(v))
	}
	for i, v := range B {
		c.B[i] = FrFromInt64(int64(v))
	}
	return c, nil
}

// Equal reports whether two statements are identical (shape, every x̄
// element, γ and z̄).
func (st Statement) Equal(o Statement) bool {
	if st.Shape != o.Shape || len(st.Xbar) != len(o.Xbar) || !st.Gamma.Equal(&o.Gamma) || !st.Zbar.Equal(&o.Zbar) {
		return false
	}
	for i := range st.Xbar {
		if !st.Xbar[i].Equal(&o.Xbar[i]) {
			return false
		}
	}
	return true
}
