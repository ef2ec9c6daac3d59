package circuits

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// bigMatMul is the math/big reference for Z = X·A·B.
func bigMatMul(s Shape, X, A, B []int16) []*big.Int {
	T := len(X) / s.D
	Z := make([]*big.Int, T*s.O)
	for t := 0; t < T; t++ {
		for k := 0; k < s.O; k++ {
			acc := new(big.Int)
			for j := 0; j < s.R; j++ {
				xa := new(big.Int)
				for i := 0; i < s.D; i++ {
					xa.Add(xa, new(big.Int).Mul(big.NewInt(int64(X[t*s.D+i])), big.NewInt(int64(A[i*s.R+j]))))
				}
				acc.Add(acc, xa.Mul(xa, big.NewInt(int64(B[j*s.O+k]))))
			}
			Z[t*s.O+k] = acc
		}
	}
	return Z
}

// fill returns n copies of v.
func fill(n int, v int16) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestMatMulExactMatchesBig(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	type tc struct {
		name    string
		s       Shape
		X, A, B []int16
	}
	var cases []tc
	for _, s := range []Shape{{1, 1, 1}, {4, 2, 3}, {5, 3, 7}, {17, 4, 9}} {
		T := 3
		cases = append(cases, tc{"random " + s.String(), s, randInt16s(rng, T*s.D), randInt16s(rng, s.D*s.R), randInt16s(rng, s.R*s.O)})
		for _, v := range []struct {
			name    string
			x, a, b int16
		}{{"max", 32767, 32767, 32767}, {"min", -32768, -32768, -32768}, {"mixed", -32768, 32767, -32768}, {"minmax", -32767, -32768, 32767}} {
			cases = append(cases, tc{v.name + " " + s.String(), s, fill(T*s.D, v.x), fill(s.D*s.R, v.a), fill(s.R*s.O, v.b)})
		}
	}
	// At the overflow bound: d·r = 2^17, all -32768: |Z| = 2^17·2^45 = 2^62 exactly.
	bound := Shape{D: 8192, R: 16, O: 2}
	cases = append(cases, tc{"at bound", bound, fill(bound.D, -32768), fill(bound.D*bound.R, -32768), fill(bound.R*bound.O, -32768)})
	for _, c := range cases {
		got, err := MatMulExact(c.s, c.X, c.A, c.B)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		want := bigMatMul(c.s, c.X, c.A, c.B)
		for i := range want {
			if !want[i].IsInt64() || want[i].Int64() != got[i] {
				t.Fatalf("%s: Z[%d] = %d, want %s", c.name, i, got[i], want[i])
			}
		}
	}
}

