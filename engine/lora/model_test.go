package lora

import (
	"math"
	"testing"

	"github.com/zklora/zklora/engine/gpt2"
	"github.com/zklora/zklora/engine/gpt2/gpt2test"
	"github.com/zklora/zklora/engine/peft"
)

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
	m := gpt2test.RandomModel(t, cfg, 1)
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
