package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// TestFixtureAndModelCommands runs issue 3's CLI on the tiny fixture:
// fixture writes the Hugging Face and PEFT files, model points lists the
// injection points, model loss reports loss and tokens (the base model,
// the float LoRA and the quantized LoRA, the last two within 1e-3 of each
// other and different from the base), and model generate extends a prompt.
func TestFixtureAndModelCommands(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := runCLI(t, "fixture", "--preset", "tiny", "--seed", "1", "--out", dir); code != 0 {
		t.Fatalf("fixture: exit %d: %s", code, errs)
	}
	base, adapter := filepath.Join(dir, "base"), filepath.Join(dir, "adapter")

	code, out, errs := runCLI(t, "model", "points", "--base", base, "--adapter", adapter, "--json")
	if code != 0 {
		t.Fatalf("points: exit %d: %s", code, errs)
	}
	var pts []map[string]any
	if err := json.Unmarshal([]byte(out), &pts); err != nil {
		t.Fatalf("points JSON: %v\n%s", err, out)
	}
	if len(pts) != 6 { // 2 layers × (attn.c_attn, attn.c_proj, mlp.c_proj): "c_proj" matches both
		t.Fatalf("%d points, want 6: %s", len(pts), out)
	}
	for _, p := range pts {
		name, _ := p["name"].(string)
		if !strings.HasSuffix(name, ".c_attn") && !strings.HasSuffix(name, ".c_proj") {
			t.Errorf("unexpected point %q", name)
		}
		for _, k := range []string{"d", "r", "o", "scaling"} {
			if _, ok := p[k]; !ok {
				t.Errorf("point %q lacks %q", name, k)
			}
		}
	}

	text := "The quick brown fox jumps over the lazy dog."
	loss := func(args ...string) (float64, float64) {
		t.Helper()
		code, out, errs := runCLI(t, append([]string{"model", "loss", "--base", base, "--text", text, "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("loss %v: exit %d: %s", args, code, errs)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("loss JSON: %v\n%s", err, out)
		}
		l, ok1 := m["loss"].(float64)
		n, ok2 := m["tokens"].(float64)
		if !ok1 || !ok2 {
			t.Fatalf("loss JSON lacks loss or tokens: %s", out)
		}
		return l, n
	}
	lb, n := loss()
	lf, _ := loss("--adapter", adapter, "--lora", "float")
	lq, _ := loss("--adapter", adapter, "--lora", "quantized")
	if n < 2 || math.IsNaN(lb) || lb <= 0 {
		t.Fatalf("base loss %v over %v tokens", lb, n)
	}
	if lf == lb {
		t.Errorf("the adapter changed nothing: base %v float %v", lb, lf)
	}
	if math.Abs(lq-lf) > 1e-3*math.Abs(lf) {
		t.Errorf("quantized %v vs float %v: beyond 1e-3 relative", lq, lf)
	}

	code, out, errs = runCLI(t, "model", "generate", "--base", base, "--adapter", adapter, "--prompt", "Hello", "-n", "3", "--json")
	if code != 0 {
		t.Fatalf("generate: exit %d: %s", code, errs)
	}
	var g struct {
		Tokens       []int `json:"tokens"`
		PromptTokens int   `json:"prompt_tokens"`
	}
	if err := json.Unmarshal([]byte(out), &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Tokens) != g.PromptTokens+3 {
		t.Fatalf("generate gave %d tokens after a %d-token prompt, want +3", len(g.Tokens), g.PromptTokens)
	}

	// Bad input: a missing directory and an unknown preset are one-line errors.
	for _, args := range [][]string{
		{"model", "loss", "--base", filepath.Join(dir, "none"), "--text", text},
		{"fixture", "--preset", "huge", "--out", t.TempDir()},
	} {
		code, _, errs := runCLI(t, args...)
		if code == 0 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d, error %q", args, code, errs)
		}
	}
}
