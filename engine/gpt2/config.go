package gpt2

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// Activation function names accepted in config.json's activation_function.
// "gelu_new", "gelu_pytorch_tanh" and "gelu_fast" are the same function
// (the tanh approximation 0.5x(1+tanh(√(2/π)(x+0.044715x³)))) written three
// ways in Hugging Face; "gelu" is the exact erf form.
const (
	ActGELUNew         = "gelu_new"
	ActGELUPytorchTanh = "gelu_pytorch_tanh"
	ActGELUFast        = "gelu_fast"
	ActGELU            = "gelu"
)

// Caps on the configuration: far above any GPT-2-family model, low enough
// that every size product fits in an int and allocations stay bounded by the
// weights themselves.
const (
	MaxVocabSize  = 1 << 22
	MaxPositions  = 1 << 20
	MaxEmbd       = 1 << 16
	MaxLayers     = 1 << 10
	MaxInner      = 1 << 18
	maxConfigSize = 1 << 20
)

// Config is the part of a Hugging Face GPT-2 config.json that the forward
// pass depends on.
type Config struct {
	// VocabSize is the number of token ids (vocab_size).
	VocabSize int
	// NPositions is the maximum sequence length (n_positions).
	NPositions int
	// NEmbd is the model width (n_embd).
	NEmbd int
	// NLayer is the number of transformer blocks (n_layer).
	NLayer int
	// NHead is the number of attention heads; it divides NEmbd (n_head).
	NHead int
	// NInner is the MLP's hidden width (n_inner; null means 4·NEmbd).
	NInner int
	// LayerNormEpsilon is added to the variance in every layer norm
	// (layer_norm_epsilon; absent means 1e-5, Hugging Face's default).
	LayerNormEpsilon float64
	// Activation is the MLP's activation (activation_function; absent means
	// "gelu_new"): one of the Act* constants.
	Activation string
	// ScaleAttnByInverseLayerIdx additionally divides block i's attention
	// scores by i+1 (scale_attn_by_inverse_layer_idx; default false).
	ScaleAttnByInverseLayerIdx bool
}

// HeadDim is NEmbd / NHead.
func (c Config) HeadDim() int {
	if c.NHead <= 0 {
		return 0
	}
	return c.NEmbd / c.NHead
}

// Validate checks every field; the error names the config.json field.
func (c Config) Validate() error {
	for _, f := range []struct {
		name   string
		v, cap int
	}{
		{"vocab_size", c.VocabSize, MaxVocabSize},
		{"n_positions", c.NPositions, MaxPositions},
		{"n_embd", c.NEmbd, MaxEmbd},
		{"n_layer", c.NLayer, MaxLayers},
		{"n_head", c.NHead, MaxEmbd},
		{"n_inner", c.NInner, MaxInner},
	} {
		if f.v <= 0 {
			return fmt.Errorf("gpt2: config: %s = %d, must be positive", f.name, f.v)
		}
		if f.v > f.cap {
			return fmt.Errorf("gpt2: config: %s = %d exceeds the supported maximum %d", f.name, f.v, f.cap)
		}
	}
	if c.NEmbd%c.NHead != 0 {
		return fmt.Errorf("gpt2: config: n_embd = %d is not a multiple of n_head = %d", c.NEmbd, c.NHead)
	}
	if e := c.LayerNormEpsilon; !(e > 0 && e <= 1) || math.IsInf(e, 0) {
		return fmt.Errorf("gpt2: config: layer_norm_epsilon = %g, must be in (0, 1]", e)
	}
	switch c.Activation {
	case ActGELUNew, ActGELUPytorchTanh, ActGELUFast, ActGELU:
	default:
		return fmt.Errorf("gpt2: config: activation_function %q is not supported (want %q, %q, %q or %q)",
			c.Activation, ActGELUNew, ActGELUPytorchTanh, ActGELUFast, ActGELU)
	}
	return nil
}

