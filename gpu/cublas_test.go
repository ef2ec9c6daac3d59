//go:build cuda

package gpu_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/gpu"
)

// hasDriver reports whether an NVIDIA driver is loaded.
func hasDriver() bool { _, err := os.Stat("/proc/driver/nvidia/version"); return err == nil }

// TestNewBLASWithoutCUDA: on a host with no NVIDIA driver (the build
// machine), NewBLAS fails with an error value, without panicking.
func TestNewBLASWithoutCUDA(t *testing.T) {
	if hasDriver() {
		t.Skip("NVIDIA driver present")
	}
	b, err := gpu.NewBLAS(0)
	if err == nil {
		b.Close()
		t.Fatal("NewBLAS succeeded without an NVIDIA driver")
	}
	if !errors.Is(err, gpu.ErrNoDevice) {
		t.Fatalf("got %v, want an error matching ErrNoDevice", err)
	}
	t.Log(err)
}

func openBLAS(t *testing.T) *gpu.BLAS {
	t.Helper()
	if !hasDriver() {
		t.Skip("no NVIDIA driver (TestNewBLASWithoutCUDA covers this host)")
	}
	b, err := gpu.NewBLAS(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	d, r, err := b.Versions()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("CUDA driver %d, runtime %d", d, r)
	return b
}

// TestCuBLASLoRAMatMulExact: the device LoRA matmul equals the CPU
// reference bit for bit, on random and extreme values, up to 8192×16×8192.
func TestCuBLASLoRAMatMulExact(t *testing.T) {
	b := openBLAS(t)
	rng := rand.New(rand.NewPCG(6, 5))
	gen := func(n int, extreme bool) []int16 {
		v := make([]int16, n)
		edges := []int16{math.MinInt16, -math.MaxInt16, math.MaxInt16, 0}
		for i := range v {
			if extreme {
				v[i] = edges[rng.IntN(len(edges))]
			} else {
				v[i] = int16(rng.IntN(1 << 16))
			}
		}
		return v
	}
	for _, c := range []struct {
		T int
		s circuits.Shape
	}{{1, circuits.Shape{D: 1, R: 1, O: 1}}, {3, circuits.Shape{D: 5, R: 2, O: 7}}, {16, circuits.Shape{D: 768, R: 8, O: 2304}},
		{16, circuits.Shape{D: 4096, R: 16, O: 4096}}, {8, circuits.Shape{D: 8192, R: 16, O: 8192}}} {
		for _, extreme := range []bool{false, true} {
			X, A, B := gen(c.T*c.s.D, extreme), gen(c.s.D*c.s.R, extreme), gen(c.s.R*c.s.O, extreme)
			want, err := circuits.MatMulExact(c.s, X, A, B)
			if err != nil {
				t.Fatal(err)
			}
			got, err := b.LoRAMatMul(c.T, c.s.D, c.s.R, c.s.O, X, A, B)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s T=%d extreme=%v: device result differs from the reference", c.s, c.T, extreme)
			}
		}
	}
}

// TestCuBLASSGEMM: float32 GEMM within float32 tolerance of a float64
// reference.
func TestCuBLASSGEMM(t *testing.T) {
	b := openBLAS(t)
	rng := rand.New(rand.NewPCG(6, 6))
	for _, s := range [][3]int{{1, 1, 1}, {7, 5, 3}, {64, 768, 2304}, {256, 3072, 768}} {
		m, k, n := s[0], s[1], s[2]
		a, bm := make([]float32, m*k), make([]float32, k*n)
		for i := range a {
			a[i] = float32(rng.NormFloat64())
		}
		for i := range bm {
			bm[i] = float32(rng.NormFloat64())
		}
		c := make([]float32, m*n)
		if err := b.SGEMM(m, n, k, a, bm, c); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var ref, mag float64
				for p := 0; p < k; p++ {
					x := float64(a[i*k+p]) * float64(bm[p*n+j])
					ref += x
					mag += math.Abs(x)
				}
				// k roundings of relative size 2^-24 each, on the sum of magnitudes.
				if tol := float64(k+1) * 0x1p-24 * mag; math.Abs(float64(c[i*n+j])-ref) > tol {
					t.Fatalf("%dx%dx%d: C[%d,%d] = %g, reference %g (tolerance %g)", m, k, n, i, j, c[i*n+j], ref, tol)
				}
			}
		}
	}
}
