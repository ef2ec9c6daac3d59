package lora

import (
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/zklora/zklora/engine/fixture"
	"github.com/zklora/zklora/engine/gpt2"
	"github.com/zklora/zklora/engine/peft"
	"github.com/zklora/zklora/engine/tokenizer"
)

const fixtureText = "The contributor keeps its adapter private; the user runs the public base model and checks every answer."

// loadFixture writes a fixture preset and loads its base model and adapter.
func loadFixture(t *testing.T, preset string, o fixture.Options) (*gpt2.Model, *peft.Adapter, []int) {
	t.Helper()
	dir := t.TempDir()
	if _, err := fixture.WriteOptions(dir, preset, o); err != nil {
		t.Fatal(err)
	}
	m, err := gpt2.Load(filepath.Join(dir, "base"))
	if err != nil {
		t.Fatal(err)
	}
	ad, err := peft.Load(filepath.Join(dir, "adapter"), m.Config())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.New()
	if err != nil {
		t.Fatal(err)
	}
	ids, err := tok.Encode(fixtureText)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ids {
		ids[i] %= m.Config().VocabSize // the tiny preset may have a small vocabulary
	}
	return m, ad, ids
}

// zeroB returns a copy of ad whose lora_B factors are all zero.
func zeroB(ad *peft.Adapter) *peft.Adapter {
	z := *ad
	z.Modules = make(map[string]*peft.Module, len(ad.Modules))
	for n, m := range ad.Modules {
		c := *m
		c.B = make([]float32, len(m.B))
		z.Modules[n] = &c
	}
	return &z
}

// checkFixture runs the fixture checks on one preset and logs the figures.
func checkFixture(t *testing.T, preset string) {
	if preset == fixture.PresetTiny {
		// PEFT's initial state: an adapter written with lora_B = 0.
		m, ad, ids := loadFixture(t, preset, fixture.Options{Seed: 1, ZeroLoRAB: true})
		base, fl, q := losses(t, m, ad, ids)
		if fl != base || q != base {
			t.Fatalf("%s, lora_B = 0 on disk: base %v, float %v, quantized %v: want bit-identical", preset, base, fl, q)
		}
	}
	m, ad, ids := loadFixture(t, preset, fixture.Options{Seed: 1})

	base, fl, q := losses(t, m, zeroB(ad), ids)
	if fl != base || q != base {
		t.Fatalf("%s, lora_B = 0: base %v, float %v, quantized %v: want bit-identical", preset, base, fl, q)
	}

	base, fl, q = losses(t, m, ad, ids)
	rel := math.Abs(q-fl) / math.Abs(fl)
	t.Logf("%s: %d tokens, base loss %.6f, float LoRA %.6f, quantized %.6f, |q-f|/f = %.3g", preset, len(ids), base, fl, q, rel)
	if fl == base {
		t.Fatalf("%s: float LoRA loss equals the base loss %v", preset, base)
	}
	if rel > 1e-3 {
		t.Fatalf("%s: quantized loss %v not within 1e-3 relative of float %v", preset, q, fl)
	}

	qm, err := QuantizeAdapter(ad)
	if err != nil {
		t.Fatal(err)
	}
	worstA, worstB := 0.0, 0.0
	for _, p := range Points(ad) {
		worstA, worstB = math.Max(worstA, qm[p.Name].MaxErrA), math.Max(worstB, qm[p.Name].MaxErrB)
	}
	t.Logf("%s: %d points, worst quantization error A %.3g, B %.3g", preset, len(qm), worstA, worstB)
	local, err := NewLocalIntProvider(qm)
	if err != nil {
		t.Fatal(err)
	}
	var lossVia [2]float64
	var logs [2][]int64
	for i, prov := range []IntProvider{local, copyProvider{local}} {
		rec := RecorderFunc(func(_ string, _ uint32, _ int, _ []int16, Z []int64, _ int) error {
			logs[i] = append(logs[i], Z...)
			return nil
		})
		h, err := QuantizedHook(Points(ad), ScalesOf(qm), prov, rec)
		if err != nil {
			t.Fatal(err)
		}
		if lossVia[i], err = m.WithHook(h).Loss(ids); err != nil {
			t.Fatal(err)
		}
	}
	if lossVia[0] != lossVia[1] || lossVia[0] != q || !slices.Equal(logs[0], logs[1]) {
		t.Fatalf("%s: local %v and round-tripped %v providers differ", preset, lossVia[0], lossVia[1])
	}
}

func TestFixtureTiny(t *testing.T) { checkFixture(t, "tiny") }

func TestFixtureDistilGPT2(t *testing.T) {
	if testing.Short() {
		t.Skip("distilgpt2 preset: skipped with -short")
	}
	checkFixture(t, "distilgpt2")
}
