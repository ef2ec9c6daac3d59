package peft

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func mustParse(t *testing.T, js string) Config {
	t.Helper()
	c, err := ParseConfig([]byte(js))
	if err != nil {
		t.Fatalf("ParseConfig(%s): %v", js, err)
	}
	return c
}

func TestParseConfigTypical(t *testing.T) {
	// As written by PEFT 0.13 for a GPT-2 LoRA (trimmed), plus a field from
	// the future that must be ignored.
	c := mustParse(t, `{
	  "alpha_pattern": {}, "auto_mapping": null, "base_model_name_or_path": "distilgpt2",
	  "bias": "none", "fan_in_fan_out": true, "inference_mode": true,
	  "init_lora_weights": true, "layer_replication": null, "layers_pattern": null,
	  "layers_to_transform": null, "loftq_config": {}, "lora_alpha": 16, "lora_dropout": 0.05,
	  "megatron_config": null, "megatron_core": "megatron.core", "modules_to_save": null,
	  "peft_type": "LORA", "r": 8, "rank_pattern": {}, "revision": null,
	  "target_modules": ["c_proj", "c_attn"], "task_type": "CAUSAL_LM",
	  "use_dora": false, "use_rslora": false, "some_future_field": {"x": [1, 2]}
	}`)
	if c.R != 8 || c.LoraAlpha != 16 || c.UseRSLoRA || !c.FanInFanOut || c.TaskType != "CAUSAL_LM" {
		t.Fatalf("unexpected config %+v", c)
	}
	if c.TargetModules.IsRegex || !slices.Equal(c.TargetModules.List, []string{"c_proj", "c_attn"}) {
		t.Fatalf("targets %v", c.TargetModules)
	}
	if c.BaseModelNameOrPath != "distilgpt2" {
		t.Fatalf("base model %q", c.BaseModelNameOrPath)
	}
}

func TestParseConfigDefaults(t *testing.T) {
	c := mustParse(t, `{"peft_type": "LORA", "target_modules": null}`)
	if c.R != DefaultR || c.LoraAlpha != DefaultLoraAlpha || c.Bias != "none" {
		t.Fatalf("defaults not applied: %+v", c)
	}
	if !slices.Equal(c.TargetModules.List, []string{"c_attn"}) {
		t.Fatalf("null target_modules: got %v, want PEFT's gpt2 default [c_attn]", c.TargetModules)
	}
}

func TestParseConfigRefusals(t *testing.T) {
	base := `"peft_type": "LORA", "r": 4, "target_modules": ["c_attn"]`
	cases := []struct{ extra, field string }{
		{`"use_dora": true`, "use_dora"},
		{`"bias": "all"`, "bias"},
		{`"bias": "lora_only"`, "bias"},
		{`"modules_to_save": ["lm_head"]`, "modules_to_save"},
		{`"lora_bias": true`, "lora_bias"},
		{`"target_parameters": ["mlp.experts.weight"]`, "target_parameters"},
		{`"trainable_token_indices": [1, 2]`, "trainable_token_indices"},
		{`"layer_replication": [[0, 2]]`, "layer_replication"},
		{`"use_qalora": true`, "use_qalora"},
		{`"alora_invocation_tokens": [5]`, "alora_invocation_tokens"},
		{`"init_lora_weights": "pissa_niter_4"`, "init_lora_weights"},
		{`"init_lora_weights": "olora"`, "init_lora_weights"},
		{`"init_lora_weights": "loftq"`, "init_lora_weights"},
		{`"r": 0`, "r"},
		{`"r": 2.5`, "r"},
		{`"r": "8"`, "r"},
		{`"lora_alpha": "x"`, "lora_alpha"},
		{`"target_modules": 7`, "target_modules"},
		{`"target_modules": "(?<=x)c_attn"`, "target_modules"},
		{`"rank_pattern": {"c_attn": 0}`, "rank_pattern"},
		{`"rank_pattern": {"c_attn": 2, "c_attn": 3}`, "rank_pattern"},
		{`"rank_pattern": {"(?!x)": 2}`, "rank_pattern"},
		{`"alpha_pattern": [1]`, "alpha_pattern"},
		{`"layers_pattern": "h"`, "layers_pattern"},
		{`"layers_to_transform": [0.5]`, "layers_to_transform"},
	}
	for _, c := range cases {
		_, err := ParseConfig([]byte("{" + base + ", " + c.extra + "}"))
		if err == nil {
			t.Errorf("%s: accepted", c.extra)
			continue
		}
		if !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: error %q does not name %s", c.extra, err, c.field)
		}
	}
	// Regex target with layers_to_transform, as PEFT refuses.
	if _, err := ParseConfig([]byte(`{"peft_type": "LORA", "target_modules": ".*c_attn", "layers_to_transform": [0]}`)); err == nil {
		t.Error("regex target with layers_to_transform accepted")
	}
	for _, js := range []string{``, `[]`, `null`, `{"r": 8}`, `{"peft_type": "IA3"}`, `{"peft_type": "LORA", "r": 100000}`} {
		if _, err := ParseConfig([]byte(js)); err == nil {
			t.Errorf("%q accepted", js)
		}
	}
}

