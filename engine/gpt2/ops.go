package gpt2

import (
	"math"
	"runtime"
	"sync"
)

// layerNorm writes LN(x) row by row into dst (rows×n): (x−mean)/sqrt(var+eps)
// with the biased variance, times g plus b. Mean and variance are reduced in
// float64.
func layerNorm(dst, x, g, b []float32, rows, n int, eps float32) {
	for r := 0; r < rows; r++ {
		xr, dr := x[r*n:(r+1)*n], dst[r*n:(r+1)*n]
		var sum float64
		for _, v := range xr {
			sum += float64(v)
		}
		mean := sum / float64(n)
		var ss float64
		for _, v := range xr {
			d := float64(v) - mean
			ss += d * d
		}
		rstd := 1 / math.Sqrt(ss/float64(n)+float64(eps))
		g, b := g[:len(xr)], b[:len(xr)]
		for i, v := range xr {
			dr[i] = float32((float64(v)-mean)*rstd)*g[i] + b[i]
		}
	}
}

// addInPlace sets x += y.
func addInPlace(x, y []float32) {
	y = y[:len(x)]
	for i := range x {
		x[i] += y[i]
	}
}

// softmaxCausal replaces row[:valid] with its softmax and zeroes the masked
// rest (positions a query may not attend to).
func softmaxCausal(row []float32, valid int) {
	live := row[:valid]
	mx := live[0]
	for _, v := range live {
		mx = max(mx, v)
	}
	var sum float64
	for i, v := range live {
		e := math.Exp(float64(v - mx))
		live[i] = float32(e)
		sum += e
	}
	inv := 1 / sum
	for i, v := range live {
		live[i] = float32(float64(v) * inv)
	}
	clear(row[valid:])
}

// Constants of GELU's tanh form.
const (
	geluC = 0.7978845608028654 // sqrt(2/π)
	geluA = 0.044715
)

// geluTanh is 0.5x(1+tanh(√(2/π)(x+0.044715x³))), evaluated in float64 as
// x·sigmoid(2u), which is the same function (0.5(1+tanh u) = 1/(1+e^(−2u)))
// with one exponential and no cancellation.
func geluTanh(x float32) float32 {
	v := float64(x)
	u := geluC * (v + geluA*v*v*v)
	return float32(v / (1 + math.Exp(-2*u)))
}

// geluErf is the exact GELU 0.5x(1+erf(x/√2)).
func geluErf(x float32) float32 {
	v := float64(x)
	return float32(0.5 * v * (1 + math.Erf(v/math.Sqrt2)))
}

// activate applies the configured activation to f in place, in parallel
// chunks.
func activate(name string, f []float32) {
	fn := geluTanh
	if name == ActGELU {
		fn = geluErf
	}
	parallelChunks(len(f), 1<<14, func(lo, hi int) {
		s := f[lo:hi]
		for i, v := range s {
			s[i] = fn(v)
		}
	})
}

// parallelChunks calls fn over [0, n) split into one contiguous chunk per
// worker (GOMAXPROCS), or on the caller alone when n < minChunk·2.
func parallelChunks(n, minChunk int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n/minChunk)
	if workers < 2 {
		fn(0, n)
		return
	}
	step := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += step {
		hi := min(lo+step, n)
		wg.Go(func() { fn(lo, hi) })
	}
	wg.Wait()
}
