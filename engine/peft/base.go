package peft

import (
	"fmt"
	"strconv"
	"strings"
)

// maxLayers bounds the number of blocks of a base model.
const maxLayers = 1 << 12

// baseDims is what the adapter loader needs to know of the base model.
type baseDims struct{ NLayer, NEmbd, NInner int }

// validate checks that the dimensions are usable.
func (b baseDims) validate() error {
	if b.NLayer < 1 || b.NLayer > maxLayers {
		return fmt.Errorf("base model: n_layer=%d out of range [1, %d]", b.NLayer, maxLayers)
	}
	if b.NEmbd < 1 || b.NEmbd > MaxRank {
		return fmt.Errorf("base model: n_embd=%d out of range [1, %d]", b.NEmbd, MaxRank)
	}
	if b.NInner < 1 || b.NInner > 4*MaxRank {
		return fmt.Errorf("base model: n_inner=%d out of range [1, %d]", b.NInner, 4*MaxRank)
	}
	return nil
}

// conv1D is one LoRA candidate: a Conv1D module of a block, with input
// width D and output width O (Conv1D weight is [D, O]).
type conv1D struct {
	Name  string // GPT2LMHeadModel form, "transformer.h.3.mlp.c_fc"
	Layer int
	D, O  int
}

// conv1Ds lists the Conv1D modules in forward order.
func (b baseDims) conv1Ds() []conv1D {
	out := make([]conv1D, 0, 4*b.NLayer)
	for l := range b.NLayer {
		p := "transformer.h." + strconv.Itoa(l) + "."
		out = append(out,
			conv1D{p + "attn.c_attn", l, b.NEmbd, 3 * b.NEmbd},
			conv1D{p + "attn.c_proj", l, b.NEmbd, b.NEmbd},
			conv1D{p + "mlp.c_fc", l, b.NEmbd, b.NInner},
			conv1D{p + "mlp.c_proj", l, b.NInner, b.NEmbd},
		)
	}
	return out
}

// moduleKind classifies the modules of a GPT-2 model.
type moduleKind int

const (
	kindOther     moduleKind = iota // containers, layer norms, dropouts, activations
	kindConv1D                      // a LoRA candidate
	kindEmbedding                   // wte, wpe
	kindLMHead                      // lm_head (a Linear)
)

// namedModule is one entry of PyTorch's named_modules() (the root excluded).
type namedModule struct {
	Name string
	Kind moduleKind
}

// namedModules lists the modules of GPT2LMHeadModel (short false) or
// GPT2Model (short true) under the names PyTorch gives them.
func (b baseDims) namedModules(short bool) []namedModule {
	var out []namedModule
	add := func(name string, k moduleKind) {
		if short {
			if name == "transformer" || name == "lm_head" {
				return
			}
			name = strings.TrimPrefix(name, "transformer.")
		}
		out = append(out, namedModule{name, k})
	}
	add("transformer", kindOther)
	add("transformer.wte", kindEmbedding)
	add("transformer.wpe", kindEmbedding)
	add("transformer.drop", kindOther)
	add("transformer.h", kindOther)
	for l := range b.NLayer {
		p := "transformer.h." + strconv.Itoa(l)
		add(p, kindOther)
		add(p+".ln_1", kindOther)
		add(p+".attn", kindOther)
		add(p+".attn.c_attn", kindConv1D)
		add(p+".attn.c_proj", kindConv1D)
		add(p+".attn.attn_dropout", kindOther)
		add(p+".attn.resid_dropout", kindOther)
		add(p+".ln_2", kindOther)
		add(p+".mlp", kindOther)
		add(p+".mlp.c_fc", kindConv1D)
		add(p+".mlp.c_proj", kindConv1D)
		add(p+".mlp.act", kindOther)
		add(p+".mlp.dropout", kindOther)
	}
	add("transformer.ln_f", kindOther)
	add("lm_head", kindLMHead)
	return out
}

// shortName converts a GPT2LMHeadModel module name to the GPT2Model form.
func shortName(long string) string { return strings.TrimPrefix(long, "transformer.") }