// rawConfig mirrors config.json; pointers tell absent fields from zeros.
type rawConfig struct {
	ModelType                  *string  `json:"model_type"`
	VocabSize                  *int     `json:"vocab_size"`
	NPositions                 *int     `json:"n_positions"`
	NEmbd                      *int     `json:"n_embd"`
	NLayer                     *int     `json:"n_layer"`
	NHead                      *int     `json:"n_head"`
	NInner                     *int     `json:"n_inner"`
	LayerNormEpsilon           *float64 `json:"layer_norm_epsilon"`
	ActivationFunction         *string  `json:"activation_function"`
	ScaleAttnWeights           *bool    `json:"scale_attn_weights"`
	ScaleAttnByInverseLayerIdx *bool    `json:"scale_attn_by_inverse_layer_idx"`
	TieWordEmbeddings          *bool    `json:"tie_word_embeddings"`
	AddCrossAttention          *bool    `json:"add_cross_attention"`
}

// ParseConfig parses a Hugging Face config.json of a GPT-2 model.
//
// model_type must be "gpt2". vocab_size, n_positions, n_embd, n_layer and
// n_head are required (a guess would only fail later against the weights);
// n_inner may be absent or null (4·n_embd), layer_norm_epsilon and
// activation_function default to Hugging Face's 1e-5 and "gelu_new". Settings
// that change the architecture in ways this package does not implement
// (scale_attn_weights false, tie_word_embeddings false, add_cross_attention
// true) are refused. Other keys are ignored. Errors name the offending field.
func ParseConfig(data []byte) (Config, error) {
	if len(data) > maxConfigSize {
		return Config{}, fmt.Errorf("gpt2: config: %d bytes exceeds the %d-byte limit", len(data), maxConfigSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw rawConfig
	if err := dec.Decode(&raw); err != nil {
		return Config{}, fmt.Errorf("gpt2: config: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Config{}, errors.New("gpt2: config: trailing data after the JSON object")
	}
	if raw.ModelType == nil {
		return Config{}, errors.New("gpt2: config: model_type is missing")
	}
	if *raw.ModelType != "gpt2" {
		return Config{}, fmt.Errorf("gpt2: config: model_type is %q, want \"gpt2\"", *raw.ModelType)
	}
	req := func(name string, p *int) (int, error) {
		if p == nil {
			return 0, fmt.Errorf("gpt2: config: %s is missing", name)
		}
		return *p, nil
	}
	var c Config
	var err error
	if c.VocabSize, err = req("vocab_size", raw.VocabSize); err != nil {
		return Config{}, err
	}
	if c.NPositions, err = req("n_positions", raw.NPositions); err != nil {
		return Config{}, err
	}
	if c.NEmbd, err = req("n_embd", raw.NEmbd); err != nil {
		return Config{}, err
	}
	if c.NLayer, err = req("n_layer", raw.NLayer); err != nil {
		return Config{}, err
	}
	if c.NHead, err = req("n_head", raw.NHead); err != nil {
		return Config{}, err
	}
	c.NInner = 4 * c.NEmbd
	if raw.NInner != nil {
		c.NInner = *raw.NInner
	}
	c.LayerNormEpsilon = 1e-5
	if raw.LayerNormEpsilon != nil {
		c.LayerNormEpsilon = *raw.LayerNormEpsilon
	}
	c.Activation = ActGELUNew
	if raw.ActivationFunction != nil {
		c.Activation = *raw.ActivationFunction
	}
	if raw.ScaleAttnWeights != nil && !*raw.ScaleAttnWeights {
		return Config{}, errors.New("gpt2: config: scale_attn_weights = false is not supported")
	}
	if raw.TieWordEmbeddings != nil && !*raw.TieWordEmbeddings {
		return Config{}, errors.New("gpt2: config: tie_word_embeddings = false is not supported")
	}
	if raw.AddCrossAttention != nil && *raw.AddCrossAttention {
		return Config{}, errors.New("gpt2: config: add_cross_attention = true is not supported")
	}
	if raw.ScaleAttnByInverseLayerIdx != nil {
		c.ScaleAttnByInverseLayerIdx = *raw.ScaleAttnByInverseLayerIdx
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// LoadConfig reads and parses a config.json file.
func LoadConfig(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("gpt2: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return Config{}, fmt.Errorf("gpt2: reading %s: %w", path, err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("%w (in %s)", err, path)
	}
	return c, nil
}