func TestParseConfigHarmlessValues(t *testing.T) {
	// Default-valued fields that would change the maths if set are fine.
	mustParse(t, `{"peft_type": "LORA", "use_dora": false, "bias": "none", "modules_to_save": [],
	  "lora_bias": false, "target_parameters": null, "trainable_token_indices": null,
	  "init_lora_weights": "gaussian", "layers_to_transform": [], "exclude_modules": null}`)
}

func TestTargetMatching(t *testing.T) {
	list := mustParse(t, `{"peft_type": "LORA", "target_modules": ["c_proj"]}`)
	attn := mustParse(t, `{"peft_type": "LORA", "target_modules": ["attn"]}`)
	exact := mustParse(t, `{"peft_type": "LORA", "target_modules": ["transformer.h.1.mlp.c_fc"]}`)
	re := mustParse(t, `{"peft_type": "LORA", "target_modules": "transformer\\.h\\.[01]\\.attn\\.c_(attn|proj)"}`)
	partial := mustParse(t, `{"peft_type": "LORA", "target_modules": "c_attn"}`)
	all := mustParse(t, `{"peft_type": "LORA", "target_modules": "ALL-LINEAR"}`)
	layers := mustParse(t, `{"peft_type": "LORA", "target_modules": ["c_fc"], "layers_to_transform": 1}`)
	layersPat := mustParse(t, `{"peft_type": "LORA", "target_modules": ["c_fc"], "layers_to_transform": [0], "layers_pattern": "blocks"}`)
	excl := mustParse(t, `{"peft_type": "LORA", "target_modules": ["c_attn", "c_proj"], "exclude_modules": ["mlp.c_proj"]}`)
	cases := []struct {
		c    Config
		name string
		want bool
	}{
		{list, "transformer.h.0.attn.c_proj", true},
		{list, "transformer.h.0.mlp.c_proj", true},
		{list, "transformer.h.0.attn.c_attn", false},
		{list, "c_proj", true},
		{list, "transformer.h.0.attn.xc_proj", false},
		{attn, "transformer.h.0.attn.c_attn", false},
		{attn, "transformer.h.0.attn", true},
		{exact, "transformer.h.1.mlp.c_fc", true},
		{exact, "transformer.h.0.mlp.c_fc", false},
		{re, "transformer.h.0.attn.c_attn", true},
		{re, "transformer.h.1.attn.c_proj", true},
		{re, "transformer.h.2.attn.c_attn", false},
		{re, "xtransformer.h.0.attn.c_attn", false},
		{partial, "transformer.h.0.attn.c_attn", false}, // fullmatch, not search
		{partial, "c_attn", true},
		{all, "transformer.h.3.mlp.c_fc", true},
		{all, "lm_head", false},
		{all, "transformer.wte", false},
		{layers, "transformer.h.1.mlp.c_fc", true},
		{layers, "transformer.h.0.mlp.c_fc", false},
		{layers, "h.1.mlp.c_fc", false}, // PEFT's default layer regex needs a "." before the container
		{layersPat, "transformer.h.0.mlp.c_fc", false},
		{layersPat, "model.blocks.0.mlp.c_fc", true},
		{excl, "transformer.h.0.attn.c_proj", true},
		{excl, "transformer.h.0.mlp.c_proj", false},
		{excl, "transformer.h.0.attn.c_attn", true},
	}
	for _, c := range cases {
		if got := c.c.Targets(c.name); got != c.want {
			t.Errorf("target_modules %s, layers %v: Targets(%q) = %v, want %v", c.c.TargetModules, c.c.LayersToTransform, c.name, got, c.want)
		}
	}
}

