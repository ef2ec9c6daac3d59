package peft

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Adapter is a loaded, validated LoRA adapter.
type Adapter struct {
	Config
	// Modules holds every targeted module, keyed by its GPT2LMHeadModel name
	// ("transformer.h.0.attn.c_attn").
	Modules map[string]*Module
	// order lists Modules' keys in forward order.
	order []string
}

// Names returns the targeted modules' names in forward order (by layer, then
// attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj).
func (a *Adapter) Names() []string { return slices.Clone(a.order) }

// Module is the LoRA of one Conv1D module: the forward is
// y += Scaling·(x·Aᵀ)·Bᵀ for x of width D and y of width O.
type Module struct {
	// Name is the GPT2LMHeadModel module name.
	Name string
	// Layer is the block index.
	Layer int
	// D, R and O are the input width, the rank and the output width.
	D, R, O int
	// Alpha is the module's lora_alpha (after alpha_pattern).
	Alpha float64
	// Scaling is alpha/r, or alpha/sqrt(r) with use_rslora.
	Scaling float64
	// A is lora_A.weight as stored: R×D, row-major.
	A []float32
	// B is lora_B.weight as stored: O×R, row-major.
	B []float32
}

// tensorSource is what the loader needs of a safetensors file.
type tensorSource interface {
	Names() []string
	Float32(name string) ([]float32, []int, error)
}

// Key suffixes of the two LoRA factors as PEFT saves them.
const (
	suffixA = ".lora_A.weight"
	suffixB = ".lora_B.weight"
)

// tensorKey is one parsed adapter tensor name.
type tensorKey struct {
	key    string // as in the file
	module string // as the base model names it (long or short form)
	isA    bool
}

// parseKey parses an adapter tensor name, refusing every tensor that is not
// a plain lora_A/lora_B weight.
func parseKey(key string) (tensorKey, error) {
	k := strings.TrimPrefix(key, "base_model.model.")
	switch {
	case strings.Contains(k, "lora_embedding_"):
		return tensorKey{}, fmt.Errorf("tensor %q: embedding LoRA is not supported", key)
	case strings.Contains(k, "lora_magnitude_vector"):
		return tensorKey{}, fmt.Errorf("tensor %q: DoRA (use_dora) is not supported", key)
	case strings.HasSuffix(k, ".lora_B.bias"):
		return tensorKey{}, fmt.Errorf("tensor %q: lora_bias is not supported", key)
	case strings.HasSuffix(k, suffixA):
		return tensorKey{key, strings.TrimSuffix(k, suffixA), true}, nil
	case strings.HasSuffix(k, suffixB):
		return tensorKey{key, strings.TrimSuffix(k, suffixB), false}, nil
	case strings.Contains(k, ".lora_A.") || strings.Contains(k, ".lora_B."):
		// PEFT strips the adapter name (".default") on save and inserts it
		// on load, so a file that still carries it does not load in PEFT.
		return tensorKey{}, fmt.Errorf("tensor %q: unexpected LoRA tensor name (an adapter-name infix such as \".default\"? PEFT strips it on save and would not load this file)", key)
	case strings.HasSuffix(k, ".bias"):
		return tensorKey{}, fmt.Errorf("tensor %q: trained biases are not supported (bias must be \"none\")", key)
	}
	return tensorKey{}, fmt.Errorf("tensor %q: not a LoRA weight (modules_to_save or other extra tensors are not supported)", key)
}

