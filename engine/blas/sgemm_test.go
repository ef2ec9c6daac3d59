package blas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// naive computes the reference C = alpha·op(A)·op(B) + beta·C in float64 and
// a per-element error bound scale Σ|alpha·a·b| + |beta·c|.
func naive(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (want, scale []float64) {
	want = make([]float64, m*n)
	scale = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, abs float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
				abs += math.Abs(float64(av) * float64(bv))
			}
			cv := float64(c[i*ldc+j])
			if beta == 0 {
				cv = 0
			}
			want[i*n+j] = float64(alpha)*s + float64(beta)*cv
			scale[i*n+j] = math.Abs(float64(alpha))*abs + math.Abs(float64(beta)*cv)
		}
	}
	return want, scale
}

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	padA, padB     int // extra leading-dimension padding
	padC           int
	alpha, beta    float32
}

func (gc gemmCase) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,m=%d,n=%d,k=%d,pad=%d/%d/%d,alpha=%g,beta=%g",
		gc.transA, gc.transB, gc.m, gc.n, gc.k, gc.padA, gc.padB, gc.padC, gc.alpha, gc.beta)
}

// operands builds random operands for a case.
func (gc gemmCase) operands(r *rand.Rand) (a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	ar, ac := gc.m, gc.k
	if gc.transA {
		ar, ac = gc.k, gc.m
	}
	br, bc := gc.k, gc.n
	if gc.transB {
		br, bc = gc.n, gc.k
	}
	lda, ldb, ldc = max(1, ac+gc.padA), max(1, bc+gc.padB), max(1, gc.n+gc.padC)
	fill := func(rows, ld int) []float32 {
		s := make([]float32, rows*ld)
		for i := range s {
			s[i] = float32(r.NormFloat64())
		}
		return s
	}
	return fill(ar, lda), lda, fill(br, ldb), ldb, fill(gc.m, ldc), ldc
}

// sgemmFunc is the shape shared by Sgemm and pureSgemm.
type sgemmFunc func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) error

// goSgemm returns the Go implementation with micro-kernel kern; it is
// compiled in every build so that the openblas build can be compared with it.
func goSgemm(kern *microKernel) sgemmFunc {
	return func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) error {
		if err := checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc); err != nil {
			return err
		}
		gemmGo(kern, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return nil
	}
}

// pureSgemm is the Go implementation with the kernel chosen for this CPU.
var pureSgemm = goSgemm(defaultKernel)

// implementations lists every implementation to test on this machine.
func implementations() map[string]sgemmFunc {
	impls := map[string]sgemmFunc{"go-scalar": goSgemm(scalarKernel), "Sgemm/" + Backend(): Sgemm}
	if k := simdKernel(); k != nil {
		impls[k.name] = goSgemm(k)
	}
	return impls
}

func gemmCases(r *rand.Rand) []gemmCase {
	sizes := []int{1, 2, 3, 4, 5, 7, 16, 17, 33, 130, 257}
	var cases []gemmCase
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			for i := 0; i < 12; i++ {
				cases = append(cases, gemmCase{
					transA: tA, transB: tB,
					m: sizes[r.IntN(len(sizes))], n: sizes[r.IntN(len(sizes))], k: sizes[r.IntN(len(sizes))],
					padA: r.IntN(3), padB: r.IntN(3), padC: r.IntN(3),
					alpha: []float32{1, -0.5, 2}[r.IntN(3)], beta: []float32{0, 1, 0.25}[r.IntN(3)],
				})
			}
			// Shapes the forward uses, and sizes that take the parallel path
			// split by columns and by rows, with edges in both.
			cases = append(cases,
				gemmCase{transA: tA, transB: tB, m: 37, n: 301, k: 300, alpha: 1, beta: 1},
				gemmCase{transA: tA, transB: tB, m: 301, n: 37, k: 300, alpha: 1, beta: 0},
				gemmCase{transA: tA, transB: tB, m: 129, n: 1029, k: 513, padA: 1, padC: 3, alpha: 0.5, beta: 0.5},
			)
		}
	}
	cases = append(cases,
		gemmCase{m: 0, n: 5, k: 3, alpha: 1, beta: 1},
		gemmCase{m: 5, n: 0, k: 3, alpha: 1, beta: 1},
		gemmCase{m: 5, n: 4, k: 0, alpha: 1, beta: 0.5},
		gemmCase{m: 5, n: 4, k: 3, alpha: 0, beta: 2},
	)
	return cases
}