func TestRankAlphaPatterns(t *testing.T) {
	c := mustParse(t, `{"peft_type": "LORA", "r": 8, "lora_alpha": 16, "target_modules": ["c_attn", "c_fc"],
	  "rank_pattern": {"h.1.attn.c_attn": 2, "c_attn": 4, "h\\.0\\..*": 6},
	  "alpha_pattern": {"mlp.c_fc": 3.5}}`)
	cases := []struct {
		name  string
		r     int
		alpha float64
	}{
		{"transformer.h.1.attn.c_attn", 2, 16}, // first key in file order wins
		{"transformer.h.0.attn.c_attn", 4, 16}, // "c_attn" comes before "h\.0\..*"
		{"transformer.h.0.mlp.c_fc", 6, 3.5},
		{"transformer.h.2.mlp.c_fc", 8, 3.5},
		{"c_attn", 4, 16},                   // (.*\.)? is optional: matches from the start
		{"transformer.h.2.x_c_attn", 8, 16}, // needs a "." boundary
	}
	for _, k := range cases {
		r, a := c.RankAlpha(k.name)
		if r != k.r || a != k.alpha {
			t.Errorf("RankAlpha(%q) = %d, %g; want %d, %g", k.name, r, a, k.r, k.alpha)
		}
	}
	if !slices.Equal(c.RankPatternKeys, []string{"h.1.attn.c_attn", "c_attn", `h\.0\..*`}) {
		t.Errorf("key order lost: %v", c.RankPatternKeys)
	}
}

func TestScaling(t *testing.T) {
	c := mustParse(t, `{"peft_type": "LORA"}`)
	if s := c.Scaling(4, 8); s != 2 {
		t.Errorf("alpha/r: %g", s)
	}
	c = mustParse(t, `{"peft_type": "LORA", "use_rslora": true}`)
	if s := c.Scaling(4, 8); s != 4 {
		t.Errorf("rslora alpha/sqrt(r): %g", s)
	}
	if s := c.Scaling(8, 16); math.Abs(s-16/math.Sqrt(8)) > 0 {
		t.Errorf("rslora: %g", s)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"peft_type": "LORA", "r": 8, "lora_alpha": 16, "target_modules": ["c_attn"]}`))
	f.Add([]byte(`{"peft_type": "LORA", "target_modules": "transformer\\.h\\.\\d+\\.attn\\.c_attn", "rank_pattern": {"c": 2}}`))
	f.Add([]byte(`{"peft_type": "LORA", "layers_to_transform": [0, 1], "layers_pattern": ["h"], "alpha_pattern": {"x": 1.5}}`))
	f.Add([]byte(`{"peft_type": "LORA", "use_dora": true}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		if c.PeftType != "LORA" || c.R < 1 || c.R > MaxRank || c.Bias != "none" {
			t.Fatalf("accepted invalid config %+v", c)
		}
		if math.IsNaN(c.LoraAlpha) || math.IsInf(c.LoraAlpha, 0) {
			t.Fatalf("non-finite alpha")
		}
		if len(c.RankPatternKeys) != len(c.RankPattern) || len(c.AlphaPatternKeys) != len(c.AlphaPattern) {
			t.Fatalf("pattern keys out of sync")
		}
		for _, n := range []string{"transformer.h.0.attn.c_attn", "h.1.mlp.c_proj", ""} {
			c.Targets(n)
			r, _ := c.RankAlpha(n)
			if r < 1 {
				t.Fatalf("rank %d", r)
			}
		}
	})
}
