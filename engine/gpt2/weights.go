package gpt2

import (
	"fmt"
	"slices"
	"strings"
)

// Tensor is one named float32 weight handed to New: row-major data and its
// shape.
type Tensor struct {
	// Shape is the tensor's dimensions.
	Shape []int
	// Data holds product(Shape) values in row-major order.
	Data []float32
}

// weights are a model's parameters, shared read-only by every Model made
// from them (WithHook).
type weights struct {
	wte, wpe   []float32 // [V,n], [P,n]
	blocks     []block
	lnfG, lnfB []float32
}

// block holds one transformer block's parameters. Conv1D weights are
// [in, out] row-major, so y = x·W + b.
type block struct {
	ln1G, ln1B     []float32
	attnW, attnB   []float32 // [n,3n], [3n]
	projW, projB   []float32 // [n,n], [n]
	ln2G, ln2B     []float32
	fcW, fcB       []float32 // [n,inner], [inner]
	mprojW, mprojB []float32 // [inner,n], [n]
}

// isLegacyBuffer reports whether a (prefix-stripped) name is one of the
// attention-mask buffers older checkpoints saved (h.N.attn.bias,
// h.N.attn.masked_bias); they are not parameters and are ignored.
func isLegacyBuffer(name string) bool {
	if !strings.HasPrefix(name, "h.") {
		return false
	}
	return strings.HasSuffix(name, ".attn.bias") || strings.HasSuffix(name, ".attn.masked_bias")
}

// expectedShapes lists every parameter the model needs, by its name without
// the "transformer." prefix, with its shape for cfg.
func expectedShapes(cfg Config) map[string][]int {
	n, v, p, inner := cfg.NEmbd, cfg.VocabSize, cfg.NPositions, cfg.NInner
	s := map[string][]int{
		"wte.weight":  {v, n},
		"wpe.weight":  {p, n},
		"ln_f.weight": {n},
		"ln_f.bias":   {n},
	}
	for i := 0; i < cfg.NLayer; i++ {
		h := fmt.Sprintf("h.%d.", i)
		s[h+"ln_1.weight"] = []int{n}
		s[h+"ln_1.bias"] = []int{n}
		s[h+"attn.c_attn.weight"] = []int{n, 3 * n}
		s[h+"attn.c_attn.bias"] = []int{3 * n}
		s[h+"attn.c_proj.weight"] = []int{n, n}
		s[h+"attn.c_proj.bias"] = []int{n}
		s[h+"ln_2.weight"] = []int{n}
		s[h+"ln_2.bias"] = []int{n}
		s[h+"mlp.c_fc.weight"] = []int{n, inner}
		s[h+"mlp.c_fc.bias"] = []int{inner}
		s[h+"mlp.c_proj.weight"] = []int{inner, n}
		s[h+"mlp.c_proj.bias"] = []int{n}
	}
	return s
}

// lmHeadName is the untied head's name; with tied embeddings (the only
// configuration supported) it is optional and, if present, must have wte's
// shape and is ignored, as Hugging Face ties it to wte on load.
const lmHeadName = "lm_head.weight"

// nameRole classifies a tensor name in a checkpoint. It returns the
// parameter key (without "transformer."), or skip for names that are
// accepted and ignored.
func nameRole(name string, cfg Config, want map[string][]int) (key string, skip bool, err error) {
	if name == lmHeadName {
		return "", true, nil
	}
	key = strings.TrimPrefix(name, "transformer.")
	if isLegacyBuffer(key) {
		return "", true, nil
	}
	if _, ok := want[key]; !ok {
		return "", false, fmt.Errorf("gpt2: unexpected tensor %q (not a parameter of a GPT-2 model with %d layers)", name, cfg.NLayer)
	}
	return key, false, nil
}

// checkShape compares a tensor's shape with the expected one.
func checkShape(name string, got, want []int) error {
	if !slices.Equal(got, want) {
		return fmt.Errorf("gpt2: tensor %q has shape %v, want %v", name, got, want)
	}
	return nil
}

// New builds a Model from cfg and float32 tensors keyed by their Hugging Face
// names, with or without the "transformer." prefix (GPT2LMHeadModel and
// GPT2Model state dicts). The legacy buffers h.N.attn.bias and
// h.N.attn.masked_bias are ignored; lm_head.weight is optional and, if
// present, must be [vocab_size, n_embd]; it is then ignored because GPT-2
// ties the head to wte (as Hugging Face does on load). Any other unknown
// name, a missing parameter, a name given both with and without the prefix,
// or a shape that does not match cfg is an error naming the tensor. The
// Model keeps the tensors' Data slices without copying: the caller must not
// modify them afterwards.
func New(cfg Config, tensors map[string]Tensor) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	want := expectedShapes(cfg)
	got := make(map[string][]float32, len(want))
	for _, name := range sortedKeys(tensors) {
		t := tensors[name]
		key, skip, err := nameRole(name, cfg, want)
		if err != nil {
			return nil, err
		}
		if name == lmHeadName {
			if err := checkShape(name, t.Shape, want["wte.weight"]); err != nil {
				return nil, err
			}
		}
		if skip {
			continue
		}
		if _, dup := got[key]; dup {
			return nil, fmt.Errorf("gpt2: tensor %q given both with and without the \"transformer.\" prefix", key)
		}
		if err := checkShape(name, t.Shape, want[key]); err != nil {
			return nil, err
		}
		if len(t.Data) != numel(t.Shape) {
			return nil, fmt.Errorf("gpt2: tensor %q has %d values for shape %v", name, len(t.Data), t.Shape)
		}
		got[key] = t.Data
	}
	return assemble(cfg, want, got)
}

// assemble checks that every parameter is present and builds the Model.
func assemble(cfg Config, want map[string][]int, got map[string][]float32) (*Model, error) {
	for _, key := range sortedKeys(want) {
		if _, ok := got[key]; !ok {
			return nil, fmt.Errorf("gpt2: missing tensor %q", "transformer."+key)
		}
	}
	w := &weights{
		wte: got["wte.weight"], wpe: got["wpe.weight"],
		lnfG: got["ln_f.weight"], lnfB: got["ln_f.bias"],
		blocks: make([]block, cfg.NLayer),
	}
	for i := range w.blocks {
		h := fmt.Sprintf("h.%d.", i)
		w.blocks[i] = block{
			ln1G: got[h+"ln_1.weight"], ln1B: got[h+"ln_1.bias"],
			attnW: got[h+"attn.c_attn.weight"], attnB: got[h+"attn.c_attn.bias"],
			projW: got[h+"attn.c_proj.weight"], projB: got[h+"attn.c_proj.bias"],
			ln2G: got[h+"ln_2.weight"], ln2B: got[h+"ln_2.bias"],
			fcW: got[h+"mlp.c_fc.weight"], fcB: got[h+"mlp.c_fc.bias"],
			mprojW: got[h+"mlp.c_proj.weight"], mprojB: got[h+"mlp.c_proj.bias"],
		}
	}
	return &Model{cfg: cfg, w: w}, nil
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 || (d > 0 && n > (1<<62)/d) {
			return -1
		}
		n *= d
	}
	return n
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
