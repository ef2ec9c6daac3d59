// Package gpt2test builds in-memory GPT-2 models for tests, as
// net/http/httptest does servers for net/http.
package gpt2test

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/zklora/zklora/engine/gpt2"
)

// RandomModel builds an in-memory GPT-2 of configuration cfg with Gaussian
// weights (σ = 0.1, drawn from PCG(seed, 11) in a fixed order) and layer
// norms at identity. The same cfg and seed always give the same model.
func RandomModel(t testing.TB, cfg gpt2.Config, seed uint64) *gpt2.Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 11))
	gauss := func(shape ...int) gpt2.Tensor {
		n := 1
		for _, s := range shape {
			n *= s
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * 0.1)
		}
		return gpt2.Tensor{Shape: shape, Data: v}
	}
	fill := func(x float32, n int) gpt2.Tensor {
		v := make([]float32, n)
		for i := range v {
			v[i] = x
		}
		return gpt2.Tensor{Shape: []int{n}, Data: v}
	}
	n, in := cfg.NEmbd, cfg.NInner
	ts := map[string]gpt2.Tensor{
		"transformer.wte.weight": gauss(cfg.VocabSize, n), "transformer.wpe.weight": gauss(cfg.NPositions, n),
		"transformer.ln_f.weight": fill(1, n), "transformer.ln_f.bias": fill(0, n),
	}
	for l := range cfg.NLayer {
		p := "transformer.h." + strconv.Itoa(l) + "."
		ts[p+"ln_1.weight"], ts[p+"ln_1.bias"] = fill(1, n), fill(0, n)
		ts[p+"ln_2.weight"], ts[p+"ln_2.bias"] = fill(1, n), fill(0, n)
		ts[p+"attn.c_attn.weight"], ts[p+"attn.c_attn.bias"] = gauss(n, 3*n), gauss(3*n)
		ts[p+"attn.c_proj.weight"], ts[p+"attn.c_proj.bias"] = gauss(n, n), gauss(n)
		ts[p+"mlp.c_fc.weight"], ts[p+"mlp.c_fc.bias"] = gauss(n, in), gauss(in)
		ts[p+"mlp.c_proj.weight"], ts[p+"mlp.c_proj.bias"] = gauss(in, n), gauss(n)
	}
	m, err := gpt2.New(cfg, ts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
