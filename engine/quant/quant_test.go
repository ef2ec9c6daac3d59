package quant

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// fits reports whether every value rounds into [-MaxQ, MaxQ] at shift s.
func fits(vals []float32, s int) bool {
	for _, v := range vals {
		if math.Abs(math.Round(math.Ldexp(float64(v), s))) > MaxQ {
			return false
		}
	}
	return true
}

func TestChooseShiftMaxPrecision(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		n := 1 + rng.IntN(50)
		mag := math.Ldexp(1, rng.IntN(60)-40)
		vals := make([]float32, n)
		for j := range vals {
			vals[j] = float32((rng.Float64()*2 - 1) * mag)
		}
		s, err := ChooseShift(vals)
		if err != nil {
			t.Fatal(err)
		}
		if !fits(vals, s) {
			t.Fatalf("shift %d overflows for max %g", s, mag)
		}
		if s < MaxShift && fits(vals, s+1) && !allZero(vals) {
			t.Fatalf("shift %d is not maximal: s+1 also fits (mag %g)", s, mag)
		}
	}
}

func allZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

func TestChooseShiftBoundaries(t *testing.T) {
	cases := []struct {
		name string
		vals []float32
		want int
	}{
		{"exactly MaxQ", []float32{32767}, 0},
		{"just below rounding up", []float32{32767.499}, 0},
		{"rounds to 32768", []float32{32767.5}, -1},
		{"one", []float32{1}, 14},
		{"minus one", []float32{-1}, 14},
		{"just under one rounds up", []float32{0.99999994}, 14},
		{"fits at 15", []float32{0.99996}, 15},
		{"half", []float32{0.5, -0.25}, 15},
		{"empty", nil, DefaultShift},
		{"zeros", []float32{0, 0, float32(math.Copysign(0, -1))}, DefaultShift},
		{"tiny clamps to MaxShift", []float32{1e-30}, MaxShift},
		{"smallest denormal", []float32{math.SmallestNonzeroFloat32}, MaxShift},
		{"large", []float32{float32(math.Ldexp(1, 60))}, 14 - 60},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := ChooseShift(c.vals)
			if err != nil {
				t.Fatal(err)
			}
			if s != c.want {
				t.Fatalf("shift %d, want %d", s, c.want)
			}
		})
	}
}

func TestChooseShiftErrors(t *testing.T) {
	for _, v := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		if _, err := ChooseShift([]float32{1, v}); !errors.Is(err, ErrNonFinite) {
			t.Fatalf("%v: got %v, want ErrNonFinite", v, err)
		}
	}
	if _, err := ChooseShift([]float32{math.MaxFloat32}); !errors.Is(err, ErrRange) {
		t.Fatalf("MaxFloat32: got %v, want ErrRange", err)
	}
}

func TestQuantizeErrorBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 500; i++ {
		vals := make([]float32, 64)
		mag := math.Ldexp(1, rng.IntN(40)-30)
		for j := range vals {
			vals[j] = float32(rng.NormFloat64() * mag)
		}
		q, s, maxErr, err := QuantizeAuto(vals)
		if err != nil {
			t.Fatal(err)
		}
		bound := math.Ldexp(1, -(s + 1))
		if maxErr > bound {
			t.Fatalf("max error %g > 2^-(s+1) = %g", maxErr, bound)
		}
		deq := Dequantize(q, s)
		worst := 0.0
		for j := range vals {
			if q[j] == math.MinInt16 {
				t.Fatal("produced -32768")
			}
			worst = math.Max(worst, math.Abs(float64(vals[j])-float64(deq[j])))
		}
		if worst != maxErr {
			t.Fatalf("reported max error %g, recomputed %g", maxErr, worst)
		}
	}
}

func TestQuantizeRounding(t *testing.T) {
	q, err := Quantize([]float32{0.5, -0.5, 1.5, -1.5, 2.5, 0.49999997, 32767, -32767}, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []int16{1, -1, 2, -2, 3, 0, 32767, -32767}
	for i := range want {
		if q[i] != want[i] {
			t.Fatalf("element %d: got %d, want %d (half away from zero)", i, q[i], want[i])
		}
	}
}

func TestQuantizeErrors(t *testing.T) {
	if _, err := Quantize([]float32{32767.5}, 0); !errors.Is(err, ErrRange) {
		t.Fatalf("overflow: got %v", err)
	}
	if _, err := Quantize([]float32{-32767.5}, 0); !errors.Is(err, ErrRange) {
		t.Fatalf("negative overflow: got %v", err)
	}
	if _, err := Quantize([]float32{1}, MaxShift+1); !errors.Is(err, ErrRange) {
		t.Fatalf("shift too large: got %v", err)
	}
	if _, err := Quantize([]float32{1}, MinShift-1); !errors.Is(err, ErrRange) {
		t.Fatalf("shift too small: got %v", err)
	}
	if _, err := Quantize([]float32{float32(math.NaN())}, 0); !errors.Is(err, ErrNonFinite) {
		t.Fatalf("NaN: got %v", err)
	}
	if _, _, _, err := QuantizeAuto([]float32{float32(math.Inf(1))}); !errors.Is(err, ErrNonFinite) {
		t.Fatalf("QuantizeAuto Inf: got %v", err)
	}
}

func TestExtremeShiftsExactDequantize(t *testing.T) {
	for _, s := range []int{MinShift, MaxShift} {
		q := []int16{MaxQ, -MaxQ, 1, -1, 0}
		d := Dequantize(q, s)
		back, err := Quantize(d, s)
		if err != nil {
			t.Fatalf("shift %d: %v", s, err)
		}
		for i := range q {
			if back[i] != q[i] {
				t.Fatalf("shift %d: round trip %d -> %g -> %d", s, q[i], d[i], back[i])
			}
		}
	}
}

func FuzzQuantizeAuto(f *testing.F) {
	f.Add(float32(1), float32(-2), float32(0.001))
	f.Add(float32(0), float32(0), float32(0))
	f.Add(float32(3e38), float32(1e-45), float32(-1))
	f.Fuzz(func(t *testing.T, a, b, c float32) {
		vals := []float32{a, b, c}
		q, s, e, err := QuantizeAuto(vals)
		if err != nil {
			return
		}
		if e > math.Ldexp(1, -(s+1)) {
			t.Fatalf("error %g above bound at shift %d", e, s)
		}
		if len(q) != 3 || s < MinShift || s > MaxShift {
			t.Fatalf("bad result q=%v s=%d", q, s)
		}
	})
}
