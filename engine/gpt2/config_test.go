package gpt2

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const distilConfig = `{
  "_num_labels": 1,
  "activation_function": "gelu_new",
  "architectures": ["GPT2LMHeadModel"],
  "attn_pdrop": 0.1,
  "bos_token_id": 50256,
  "embd_pdrop": 0.1,
  "eos_token_id": 50256,
  "initializer_range": 0.02,
  "layer_norm_epsilon": 1e-05,
  "model_type": "gpt2",
  "n_ctx": 1024,
  "n_embd": 768,
  "n_head": 12,
  "n_inner": null,
  "n_layer": 6,
  "n_positions": 1024,
  "resid_pdrop": 0.1,
  "summary_activation": null,
  "vocab_size": 50257
}`

func TestParseConfigDistilGPT2(t *testing.T) {
	c, err := ParseConfig([]byte(distilConfig))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{VocabSize: 50257, NPositions: 1024, NEmbd: 768, NLayer: 6, NHead: 12, NInner: 3072,
		LayerNormEpsilon: 1e-5, Activation: ActGELUNew}
	if c != want {
		t.Errorf("got %+v, want %+v", c, want)
	}
	if c.HeadDim() != 64 || len(ModuleNames(c)) != 24 {
		t.Errorf("HeadDim %d, %d modules", c.HeadDim(), len(ModuleNames(c)))
	}
	// distilgpt2 has 81,912,576 parameters (GPT2LMHeadModel, tied head).
	if c.NumParams() != 81912576 {
		t.Errorf("NumParams = %d", c.NumParams())
	}
}