func TestMatMulExactRefuses(t *testing.T) {
	s := Shape{D: 4, R: 2, O: 3}
	X, A, B := make([]int16, 8), make([]int16, 8), make([]int16, 6)
	for name, f := range map[string]func() error{
		"X not a multiple of d": func() error { _, err := MatMulExact(s, X[:7], A, B); return err },
		"short A":               func() error { _, err := MatMulExact(s, X, A[:7], B); return err },
		"long B":                func() error { _, err := MatMulExact(s, X, A, append(B, 0)); return err },
		"invalid shape":         func() error { _, err := MatMulExact(Shape{D: 0, R: 2, O: 3}, X, A, B); return err },
		"overflow shape":        func() error { _, err := MatMulExact(Shape{D: 8192, R: 17, O: 1}, X, A, B); return err },
	} {
		if f() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// bigFreivalds evaluates both sides of the session identity with math/big,
// independently of ComputeStatement: lhs = z̄ and rhs = x̄·A·(B·γvec), all
// mod r, with powers computed explicitly.
func bigFreivalds(s Shape, X []int16, Z []int64, A, B []int16, beta, gamma *big.Int) (lhs, rhs, xbar0 *big.Int) {
	p := fr.Modulus()
	T := len(X) / s.D
	pow := func(b *big.Int, e int) *big.Int { return new(big.Int).Exp(b, big.NewInt(int64(e)), p) }
	xbar := make([]*big.Int, s.D)
	for i := range xbar {
		xbar[i] = new(big.Int)
	}
	lhs = new(big.Int)
	for t := 0; t < T; t++ {
		bt := pow(beta, t)
		for i := 0; i < s.D; i++ {
			xbar[i].Add(xbar[i], new(big.Int).Mul(bt, big.NewInt(int64(X[t*s.D+i]))))
		}
		for k := 0; k < s.O; k++ {
			lhs.Add(lhs, new(big.Int).Mul(new(big.Int).Mul(bt, pow(gamma, k)), big.NewInt(Z[t*s.O+k])))
		}
	}
	lhs.Mod(lhs, p)
	v := make([]*big.Int, s.R)
	for j := range v {
		v[j] = new(big.Int)
		for k := 0; k < s.O; k++ {
			v[j].Add(v[j], new(big.Int).Mul(big.NewInt(int64(B[j*s.O+k])), pow(gamma, k)))
		}
	}
	rhs = new(big.Int)
	for i := 0; i < s.D; i++ {
		u := new(big.Int)
		for j := 0; j < s.R; j++ {
			u.Add(u, new(big.Int).Mul(big.NewInt(int64(A[i*s.R+j])), v[j]))
		}
		rhs.Add(rhs, new(big.Int).Mul(xbar[i], u))
	}
	rhs.Mod(rhs, p)
	return lhs, rhs, xbar[0].Mod(xbar[0], p)
}

func frBig(e *fr.Element) *big.Int { return e.BigInt(new(big.Int)) }

func TestComputeStatementDifferential(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, s := range []Shape{{1, 1, 1}, {4, 2, 3}, {5, 3, 7}, {9, 2, 4}} {
		for _, T := range []int{1, 2, 7} {
			for _, extreme := range []int16{0, 32767, -32767, -32768} {
				X, A, B := randInt16s(rng, T*s.D), randInt16s(rng, s.D*s.R), randInt16s(rng, s.R*s.O)
				if extreme != 0 {
					X, A, B = fill(T*s.D, extreme), fill(s.D*s.R, extreme), fill(s.R*s.O, -32768)
				}
				Z, err := MatMulExact(s, X, A, B)
				if err != nil {
					t.Fatal(err)
				}
				var beta, gamma fr.Element
				beta.SetRandom()
				gamma.SetRandom()
				st, err := ComputeStatement(s, X, Z, beta, gamma)
				if err != nil {
					t.Fatal(err)
				}
				lhs, rhs, xbar0 := bigFreivalds(s, X, Z, A, B, frBig(&beta), frBig(&gamma))
				if lhs.Cmp(rhs) != 0 {
					t.Fatalf("%s T=%d: Freivalds identity fails for the honest Z", s, T)
				}
				if frBig(&st.Zbar).Cmp(lhs) != 0 || frBig(&st.Xbar[0]).Cmp(xbar0) != 0 || !st.Gamma.Equal(&gamma) {
					t.Fatalf("%s T=%d: ComputeStatement differs from the math/big computation", s, T)
				}
				// One changed Z element at many random positions: the identity
				// must fail, both in math/big and through ComputeStatement.
				for trial := 0; trial < 10; trial++ {
					bad := append([]int64(nil), Z...)
					pos := rng.IntN(len(bad))
					bad[pos] += int64(rng.IntN(1000)) + 1
					lhs2, _, _ := bigFreivalds(s, X, bad, A, B, frBig(&beta), frBig(&gamma))
					if lhs2.Cmp(rhs) == 0 {
						t.Fatalf("%s T=%d: identity holds with Z[%d] changed", s, T, pos)
					}
					st2, err := ComputeStatement(s, X, bad, beta, gamma)
					if err != nil {
						t.Fatal(err)
					}
					if st2.Zbar.Equal(&st.Zbar) || frBig(&st2.Zbar).Cmp(lhs2) != 0 {
						t.Fatalf("%s T=%d: z̄ did not follow a change of Z[%d]", s, T, pos)
					}
				}
			}
		}
	}
}

// TestComputeStatementParallel checks the chunked, parallel path (large T)
// against the sequential fold.
func TestComputeStatementParallel(t *testing.T) {
	s := Shape{D: 64, R: 2, O: 192}
	T := 2*parallelThreshold/(s.D+s.O) + 3
	rng := rand.New(rand.NewPCG(5, 6))
	X := randInt16s(rng, T*s.D)
	Z := make([]int64, T*s.O)
	for i := range Z {
		Z[i] = int64(rng.Uint64())
	}
	Z[0], Z[1] = -1<<63, 1<<63-1
	var beta, gamma fr.Element
	beta.SetRandom()
	gamma.SetRandom()
	st, err := ComputeStatement(s, X, Z, beta, gamma)
	if err != nil {
		t.Fatal(err)
	}
	xb, zb := foldRows(s, X, Z, 0, T, &beta, &gamma)
	for i := range xb {
		fromRaw(&xb[i])
	}
	fromRaw(&zb)
	if !st.Equal(Statement{Shape: s, Xbar: xb, Gamma: gamma, Zbar: zb}) {
		t.Fatal("parallel ComputeStatement differs from the sequential fold")
	}
	// And the sequential fold agrees with a direct evaluation on the last row.
	var direct, bt, gk, term fr.Element
	bt.Exp(beta, big.NewInt(int64(T-1)))
	gk.SetOne()
	var h fr.Element
	for k := 0; k < s.O; k++ {
		z := FrFromInt64(Z[(T-1)*s.O+k])
		term.Mul(&gk, &z)
		h.Add(&h, &term)
		gk.Mul(&gk, &gamma)
	}
	direct.Mul(&bt, &h)
	Zlast := make([]int64, len(Z))
	copy(Zlast[(T-1)*s.O:], Z[(T-1)*s.O:])
	st2, _ := ComputeStatement(s, X, Zlast, beta, gamma)
	if !st2.Zbar.Equal(&direct) {
		t.Fatal("z̄ of the last row alone differs from β^(T-1)·Σ_k γ^k Z_k")
	}
}

func TestComputeStatementRefuses(t *testing.T) {
	s := Shape{D: 4, R: 2, O: 3}
	var b, g fr.Element
	for name, f := range map[string]func() error{
		"T = 0":          func() error { _, err := ComputeStatement(s, nil, nil, b, g); return err },
		"X not multiple": func() error { _, err := ComputeStatement(s, make([]int16, 5), make([]int64, 3), b, g); return err },
		"Z short":        func() error { _, err := ComputeStatement(s, make([]int16, 8), make([]int64, 5), b, g); return err },
		"Z long":         func() error { _, err := ComputeStatement(s, make([]int16, 4), make([]int64, 6), b, g); return err },
		"invalid shape": func() error {
			_, err := ComputeStatement(Shape{}, make([]int16, 4), make([]int64, 3), b, g)
			return err
		},
		"assignment A": func() error {
			st := mustStatement(t, s)
			_, err := st.Assignment(make([]int16, 7), make([]int16, 6))
			return err
		},
		"assignment B": func() error {
			st := mustStatement(t, s)
			_, err := st.Assignment(make([]int16, 8), make([]int16, 5))
			return err
		},
		"assignment xbar": func() error {
			st := mustStatement(t, s)
			st.Xbar = st.Xbar[:3]
			_, err := st.Assignment(make([]int16, 8), make([]int16, 6))
			return err
		},
		"marshal bad shape": func() error { st := mustStatement(t, s); st.Shape.O = 0; _, err := st.MarshalJSON(); return err },
	} {
		if f() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func mustStatement(t testing.TB, s Shape) Statement {
	t.Helper()
	var b, g fr.Element
	b.SetUint64(3)
	g.SetUint64(5)
	st, err := ComputeStatement(s, make([]int16, 2*s.D), make([]int64, 2*s.O), b, g)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestFrFromInt64(t *testing.T) {
	p := fr.Modulus()
	for _, v := range []int64{0, 1, -1, 32767, -32768, 1<<62 + 5, -1 << 63, 1<<63 - 1} {
		e := FrFromInt64(v)
		want := new(big.Int).Mod(big.NewInt(v), p)
		if frBig(&e).Cmp(want) != 0 {
			t.Errorf("FrFromInt64(%d) = %s, want %s", v, frBig(&e), want)
		}
		// The raw representation times R is the value.
		r := rawFromInt64(v)
		fromRaw(&r)
		if !r.Equal(&e) {
			t.Errorf("rawFromInt64(%d) does not convert back", v)
		}
	}
}