func checkAgainstNaive(t *testing.T, name string, f sgemmFunc) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, gc := range gemmCases(r) {
		a, lda, b, ldb, c, ldc := gc.operands(r)
		want, scale := naive(gc.transA, gc.transB, gc.m, gc.n, gc.k, gc.alpha, a, lda, b, ldb, gc.beta, c, ldc)
		got := append([]float32(nil), c...)
		if err := f(gc.transA, gc.transB, gc.m, gc.n, gc.k, gc.alpha, a, lda, b, ldb, gc.beta, got, ldc); err != nil {
			t.Fatalf("%s %v: %v", name, gc, err)
		}
		for i := 0; i < gc.m; i++ {
			for j := 0; j < ldc; j++ {
				g := float64(got[i*ldc+j])
				if j >= gc.n { // padding must be untouched
					if got[i*ldc+j] != c[i*ldc+j] {
						t.Fatalf("%s %v: padding C[%d][%d] changed", name, gc, i, j)
					}
					continue
				}
				w, s := want[i*gc.n+j], scale[i*gc.n+j]
				if math.Abs(g-w) > 1e-5*s+1e-30 || math.IsNaN(g) {
					t.Fatalf("%s %v: C[%d][%d] = %g, want %g (scale %g)", name, gc, i, j, g, w, s)
				}
			}
		}
	}
}

func TestMatchesNaive(t *testing.T) {
	for name, f := range implementations() {
		checkAgainstNaive(t, name, f)
	}
}

// TestSgemmMatchesGo compares the compiled backend (OpenBLAS under the
// openblas tag) and every Go kernel with the scalar Go one on the forward's
// shapes.
func TestSgemmMatchesGo(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, gc := range []gemmCase{
		{m: 128, n: 2304, k: 768, alpha: 1, beta: 1},
		{m: 128, n: 3072, k: 768, alpha: 1, beta: 0},
		{transB: true, m: 128, n: 5003, k: 768, alpha: 1, beta: 0},
		{transB: true, m: 128, n: 128, k: 64, padA: 2240, padB: 2240, alpha: 0.125, beta: 0},
		{m: 128, n: 64, k: 128, padB: 2240, padC: 704, alpha: 1, beta: 0},
	} {
		a, lda, b, ldb, c, ldc := gc.operands(r)
		p := append([]float32(nil), c...)
		if err := goSgemm(scalarKernel)(gc.transA, gc.transB, gc.m, gc.n, gc.k, gc.alpha, a, lda, b, ldb, gc.beta, p, ldc); err != nil {
			t.Fatal(err)
		}
		for name, f := range implementations() {
			s := append([]float32(nil), c...)
			if err := f(gc.transA, gc.transB, gc.m, gc.n, gc.k, gc.alpha, a, lda, b, ldb, gc.beta, s, ldc); err != nil {
				t.Fatal(err)
			}
			var maxDiff, maxAbs float64
			for i := range p {
				maxDiff = max(maxDiff, math.Abs(float64(p[i])-float64(s[i])))
				maxAbs = max(maxAbs, math.Abs(float64(p[i])))
			}
			if maxDiff > 1e-5*maxAbs {
				t.Errorf("%v: go-scalar vs %s differ by %g (max |C| %g)", gc, name, maxDiff, maxAbs)
			}
		}
	}
}

func TestSgemmBetaZeroClearsNaN(t *testing.T) {
	for name, f := range implementations() {
		a := []float32{1, 2, 3, 4}
		b := []float32{1, 0, 0, 1}
		nan := float32(math.NaN())
		c := []float32{nan, nan, nan, nan}
		if err := f(false, false, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2); err != nil {
			t.Fatal(err)
		}
		for i, v := range c {
			if v != a[i] {
				t.Errorf("%s: C = %v, want %v", name, c, a)
				break
			}
		}
		c = []float32{nan, nan, nan, nan}
		if err := f(false, false, 2, 2, 2, 0, a, 2, b, 2, 0, c, 2); err != nil {
			t.Fatal(err)
		}
		for _, v := range c {
			if v != 0 {
				t.Errorf("%s: alpha=beta=0 gave C = %v, want zeros", name, c)
				break
			}
		}
	}
}

