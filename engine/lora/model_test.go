package lora

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/zklora/zklora/engine/gpt2"
	"github.com/zklora/zklora/engine/peft"
)

// randomModel builds an in-memory GPT-2 with Gaussian weights.
func randomModel(t testing.TB, cfg gpt2.Config, seed uint64) *gpt2.Model {
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

// losses returns the base, float-LoRA and quantized-LoRA losses of tokens.
func losses(t *testing.T, m *gpt2.Model, ad *peft.Adapter, tokens []int) (base, fl, q float64) {
	t.Helper()
	var err error
	if base, err = m.Loss(tokens); err != nil {
		t.Fatal(err)
	}
	if fl, err = m.WithHook(FloatHook(ad)).Loss(tokens); err != nil {
		t.Fatal(err)
	}
	qm, err := QuantizeAdapter(ad)
	if err != nil {
		t.Fatal(err)
	}
	prov, err := NewLocalIntProvider(qm)
	if err != nil {
		t.Fatal(err)
	}
	h, err := QuantizedHook(Points(ad), ScalesOf(qm), prov, nil)
	if err != nil {
		t.Fatal(err)
	}
	if q, err = m.WithHook(h).Loss(tokens); err != nil {
		t.Fatal(err)
	}
	return base, fl, q
}

func TestInMemoryModelLosses(t *testing.T) {
	cfg := tinyCfg()
	m := randomModel(t, cfg, 1)
	tokens := []int{3, 14, 15, 9, 26, 5, 35, 8, 9, 7, 9, 3}

	zero := randomAdapter(t, cfg, 4, 0, 2) // lora_B = 0
	base, fl, q := losses(t, m, zero, tokens)
	if fl != base || q != base {
		t.Fatalf("zero lora_B: base %v, float %v, quantized %v: want bit-identical", base, fl, q)
	}

	ad := randomAdapter(t, cfg, 4, 0.5, 3)
	base, fl, q = losses(t, m, ad, tokens)
	rel := math.Abs(q-fl) / math.Abs(fl)
	t.Logf("base %.6f float %.6f quantized %.6f (rel %.2g)", base, fl, q, rel)
	if math.Abs(fl-base) < 1e-3 {
		t.Fatalf("float LoRA loss %v barely differs from base %v", fl, base)
	}
	if rel > 1e-3 {
		t.Fatalf("quantized loss %v not within 1e-3 relative of float %v", q, fl)
	}
}
