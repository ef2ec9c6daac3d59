package avx2

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestKernel6x16(t *testing.T) {
	if !Supported() {
		t.Skip("no AVX2/FMA on this CPU (or purego build)")
	}
	r := rand.New(rand.NewPCG(1, 1))
	for _, kc := range []int{1, 2, 7, 8, 255, 256} {
		const ldc = 19
		a := make([]float32, 6*kc)
		b := make([]float32, 16*kc)
		c := make([]float32, 5*ldc+16+3)
		for i := range a {
			a[i] = float32(r.NormFloat64())
		}
		for i := range b {
			b[i] = float32(r.NormFloat64())
		}
		for i := range c {
			c[i] = float32(r.NormFloat64())
		}
		orig := append([]float32(nil), c...)
		add := kc%2 == 1
		Kernel6x16(kc, a, b, c, ldc, add)
		for i := range c {
			row, col := i/ldc, i%ldc
			want := float64(orig[i])
			if !add && row < 6 && col < 16 {
				want = 0
			}
			if row < 6 && col < 16 {
				for p := 0; p < kc; p++ {
					want += float64(a[p*6+row]) * float64(b[p*16+col])
				}
			}
			if math.Abs(float64(c[i])-want) > 1e-5*(1+math.Abs(want))*math.Sqrt(float64(kc)) {
				t.Fatalf("kc=%d: c[%d] (row %d col %d) = %g, want %g", kc, i, row, col, c[i], want)
			}
		}
	}
}

func TestKernel6x16ShortSlicePanics(t *testing.T) {
	if !Supported() {
		t.Skip("no AVX2/FMA")
	}
	defer func() {
		if recover() == nil {
			t.Error("short C did not panic")
		}
	}()
	Kernel6x16(1, make([]float32, 6), make([]float32, 16), make([]float32, 5*16+15), 16, true)
}