// build validates the adapter tensors against the config and the base model
// and assembles the Adapter.
func build(cfg Config, base baseDims, src tensorSource) (*Adapter, error) {
	if err := base.validate(); err != nil {
		return nil, err
	}
	names := src.Names()
	slices.Sort(names) // deterministic errors
	keys := make([]tensorKey, 0, len(names))
	long, short := 0, 0
	for _, n := range names {
		k, err := parseKey(n)
		if err != nil {
			return nil, fmt.Errorf("adapter weights: %w", err)
		}
		if strings.HasPrefix(k.module, "transformer.") {
			long++
		} else {
			short++
		}
		keys = append(keys, k)
	}
	if long > 0 && short > 0 {
		return nil, errors.New("adapter weights: module names mix the GPT2LMHeadModel (\"transformer.h.N\") and GPT2Model (\"h.N\") forms")
	}
	isShort := short > 0
	name := func(long string) string {
		if isShort {
			return shortName(long)
		}
		return long
	}

	// Which modules does the config target? Targets on anything but a
	// block's Conv1D is an error, as in PEFT (or unsupported here).
	for _, m := range base.namedModules(isShort) {
		if m.Kind == kindConv1D || !cfg.Targets(m.Name) {
			continue
		}
		switch m.Kind {
		case kindEmbedding:
			return nil, fmt.Errorf("adapter config: target_modules %s selects embedding %q: embedding LoRA is not supported", cfg.TargetModules, m.Name)
		case kindLMHead:
			return nil, fmt.Errorf("adapter config: target_modules %s selects %q: LoRA on the output head is not supported", cfg.TargetModules, m.Name)
		default:
			return nil, fmt.Errorf("adapter config: target_modules %s selects %q, which is not a Conv1D/Linear module (PEFT refuses it too)", cfg.TargetModules, m.Name)
		}
	}
	cands := base.conv1Ds()
	byName := make(map[string]conv1D, len(cands))
	for _, c := range cands {
		byName[name(c.Name)] = c
	}

	type pair struct{ a, b string }
	found := map[string]*pair{}
	for _, k := range keys {
		c, ok := byName[k.module]
		if !ok {
			return nil, fmt.Errorf("adapter weights: tensor %q belongs to %q, which is not a Conv1D module of this %d-layer base model", k.key, k.module, base.NLayer)
		}
		if !cfg.Targets(k.module) {
			return nil, fmt.Errorf("adapter weights: tensor %q belongs to %q, which target_modules %s does not select", k.key, k.module, cfg.TargetModules)
		}
		p := found[c.Name]
		if p == nil {
			p = &pair{}
			found[c.Name] = p
		}
		slot := &p.b
		if k.isA {
			slot = &p.a
		}
		if *slot != "" {
			return nil, fmt.Errorf("adapter weights: tensors %q and %q are the same factor of %q", *slot, k.key, k.module)
		}
		*slot = k.key
	}

	ad := &Adapter{Config: cfg, Modules: map[string]*Module{}}
	for _, c := range cands {
		n := name(c.Name)
		if !cfg.Targets(n) {
			continue
		}
		p := found[c.Name]
		switch {
		case p == nil:
			return nil, fmt.Errorf("adapter weights: targeted module %q has no lora_A/lora_B tensors", n)
		case p.a == "":
			return nil, fmt.Errorf("adapter weights: targeted module %q has no lora_A.weight", n)
		case p.b == "":
			return nil, fmt.Errorf("adapter weights: targeted module %q has no lora_B.weight", n)
		}
		r, alpha := cfg.RankAlpha(n)
		m := &Module{Name: c.Name, Layer: c.Layer, D: c.D, R: r, O: c.O, Alpha: alpha, Scaling: cfg.Scaling(r, alpha)}
		var err error
		if m.A, err = loadFactor(src, p.a, r, c.D, "lora_A", "[r, in]"); err != nil {
			return nil, err
		}
		if m.B, err = loadFactor(src, p.b, c.O, r, "lora_B", "[out, r]"); err != nil {
			return nil, err
		}
		ad.Modules[c.Name] = m
		ad.order = append(ad.order, c.Name)
	}
	if len(ad.order) == 0 {
		return nil, fmt.Errorf("adapter config: target_modules %s selects no Conv1D module of the base model", cfg.TargetModules)
	}
	return ad, nil
}

// loadFactor reads one factor, checks its shape is rows×cols and that every
// value is finite.
func loadFactor(src tensorSource, key string, rows, cols int, what, layout string) ([]float32, error) {
	data, shape, err := src.Float32(key)
	if err != nil {
		return nil, fmt.Errorf("adapter weights: %s: %w", key, err)
	}
	if len(shape) != 2 || shape[0] != rows || shape[1] != cols {
		return nil, fmt.Errorf("adapter weights: %s has shape %v, want %s %s = [%d, %d]", key, shape, what, layout, rows, cols)
	}
	if len(data) != rows*cols {
		return nil, fmt.Errorf("adapter weights: %s has %d values, want %d", key, len(data), rows*cols)
	}
	for i, v := range data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("adapter weights: %s element %d is not finite", key, i)
		}
	}
	return data, nil
}
