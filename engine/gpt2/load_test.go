package gpt2

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zklora/zklora/engine/safetensors"
)

// configJSON renders cfg as a Hugging Face config.json.
func configJSON(t *testing.T, cfg Config) []byte {
	t.Helper()
	data, err := json.Marshal(map[string]any{
		"model_type": "gpt2", "vocab_size": cfg.VocabSize, "n_positions": cfg.NPositions,
		"n_embd": cfg.NEmbd, "n_layer": cfg.NLayer, "n_head": cfg.NHead, "n_inner": cfg.NInner,
		"layer_norm_epsilon": cfg.LayerNormEpsilon, "activation_function": cfg.Activation,
	})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// writeModel writes DIR/config.json and DIR/model.safetensors. rename maps a
// stored name to the name written ("" drops it); dtype is every tensor's
// dtype; extra tensors are appended as given.
func writeModel(t *testing.T, cfg Config, ts map[string]Tensor, rename func(string) string,
	dtype safetensors.DType, extra ...safetensors.Tensor) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), configJSON(t, cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var out []safetensors.Tensor
	for _, name := range sortedKeys(ts) {
		written := name
		if rename != nil {
			if written = rename(name); written == "" {
				continue
			}
		}
		st, err := safetensors.FromFloat32(written, dtype, ts[name].Shape, ts[name].Data)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, st)
	}
	out = append(out, extra...)
	if err := safetensors.WriteFile(filepath.Join(dir, "model.safetensors"), out, safetensors.DefaultMetadata()); err != nil {
		t.Fatal(err)
	}
	return dir
}

func stripPrefix(name string) string { return strings.TrimPrefix(name, "transformer.") }

func TestLoadPrefixesAndLegacyBuffers(t *testing.T) {
	cfg := tinyConfig()
	ts := randomTensors(cfg, 21)
	mem, err := New(cfg, ts)
	if err != nil {
		t.Fatal(err)
	}
	toks := []int{0, 7, 3, 52, 11}
	want, err := mem.Logits(toks)
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.NPositions
	mask := make([]float32, p*p)
	legacy := []safetensors.Tensor{
		safetensors.F32("h.0.attn.bias", []int{1, 1, p, p}, mask),
		safetensors.F32("h.1.attn.bias", []int{1, 1, p, p}, mask),
		safetensors.F32("h.0.attn.masked_bias", []int{}, []float32{-1e4}),
		safetensors.F32("h.1.attn.masked_bias", []int{}, []float32{-1e4}),
	}
	legacyPrefixed := []safetensors.Tensor{
		safetensors.F32("transformer.h.0.attn.bias", []int{1, 1, p, p}, mask),
		safetensors.F32("transformer.h.1.attn.masked_bias", []int{}, []float32{-1e4}),
		safetensors.F32("lm_head.weight", []int{cfg.VocabSize, cfg.NEmbd}, ts["transformer.wte.weight"].Data),
	}
	for name, dir := range map[string]string{
		"prefixed":                  writeModel(t, cfg, ts, nil, safetensors.DTypeF32),
		"no prefix":                 writeModel(t, cfg, ts, stripPrefix, safetensors.DTypeF32),
		"no prefix, legacy":         writeModel(t, cfg, ts, stripPrefix, safetensors.DTypeF32, legacy...),
		"prefixed, legacy, lm_head": writeModel(t, cfg, ts, nil, safetensors.DTypeF32, legacyPrefixed...),
	} {
		m, err := Load(dir)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got, err := m.Logits(toks)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: logits differ from the in-memory model", name)
		}
		if m.Config() != cfg {
			t.Errorf("%s: config %+v", name, m.Config())
		}
	}
}