func TestSgemmRejectsBadArguments(t *testing.T) {
	a := make([]float32, 6) // 2×3
	b := make([]float32, 12)
	c := []float32{7, 7, 7, 7, 7, 7, 7, 7}
	for _, tc := range []struct {
		name                   string
		tA, tB                 bool
		m, n, k, lda, ldb, ldc int
		a, b, c                []float32
	}{
		{"negative m", false, false, -1, 4, 3, 3, 4, 4, a, b, c},
		{"negative k", false, false, 2, 4, -3, 3, 4, 4, a, b, c},
		{"lda too small", false, false, 2, 4, 3, 2, 4, 4, a, b, c},
		{"lda too small transposed", true, false, 2, 4, 3, 1, 4, 4, a, b, c},
		{"ldb zero", false, false, 2, 4, 3, 3, 0, 4, a, b, c},
		{"short A", false, false, 2, 4, 3, 3, 4, 4, a[:5], b, c},
		{"short B", false, true, 2, 4, 3, 3, 3, 4, a, b[:11], c},
		{"short C", false, false, 2, 4, 3, 3, 4, 4, a, b, c[:7]},
		{"ldc too small", false, false, 2, 4, 3, 3, 4, 3, a, b, c},
		{"huge dimension", false, false, 1 << 31, 4, 3, 3, 4, 4, a, b, c},
	} {
		for name, f := range implementations() {
			if err := f(tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, tc.a, tc.lda, tc.b, tc.ldb, 0, tc.c, tc.ldc); err == nil {
				t.Errorf("%s: %s: no error", name, tc.name)
			}
		}
		for _, v := range c {
			if v != 7 {
				t.Fatalf("%s: C modified on error: %v", tc.name, c)
			}
		}
	}
	if err := SetThreads(0); err == nil {
		t.Error("SetThreads(0): no error")
	}
}

func TestBackend(t *testing.T) {
	if got := Backend(); !slices.Contains(wantBackends, got) {
		t.Errorf("Backend() = %q, want one of %q", got, wantBackends)
	}
}

func benchGemm(bm *testing.B, f sgemmFunc, transB bool, m, n, k int) {
	r := rand.New(rand.NewPCG(5, 6))
	gc := gemmCase{transB: transB, m: m, n: n, k: k, alpha: 1}
	a, lda, b, ldb, c, ldc := gc.operands(r)
	for bm.Loop() {
		if err := f(false, transB, m, n, k, 1, a, lda, b, ldb, 0, c, ldc); err != nil {
			bm.Fatal(err)
		}
	}
	bm.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(bm.N)/bm.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkSgemm1024 is the anchor's 1024³ SGEMM on the compiled backend.
func BenchmarkSgemm1024(b *testing.B) { benchGemm(b, Sgemm, false, 1024, 1024, 1024) }

// BenchmarkSgemmMLP is distilgpt2's c_fc over 128 tokens.
func BenchmarkSgemmMLP(b *testing.B) { benchGemm(b, Sgemm, false, 128, 3072, 768) }

// BenchmarkSgemmLMHead is the tied lm_head over 128 tokens (X·wteᵀ).
func BenchmarkSgemmLMHead(b *testing.B) { benchGemm(b, Sgemm, true, 128, 50257, 768) }

// BenchmarkGoMLP is c_fc on the Go GEMM with the CPU's best kernel, in any
// build.
func BenchmarkGoMLP(b *testing.B) { benchGemm(b, pureSgemm, false, 128, 3072, 768) }

// BenchmarkGoScalarMLP is c_fc on the Go GEMM with the portable kernel.
func BenchmarkGoScalarMLP(b *testing.B) { benchGemm(b, goSgemm(scalarKernel), false, 128, 3072, 768) }

// BenchmarkGo1024 is the 1024³ SGEMM on the Go GEMM with the CPU's best
// kernel, in any build.
func BenchmarkGo1024(b *testing.B) { benchGemm(b, pureSgemm, false, 1024, 1024, 1024) }
