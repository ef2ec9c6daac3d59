package peft

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
)

// memTensor and memSource are an in-memory tensorSource.
type memTensor struct {
	data  []float32
	shape []int
}

type memSource map[string]memTensor

func (m memSource) Names() []string { return slices.Sorted(maps.Keys(m)) }

func (m memSource) Float32(name string) ([]float32, []int, error) {
	t, ok := m[name]
	if !ok {
		return nil, nil, fmt.Errorf("no tensor %q", name)
	}
	return slices.Clone(t.data), slices.Clone(t.shape), nil
}

var tinyBase = baseDims{NLayer: 2, NEmbd: 8, NInner: 32}

// filled returns n values derived from seed.
func filled(n int, seed float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = seed + float32(i%7)*0.01
	}
	return v
}

// source builds the tensors PEFT would save for the given modules (long
// names) with rank r; prefix is prepended to each module name.
func source(base baseDims, prefix string, r int, modules ...string) memSource {
	m := memSource{}
	for _, c := range base.conv1Ds() {
		if !slices.Contains(modules, c.Name) {
			continue
		}
		n := prefix + strings.TrimPrefix(c.Name, "transformer.")
		m[n+".lora_A.weight"] = memTensor{filled(r*c.D, 0.1), []int{r, c.D}}
		m[n+".lora_B.weight"] = memTensor{filled(c.O*r, -0.2), []int{c.O, r}}
	}
	return m
}

var attnC = []string{
	"transformer.h.0.attn.c_attn", "transformer.h.0.attn.c_proj",
	"transformer.h.1.attn.c_attn", "transformer.h.1.attn.c_proj",
}

func TestBuildKeyForms(t *testing.T) {
	cfg := mustParse(t, `{"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": ["c_attn", "attn.c_proj"]}`)
	for _, prefix := range []string{"base_model.model.transformer.", "transformer.", "base_model.model.", ""} {
		ad, err := build(cfg, tinyBase, source(tinyBase, prefix, 4, attnC...))
		if err != nil {
			t.Fatalf("prefix %q: %v", prefix, err)
		}
		if !slices.Equal(ad.Names(), attnC) {
			t.Fatalf("prefix %q: modules %v, want %v", prefix, ad.Names(), attnC)
		}
		m := ad.Modules["transformer.h.1.attn.c_attn"]
		if m.D != 8 || m.R != 4 || m.O != 24 || m.Scaling != 2 || len(m.A) != 32 || len(m.B) != 96 || m.Layer != 1 {
			t.Fatalf("prefix %q: module %+v", prefix, m)
		}
	}
}

func TestBuildForwardOrderAndMLP(t *testing.T) {
	cfg := mustParse(t, `{"peft_type": "LORA", "r": 2, "target_modules": ["c_fc", "c_proj", "c_attn"]}`)
	var all []string
	for _, c := range tinyBase.conv1Ds() {
		all = append(all, c.Name)
	}
	ad, err := build(cfg, tinyBase, source(tinyBase, "base_model.model.transformer.", 2, all...))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ad.Names(), all) {
		t.Fatalf("order %v", ad.Names())
	}
	fc, proj := ad.Modules["transformer.h.0.mlp.c_fc"], ad.Modules["transformer.h.0.mlp.c_proj"]
	if fc.D != 8 || fc.O != 32 || proj.D != 32 || proj.O != 8 {
		t.Fatalf("mlp shapes %+v %+v", fc, proj)
	}
}

func TestBuildRankPatternAndRSLoRA(t *testing.T) {
	cfg := mustParse(t, `{"peft_type": "LORA", "r": 4, "lora_alpha": 8, "use_rslora": true, "target_modules": ["c_attn"],
	  "rank_pattern": {"h.1.attn.c_attn": 2}, "alpha_pattern": {"h.0.attn.c_attn": 2}}`)
	src := source(tinyBase, "base_model.model.transformer.", 4, "transformer.h.0.attn.c_attn")
	for k, v := range source(tinyBase, "base_model.model.transformer.", 2, "transformer.h.1.attn.c_attn") {
		src[k] = v
	}
	ad, err := build(cfg, tinyBase, src)
	if err != nil {
		t.Fatal(err)
	}
	m0, m1 := ad.Modules["transformer.h.0.attn.c_attn"], ad.Modules["transformer.h.1.attn.c_attn"]
	if m0.R != 4 || m0.Scaling != 1 || m1.R != 2 || m1.Scaling != 8/1.4142135623730951 {
		t.Fatalf("m0 %d %g, m1 %d %g", m0.R, m0.Scaling, m1.R, m1.Scaling)
	}
	// The rank pattern does not match the file's rank: refused.
	bad := source(tinyBase, "base_model.model.transformer.", 4, "transformer.h.0.attn.c_attn", "transformer.h.1.attn.c_attn")
	if _, err := build(cfg, tinyBase, bad); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Fatalf("rank mismatch: %v", err)
	}
}

