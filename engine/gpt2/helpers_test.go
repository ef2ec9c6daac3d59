package gpt2

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// tinyConfig is a small model that still has several heads, layers and an
// MLP width that is not 4·n_embd.
func tinyConfig() Config {
	return Config{VocabSize: 53, NPositions: 24, NEmbd: 16, NLayer: 2, NHead: 4, NInner: 40,
		LayerNormEpsilon: 1e-5, Activation: ActGELUNew}
}

// randomTensors builds random weights for cfg under the names of a
// GPT2LMHeadModel state dict (with the "transformer." prefix). Layer-norm
// gains sit around 1 so that the activations keep a useful range.
func randomTensors(cfg Config, seed uint64) map[string]Tensor {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	ts := make(map[string]Tensor)
	for key, shape := range expectedShapes(cfg) {
		data := make([]float32, numel(shape))
		std, mean := 0.2, 0.0
		switch {
		case len(shape) == 1 && (hasSuffix(key, "ln_1.weight") || hasSuffix(key, "ln_2.weight") || key == "ln_f.weight"):
			std, mean = 0.1, 1
		case len(shape) == 1:
			std = 0.05
		}
		for i := range data {
			data[i] = float32(mean + std*r.NormFloat64())
		}
		ts["transformer."+key] = Tensor{Shape: shape, Data: data}
	}
	return ts
}

func hasSuffix(s, suf string) bool { return len(s) >= len(suf) && s[len(s)-len(suf):] == suf }

// refModel is a deliberately straightforward float64 implementation used as
// the reference: no blocking, no KV cache, no parallelism.
type refModel struct {
	cfg Config
	t   map[string][]float64
}

func newRef(cfg Config, ts map[string]Tensor) *refModel {
	r := &refModel{cfg: cfg, t: map[string][]float64{}}
	for name, t := range ts {
		d := make([]float64, len(t.Data))
		for i, v := range t.Data {
			d[i] = float64(v)
		}
		r.t[name] = d
	}
	return r
}

func (r *refModel) w(name string) []float64 { return r.t["transformer."+name] }

func refLN(x []float64, g, b []float64, eps float64) []float64 {
	var mean, v float64
	for _, a := range x {
		mean += a
	}
	mean /= float64(len(x))
	for _, a := range x {
		v += (a - mean) * (a - mean)
	}
	v /= float64(len(x))
	out := make([]float64, len(x))
	for i, a := range x {
		out[i] = (a-mean)/math.Sqrt(v+eps)*g[i] + b[i]
	}
	return out
}

func refLinear(x [][]float64, w, b []float64, o int) [][]float64 {
	out := make([][]float64, len(x))
	for t, row := range x {
		out[t] = make([]float64, o)
		for j := 0; j < o; j++ {
			s := b[j]
			for i, a := range row {
				s += a * w[i*o+j]
			}
			out[t][j] = s
		}
	}
	return out
}

// logits returns T×V logits in float64. hook, if non-nil, may modify each
// projection's output like a LinearHook.
func (r *refModel) logits(tokens []int, hook func(name string, x, y [][]float64)) [][]float64 {
	c := r.cfg
	n, T, hd := c.NEmbd, len(tokens), c.HeadDim()
	x := make([][]float64, T)
	for t, tok := range tokens {
		x[t] = make([]float64, n)
		for i := range x[t] {
			x[t][i] = r.w("wte.weight")[tok*n+i] + r.w("wpe.weight")[t*n+i]
		}
	}
	lin := func(l, j int, in [][]float64, o int) [][]float64 {
		p := fmt.Sprintf("h.%d.%s.", l, blockModules[j])
		y := refLinear(in, r.w(p+"weight"), r.w(p+"bias"), o)
		if hook != nil {
			hook(ModuleName(l, j), in, y)
		}
		return y
	}
	for l := 0; l < c.NLayer; l++ {
		p := fmt.Sprintf("h.%d.", l)
		h := make([][]float64, T)
		for t := range x {
			h[t] = refLN(x[t], r.w(p+"ln_1.weight"), r.w(p+"ln_1.bias"), c.LayerNormEpsilon)
		}
		qkv := lin(l, 0, h, 3*n)
		a := make([][]float64, T)
		for t := range a {
			a[t] = make([]float64, n)
		}
		scale := 1 / math.Sqrt(float64(hd))
		if c.ScaleAttnByInverseLayerIdx {
			scale /= float64(l + 1)
		}
		for hh := 0; hh < c.NHead; hh++ {
			for t := 0; t < T; t++ {
				sc := make([]float64, t+1)
				mx := math.Inf(-1)
				for s := 0; s <= t; s++ {
					var d float64
					for i := 0; i < hd; i++ {
						d += qkv[t][hh*hd+i] * qkv[s][n+hh*hd+i]
					}
					sc[s] = d * scale
					mx = math.Max(mx, sc[s])
				}
				var sum float64
				for s := range sc {
					sc[s] = math.Exp(sc[s] - mx)
					sum += sc[s]
				}
				for s := range sc {
					for i := 0; i < hd; i++ {
						a[t][hh*hd+i] += sc[s] / sum * qkv[s][2*n+hh*hd+i]
					}
				}
			}
		}
		y := lin(l, 1, a, n)
		for t := range x {
			for i := range x[t] {
				x[t][i] += y[t][i]
			}
			h[t] = refLN(x[t], r.w(p+"ln_2.weight"), r.w(p+"ln_2.bias"), c.LayerNormEpsilon)
		}
		f := lin(l, 2, h, c.NInner)
		for t := range f {
			for i, v := range f[t] {
				if c.Activation == ActGELU {
					f[t][i] = 0.5 * v * (1 + math.Erf(v/math.Sqrt2))
				} else {
					f[t][i] = 0.5 * v * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(v+0.044715*v*v*v)))
				}
			}
		}
		y = lin(l, 3, f, n)
		for t := range x {
			for i := range x[t] {
				x[t][i] += y[t][i]
			}
		}
	}
	out := make([][]float64, T)
	wte := r.w("wte.weight")
	for t := range x {
		h := refLN(x[t], r.w("ln_f.weight"), r.w("ln_f.bias"), c.LayerNormEpsilon)
		out[t] = make([]float64, c.VocabSize)
		for v := range out[t] {
			var s float64
			for i, a := range h {
				s += a * wte[v*n+i]
			}
			out[t][v] = s
		}
	}
	return out
}

// loss is the mean next-token cross-entropy of the reference logits.
func (r *refModel) loss(tokens []int) float64 {
	lg := r.logits(tokens, nil)
	var total float64
	for t := 0; t+1 < len(tokens); t++ {
		mx := math.Inf(-1)
		for _, v := range lg[t] {
			mx = math.Max(mx, v)
		}
		var s float64
		for _, v := range lg[t] {
			s += math.Exp(v - mx)
		}
		total += mx + math.Log(s) - lg[t][tokens[t+1]]
	}
	return total / float64(len(tokens)-1)
}

func randomTokens(r *rand.Rand, T, vocab int) []int {
	toks := make([]int, T)
	for i := range toks {
		toks[i] = r.IntN(vocab)
	}
	return toks
}

// maxRelDiff returns max|a−b| / max|b| over T×V logits.
func maxRelDiff(got []float32, want [][]float64) float64 {
	var diff, scale float64
	v := len(want[0])
	for t := range want {
		for j, w := range want[t] {
			diff = math.Max(diff, math.Abs(float64(got[t*v+j])-w))
			scale = math.Max(scale, math.Abs(w))
		}
	}
	return diff / scale
}