func TestParseConfigDefaultsAndVariants(t *testing.T) {
	base := `{"model_type":"gpt2","vocab_size":10,"n_positions":8,"n_embd":8,"n_layer":1,"n_head":2`
	for _, tc := range []struct {
		extra string
		check func(Config) bool
	}{
		{``, func(c Config) bool {
			return c.NInner == 32 && c.LayerNormEpsilon == 1e-5 && c.Activation == ActGELUNew
		}},
		{`,"n_inner":12`, func(c Config) bool { return c.NInner == 12 }},
		{`,"n_inner":null`, func(c Config) bool { return c.NInner == 32 }},
		{`,"activation_function":"gelu_pytorch_tanh"`, func(c Config) bool { return c.Activation == ActGELUPytorchTanh }},
		{`,"activation_function":"gelu"`, func(c Config) bool { return c.Activation == ActGELU }},
		{`,"layer_norm_epsilon":1e-3`, func(c Config) bool { return c.LayerNormEpsilon == 1e-3 }},
		{`,"scale_attn_by_inverse_layer_idx":true,"scale_attn_weights":true,"tie_word_embeddings":true`,
			func(c Config) bool { return c.ScaleAttnByInverseLayerIdx }},
	} {
		c, err := ParseConfig([]byte(base + tc.extra + `}`))
		if err != nil {
			t.Errorf("%s: %v", tc.extra, err)
			continue
		}
		if !tc.check(c) {
			t.Errorf("%s: got %+v", tc.extra, c)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, tc := range []struct{ json, want string }{
		{`{"vocab_size":10,"n_positions":8,"n_embd":8,"n_layer":1,"n_head":2}`, "model_type"},
		{`{"model_type":"llama","vocab_size":10,"n_positions":8,"n_embd":8,"n_layer":1,"n_head":2}`, "model_type"},
		{`{"model_type":"gpt2","n_positions":8,"n_embd":8,"n_layer":1,"n_head":2}`, "vocab_size"},
		{`{"model_type":"gpt2","vocab_size":10,"n_embd":8,"n_layer":1,"n_head":2}`, "n_positions"},
		{`{"model_type":"gpt2","vocab_size":10,"n_positions":8,"n_layer":1,"n_head":2}`, "n_embd"},
		{`{"model_type":"gpt2","vocab_size":10,"n_positions":8,"n_embd":8,"n_head":2}`, "n_layer"},
		{`{"model_type":"gpt2","vocab_size":10,"n_positions":8,"n_embd":8,"n_layer":1}`, "n_head"},
		{`{"model_type":"gpt2","vocab_size":10,"n_positions":8,"n_embd":8,"n_layer":1,"n_head":3}`, "n_head"},
		{`{"model_type":"gpt2","vocab_size":0,"n_positions":8,"n_embd":8,"n_layer":1,"n_head":2}`, "vocab_size"},
		{`{"model_type":"gpt2","vocab_size":10,"n_positions":-8,"n_embd":8,"n_layer":1,"n_head":2}`, "n_positions"},
		{`{"model_type":"gpt2","vocab_size":10,"n_positions":8,"n_embd":8,"n_layer":1,"n_head":2,"n_inner":0}`, "n_inner"},
		{`{"model_type":"gpt2","vocab_size":10,"n_positions":8,"n_embd":8,"n_layer":100000,"n_head":2}`, "n_layer"},
		{`{"model_type":"gpt2","vocab_size":10,"n_positions":8,"n_embd":8,"n_layer":1,"n_head":2,"layer_norm_epsilon":0}`, "layer_norm_epsilon"},
		{`{"model_type":"gpt2","vocab_size":10,"n_positions":8,"n_embd":8,"n_layer":1,"n_head":2,"activation_function":"relu"}`, "activation_function"},
		{`{"model_type":"gpt2","vocab_size":10,"n_positions":8,"n_embd":8,"n_layer":1,"n_head":2,"scale_attn_weights":false}`, "scale_attn_weights"},
		{`{"model_type":"gpt2","vocab_size":10,"n_positions":8,"n_embd":8,"n_layer":1,"n_head":2,"tie_word_embeddings":false}`, "tie_word_embeddings"},
		{`{"model_type":"gpt2","vocab_size":10,"n_positions":8,"n_embd":8,"n_layer":1,"n_head":2,"add_cross_attention":true}`, "add_cross_attention"},
		{`{"model_type":"gpt2","vocab_size":"10","n_positions":8,"n_embd":8,"n_layer":1,"n_head":2}`, "vocab_size"},
		{`{"model_type":"gpt2","vocab_size":10.5,"n_positions":8,"n_embd":8,"n_layer":1,"n_head":2}`, "vocab_size"},
		{`{"model_type":"gpt2","vocab_size":10,"n_positions":8,"n_embd":8,"n_layer":1,"n_head":2} {}`, "trailing"},
		{`[]`, "config"},
		{``, "config"},
	} {
		_, err := ParseConfig([]byte(tc.json))
		if err == nil {
			t.Errorf("%s: no error", tc.json)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q does not name %q", tc.json, err, tc.want)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "config.json")
	if err := os.WriteFile(p, []byte(distilConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := LoadConfig(p); err != nil || c.NLayer != 6 {
		t.Errorf("LoadConfig: %+v, %v", c, err)
	}
	if _, err := LoadConfig(filepath.Join(dir, "absent.json")); err == nil {
		t.Error("LoadConfig of a missing file: no error")
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(distilConfig))
	f.Add([]byte(`{"model_type":"gpt2","vocab_size":10,"n_positions":8,"n_embd":8,"n_layer":1,"n_head":2,"n_inner":null}`))
	f.Add([]byte(`{"model_type":"gpt2","vocab_size":1e9}`))
	f.Add([]byte(`{"n_embd":-1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("ParseConfig accepted an invalid config: %v", err)
		}
		if c.NEmbd%c.NHead != 0 || c.NInner <= 0 || c.NumParams() <= 0 {
			t.Fatalf("inconsistent config %+v", c)
		}
		if len(ModuleNames(c)) != 4*c.NLayer {
			t.Fatalf("ModuleNames: %d names for %d layers", len(ModuleNames(c)), c.NLayer)
		}
	})
}