func TestBuildFanInFanOutIgnored(t *testing.T) {
	src := source(tinyBase, "base_model.model.transformer.", 4, attnC...)
	var got [][]float32
	for _, f := range []string{"true", "false"} {
		cfg := mustParse(t, `{"peft_type": "LORA", "r": 4, "target_modules": ["c_attn", "attn.c_proj"], "fan_in_fan_out": `+f+`}`)
		ad, err := build(cfg, tinyBase, src)
		if err != nil {
			t.Fatal(err)
		}
		m := ad.Modules["transformer.h.0.attn.c_attn"]
		got = append(got, append(slices.Clone(m.A), m.B...))
	}
	if !slices.Equal(got[0], got[1]) {
		t.Fatal("fan_in_fan_out changed the loaded factors")
	}
}

func TestBuildErrors(t *testing.T) {
	cfg := mustParse(t, `{"peft_type": "LORA", "r": 4, "target_modules": ["c_attn", "attn.c_proj"]}`)
	good := func() memSource { return source(tinyBase, "base_model.model.transformer.", 4, attnC...) }
	const p = "base_model.model.transformer.h.0.attn.c_attn"
	cases := []struct {
		name   string
		cfg    Config
		mutate func(memSource)
		want   string
	}{
		{"missing B", cfg, func(m memSource) { delete(m, p+".lora_B.weight") }, "no lora_B"},
		{"missing module", cfg, func(m memSource) {
			delete(m, p+".lora_A.weight")
			delete(m, p+".lora_B.weight")
		}, "has no lora_A/lora_B"},
		{"A transposed", cfg, func(m memSource) { m[p+".lora_A.weight"] = memTensor{filled(32, 1), []int{8, 4}} }, "shape"},
		{"B wrong out", cfg, func(m memSource) { m[p+".lora_B.weight"] = memTensor{filled(32, 1), []int{8, 4}} }, "shape"},
		{"A 1-D", cfg, func(m memSource) { m[p+".lora_A.weight"] = memTensor{filled(32, 1), []int{32}} }, "shape"},
		{"NaN", cfg, func(m memSource) {
			v := filled(32, 1)
			v[3] = float32(math.NaN())
			m[p+".lora_A.weight"] = memTensor{v, []int{4, 8}}
		}, "not finite"},
		{"untargeted tensor", cfg, func(m memSource) {
			m["base_model.model.transformer.h.0.mlp.c_fc.lora_A.weight"] = memTensor{filled(32, 1), []int{4, 8}}
		}, "does not select"},
		{"layer out of range", cfg, func(m memSource) {
			m["base_model.model.transformer.h.7.attn.c_attn.lora_A.weight"] = memTensor{filled(32, 1), []int{4, 8}}
		}, "not a Conv1D module"},
		{"default infix", cfg, func(m memSource) {
			m[p+".lora_A.default.weight"] = m[p+".lora_A.weight"]
			delete(m, p+".lora_A.weight")
		}, ".default"},
		{"embedding", cfg, func(m memSource) {
			m["base_model.model.transformer.wte.lora_embedding_A"] = memTensor{filled(32, 1), []int{4, 8}}
		}, "embedding"},
		{"dora", cfg, func(m memSource) { m[p+".lora_magnitude_vector"] = memTensor{filled(24, 1), []int{24}} }, "DoRA"},
		{"bias", cfg, func(m memSource) { m[p+".bias"] = memTensor{filled(24, 1), []int{24}} }, "bias"},
		{"extra", cfg, func(m memSource) { m["base_model.model.score.weight"] = memTensor{filled(24, 1), []int{24}} }, "not a LoRA weight"},
		{"mixed forms", cfg, func(m memSource) {
			m["h.0.attn.c_attn.lora_A.weight"] = m[p+".lora_A.weight"]
			delete(m, p+".lora_A.weight")
		}, "mix"},
		{"duplicate", cfg, func(m memSource) {
			m["transformer.h.0.attn.c_attn.lora_A.weight"] = m[p+".lora_A.weight"]
		}, "same factor"},
		{"target attn container", mustParse(t, `{"peft_type": "LORA", "r": 4, "target_modules": ["attn"]}`), func(memSource) {}, "not a Conv1D"},
		{"target wte", mustParse(t, `{"peft_type": "LORA", "r": 4, "target_modules": ["c_attn", "attn.c_proj", "wte"]}`), func(memSource) {}, "embedding"},
		{"target lm_head", mustParse(t, `{"peft_type": "LORA", "r": 4, "target_modules": ["c_attn", "attn.c_proj", "lm_head"]}`), func(memSource) {}, "output head"},
		{"regex everything", mustParse(t, `{"peft_type": "LORA", "r": 4, "target_modules": ".*"}`), func(memSource) {}, "selects"},
		{"no targets", mustParse(t, `{"peft_type": "LORA", "r": 4, "target_modules": ["q_proj"]}`), func(m memSource) { clear(m) }, "selects no Conv1D"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := good()
			c.mutate(m)
			_, err := build(c.cfg, tinyBase, m)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not contain %q", err, c.want)
			}
		})
	}
	if _, err := build(cfg, baseDims{NLayer: 0, NEmbd: 8, NInner: 32}, good()); err == nil {
		t.Fatal("zero layers accepted")
	}
}