func TestLoadHalfPrecision(t *testing.T) {
	cfg := tinyConfig()
	ts := randomTensors(cfg, 22)
	toks := []int{1, 2, 3, 4, 5, 6}
	for _, dt := range []safetensors.DType{safetensors.DTypeF16, safetensors.DTypeBF16} {
		// The reference is the in-memory model built from the same values
		// rounded to dt.
		rounded := make(map[string]Tensor, len(ts))
		for name, tensor := range ts {
			d := make([]float32, len(tensor.Data))
			for i, v := range tensor.Data {
				if dt == safetensors.DTypeF16 {
					d[i] = safetensors.F16ToFloat32(safetensors.Float32ToF16(v))
				} else {
					d[i] = safetensors.BF16ToFloat32(safetensors.Float32ToBF16(v))
				}
			}
			rounded[name] = Tensor{Shape: tensor.Shape, Data: d}
		}
		mem, err := New(cfg, rounded)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := mem.Logits(toks)
		m, err := Load(writeModel(t, cfg, ts, nil, dt))
		if err != nil {
			t.Fatalf("%s: %v", dt, err)
		}
		got, err := m.Logits(toks)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: logits differ from the rounded in-memory model", dt)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	cfg := tinyConfig()
	ts := randomTensors(cfg, 23)
	bad := func(name string, shape []int) map[string]Tensor {
		c := make(map[string]Tensor, len(ts))
		for k, v := range ts {
			c[k] = v
		}
		c[name] = Tensor{Shape: shape, Data: make([]float32, numel(shape))}
		return c
	}
	drop := func(target string) func(string) string {
		return func(name string) string {
			if name == target {
				return ""
			}
			return name
		}
	}
	for _, tc := range []struct {
		name, dir, want string
	}{
		{"wrong c_fc shape", writeModel(t, cfg, bad("transformer.h.1.mlp.c_fc.weight", []int{cfg.NInner, cfg.NEmbd}), nil, safetensors.DTypeF32), "transformer.h.1.mlp.c_fc.weight"},
		{"wrong wte shape", writeModel(t, cfg, bad("transformer.wte.weight", []int{cfg.VocabSize + 1, cfg.NEmbd}), nil, safetensors.DTypeF32), "transformer.wte.weight"},
		{"wrong bias rank", writeModel(t, cfg, bad("transformer.ln_f.bias", []int{1, cfg.NEmbd}), nil, safetensors.DTypeF32), "transformer.ln_f.bias"},
		{"missing tensor", writeModel(t, cfg, ts, drop("transformer.h.0.ln_2.bias"), safetensors.DTypeF32), "h.0.ln_2.bias"},
		{"extra layer", writeModel(t, cfg, bad("transformer.h.2.ln_1.bias", []int{cfg.NEmbd}), nil, safetensors.DTypeF32), "transformer.h.2.ln_1.bias"},
		{"unknown tensor", writeModel(t, cfg, ts, nil, safetensors.DTypeF32,
			safetensors.F32("transformer.h.0.attn.c_attn.lora_A.weight", []int{2, cfg.NEmbd}, make([]float32, 2*cfg.NEmbd))), "lora_A"},
		{"wrong lm_head", writeModel(t, cfg, ts, nil, safetensors.DTypeF32,
			safetensors.F32("lm_head.weight", []int{cfg.NEmbd, cfg.VocabSize}, make([]float32, cfg.NEmbd*cfg.VocabSize))), "lm_head.weight"},
		{"duplicate prefix", writeModel(t, cfg, ts, nil, safetensors.DTypeF32,
			safetensors.F32("ln_f.bias", []int{cfg.NEmbd}, make([]float32, cfg.NEmbd))), "ln_f.bias"},
		{"integer dtype", writeModel(t, cfg, ts, drop("transformer.ln_f.bias"), safetensors.DTypeF32,
			safetensors.Tensor{Name: "transformer.ln_f.bias", DType: safetensors.DTypeI32, Shape: []int{cfg.NEmbd}, Data: make([]byte, 4*cfg.NEmbd)}), "ln_f.bias"},
		{"no such directory", filepath.Join(t.TempDir(), "absent"), "config.json"},
	} {
		_, err := Load(tc.dir)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q does not name %q", tc.name, err, tc.want)
		}
	}
	// A config.json with no weights beside it.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), configJSON(t, cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "model.safetensors") {
		t.Errorf("missing weights: %v", err)
	}
}

func TestNewErrors(t *testing.T) {
	cfg := tinyConfig()
	ts := randomTensors(cfg, 24)
	short := make(map[string]Tensor, len(ts))
	for k, v := range ts {
		short[k] = v
	}
	w := ts["transformer.h.0.attn.c_proj.weight"]
	short["transformer.h.0.attn.c_proj.weight"] = Tensor{Shape: w.Shape, Data: w.Data[:len(w.Data)-1]}
	if _, err := New(cfg, short); err == nil || !strings.Contains(err.Error(), "h.0.attn.c_proj.weight") {
		t.Errorf("short data: %v", err)
	}
	bad := cfg
	bad.NHead = 3
	if _, err := New(bad, ts); err == nil {
		t.Error("invalid config: no error")
	}
}
