package gpu_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/gpu"
)

// randInt16 fills n values: uniform, or (extreme) drawn from the edges
// −32768, −32767, 32767 and 0.
func randInt16(rng *rand.Rand, n int, extreme bool) []int16 {
	v := make([]int16, n)
	edges := []int16{math.MinInt16, -math.MaxInt16, math.MaxInt16, 0, -1, 1}
	for i := range v {
		if extreme {
			v[i] = edges[rng.IntN(len(edges))]
		} else {
			v[i] = int16(rng.IntN(1 << 16))
		}
	}
	return v
}

func fill(n int, x int16) []int16 {
	v := make([]int16, n)
	for i := range v {
		v[i] = x
	}
	return v
}

// checkLimbs compares the limb matmul on GoInt8GEMM with the reference.
func checkLimbs(t *testing.T, T int, s circuits.Shape, X, A, B []int16) {
	t.Helper()
	want, err := circuits.MatMulExact(s, X, A, B)
	if err != nil {
		t.Fatal(err)
	}
	got, err := gpu.LoRAMatMul(gpu.GoInt8GEMM, T, s.D, s.R, s.O, X, A, B)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("shape %s T=%d: Z[%d] = %d, reference %d", s, T, i, got[i], want[i])
			}
		}
	}
}

func TestLoRAMatMulMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 1))
	cases := []struct {
		T int
		s circuits.Shape
	}{
		{1, circuits.Shape{D: 1, R: 1, O: 1}},
		{3, circuits.Shape{D: 5, R: 2, O: 7}},
		{4, circuits.Shape{D: 64, R: 8, O: 48}},
		{2, circuits.Shape{D: 768, R: 8, O: 2304}},
	}
	for _, c := range cases {
		for _, extreme := range []bool{false, true} {
			X := randInt16(rng, c.T*c.s.D, extreme)
			A := randInt16(rng, c.s.D*c.s.R, extreme)
			B := randInt16(rng, c.s.R*c.s.O, extreme)
			checkLimbs(t, c.T, c.s, X, A, B)
		}
	}
}

// TestLoRAMatMulLargestShape: 8192×16×8192 at the extremes, where
// |X·A| reaches 2^43 and |Z| 2^62 (the reference's int64 range).
func TestLoRAMatMulLargestShape(t *testing.T) {
	s := circuits.Shape{D: 8192, R: 16, O: 8192}
	const T = 2
	n := s.D
	if testing.Short() {
		n = 1024
		s = circuits.Shape{D: n, R: 16, O: 1024}
	}
	// Every product is (−32768)·(−32768) = 2^30 in the first stage, then
	// times −32768: the largest magnitudes the shape allows.
	checkLimbs(t, T, s, fill(T*s.D, math.MinInt16), fill(s.D*s.R, math.MinInt16), fill(s.R*s.O, math.MinInt16))
	checkLimbs(t, T, s, fill(T*s.D, math.MaxInt16), fill(s.D*s.R, math.MinInt16), fill(s.R*s.O, math.MaxInt16))
	rng := rand.New(rand.NewPCG(6, 2))
	checkLimbs(t, T, s, randInt16(rng, T*s.D, true), randInt16(rng, s.D*s.R, true), randInt16(rng, s.R*s.O, true))
}

// TestInt8DepthBoundIsTight: at depth MaxInt8Depth the worst int8 dot
// product still fits int32; one more term overflows it.
func TestInt8DepthBoundIsTight(t *testing.T) {
	for _, k := range []int{gpu.MaxInt8Depth, gpu.MaxInt8Depth + 1} {
		a := make([]int8, k)
		b := make([]int8, k)
		for i := range a {
			a[i], b[i] = math.MinInt8, math.MinInt8
		}
		exact := int64(k) * 128 * 128
		var acc int32
		for i := range a {
			acc += int32(a[i]) * int32(b[i])
		}
		fits := int64(acc) == exact
		if fits != (k <= gpu.MaxInt8Depth) {
			t.Fatalf("depth %d: int32 sum %d, exact %d, fits=%v", k, acc, exact, fits)
		}
	}
	c := make([]int32, 1)
	k := gpu.MaxInt8Depth + 1
	if err := gpu.GoInt8GEMM(1, 1, k, make([]int8, k), make([]int8, k), c); err == nil {
		t.Fatal("GoInt8GEMM accepted a depth above MaxInt8Depth")
	}
}

// TestLoRAMatMulGEMMErrors: a failing GEMM is reported, not ignored.
func TestLoRAMatMulGEMMErrors(t *testing.T) {
	bad := func(m, n, k int, a, b []int8, c []int32) error { return gpu.ErrNoDevice }
	if _, err := gpu.LoRAMatMul(bad, 1, 2, 1, 2, make([]int16, 2), make([]int16, 2), make([]int16, 2)); err == nil {
		t.Fatal("GEMM error swallowed")
	}
	if _, err := gpu.LoRAMatMul(gpu.GoInt8GEMM, 1, 2, 1, 2, make([]int16, 3), make([]int16, 2), make([]int16, 2)); err == nil {
		t.Fatal("bad X length accepted")
	}
	if _, err := gpu.LoRAMatMul(nil, 1, 1, 1, 1, make([]int16, 1), make([]int16, 1), make([]int16, 1)); err == nil {
		t.Fatal("nil gemm accepted")
	}
}
