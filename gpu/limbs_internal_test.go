package gpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLimbsRecombine: every int64 (edges included) is the sum of its limbs.
func TestLimbsRecombine(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 3))
	vals := []int64{0, 1, -1, 127, 128, -128, -129, math.MaxInt16, math.MinInt16, 1 << 43, -(1 << 43), math.MaxInt64, math.MinInt64}
	for range 1000 {
		vals = append(vals, int64(rng.Uint64()), int64(rng.Uint64())>>rng.IntN(64))
	}
	for _, x := range vals {
		n := limbCount([]int64{x})
		if n < 1 || n > 10 {
			t.Fatalf("%d: %d limbs", x, n)
		}
		var sum int64
		for i := 0; i < n; i++ {
			l := limb(x, i, n)
			if i < n-1 && l < 0 {
				t.Fatalf("%d: low limb %d = %d is negative", x, i, l)
			}
			sum += int64(l) << (limbBits * i)
		}
		if sum != x {
			t.Fatalf("%d: limbs sum to %d", x, sum)
		}
	}
	if n := limbCount([]int64{math.MinInt16, math.MaxInt16}); n != int16Limbs {
		t.Fatalf("int16 needs %d limbs, want %d", n, int16Limbs)
	}
}

// TestLoRAMatMulChunked: depth chunks (here of 1, 2 and 3) recombine to
// the unchunked result, as they must for d > MaxInt8Depth.
func TestLoRAMatMulChunked(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 4))
	const T, d, r, o = 3, 11, 4, 5
	gen := func(n int) []int16 {
		v := make([]int16, n)
		for i := range v {
			v[i] = int16(rng.IntN(1 << 16))
		}
		return v
	}
	X, A, B := gen(T*d), gen(d*r), gen(r*o)
	want, err := loraMatMul(GoInt8GEMM, MaxInt8Depth, T, d, r, o, X, A, B)
	if err != nil {
		t.Fatal(err)
	}
	for _, depth := range []int{1, 2, 3} {
		calls := 0
		count := func(m, n, k int, a, b []int8, c []int32) error {
			calls++
			if k > depth {
				t.Fatalf("GEMM depth %d above chunk %d", k, depth)
			}
			return GoInt8GEMM(m, n, k, a, b, c)
		}
		got, err := loraMatMul(count, depth, T, d, r, o, X, A, B)
		if err != nil {
			t.Fatal(err)
		}
		if calls != (d+depth-1)/depth+(r+depth-1)/depth {
			t.Fatalf("depth %d: %d GEMM calls", depth, calls)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("depth %d: Z[%d] = %d, want %d", depth, i, got[i], want[i])
			}
		}
	}
	if _, err := loraMatMul(GoInt8GEMM, MaxInt8Depth+1, T, d, r, o, X, A, B); err == nil {
		t.Fatal("chunk depth above MaxInt8Depth accepted")
	}
}
