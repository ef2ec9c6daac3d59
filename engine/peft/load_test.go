package peft

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zklora/zklora/engine/gpt2"
	"github.com/zklora/zklora/engine/safetensors"
)

func tinyGPT2() gpt2.Config {
	return gpt2.Config{VocabSize: 50, NPositions: 16, NEmbd: 8, NLayer: 2, NHead: 2, NInner: 32, LayerNormEpsilon: 1e-5, Activation: gpt2.ActGELUNew}
}

func TestCandidatesAgreeWithGPT2(t *testing.T) {
	cfg := tinyGPT2()
	var names []string
	for i, c := range dimsOf(cfg).conv1Ds() {
		names = append(names, c.Name)
		d, o := cfg.ModuleShape(i % 4)
		if c.D != d || c.O != o {
			t.Fatalf("%s: %dx%d, gpt2 says %dx%d", c.Name, c.D, c.O, d, o)
		}
	}
	if !slices.Equal(names, gpt2.ModuleNames(cfg)) {
		t.Fatalf("candidates %v differ from gpt2.ModuleNames %v", names, gpt2.ModuleNames(cfg))
	}
}

// writeAdapter writes an adapter directory with the given config and
// tensors (lora_B in F16, to exercise the conversion).
func writeAdapter(t *testing.T, cfgJSON string, src memSource) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), []byte(cfgJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	var ts []safetensors.Tensor
	for _, n := range src.Names() {
		if strings.Contains(n, "lora_B") {
			ts = append(ts, safetensors.F16(n, src[n].shape, src[n].data))
		} else {
			ts = append(ts, safetensors.F32(n, src[n].shape, src[n].data))
		}
	}
	if err := safetensors.WriteFile(filepath.Join(dir, WeightsFile), ts, safetensors.DefaultMetadata()); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadFromDisk(t *testing.T) {
	cfg := tinyGPT2()
	src := source(dimsOf(cfg), "base_model.model.transformer.", 4, attnC...)
	dir := writeAdapter(t, `{"peft_type": "LORA", "r": 4, "lora_alpha": 16, "target_modules": ["c_attn", "attn.c_proj"]}`, src)
	ad, err := Load(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ad.Names(), attnC) || ad.Modules[attnC[0]].Scaling != 4 {
		t.Fatalf("loaded %v", ad.Names())
	}
	m := ad.Modules["transformer.h.1.attn.c_proj"]
	if !slices.Equal(m.A, src["base_model.model.transformer.h.1.attn.c_proj.lora_A.weight"].data) {
		t.Fatal("lora_A values changed on the way")
	}

	// Errors carry the directory and a reason.
	if _, err := Load(t.TempDir(), cfg); err == nil {
		t.Fatal("empty directory accepted")
	}
	bin := t.TempDir()
	os.WriteFile(filepath.Join(bin, ConfigFile), []byte(`{"peft_type": "LORA"}`), 0o644)
	os.WriteFile(filepath.Join(bin, "adapter_model.bin"), []byte("x"), 0o644)
	if _, err := Load(bin, cfg); err == nil || !strings.Contains(err.Error(), "pickle") {
		t.Fatalf("adapter_model.bin only: %v", err)
	}
	other := cfg
	other.NEmbd = 16
	if _, err := Load(dir, other); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Fatalf("wrong base width: %v", err)
	}
}
