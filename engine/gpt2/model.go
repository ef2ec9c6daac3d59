package gpt2

import (
	"errors"
	"fmt"
)

// LinearHook is called after each Conv1D projection (attn.c_attn,
// attn.c_proj, mlp.c_fc, mlp.c_proj) of every block, in forward order, with
// the module's full name ("transformer.h.3.attn.c_attn", see ModuleNames),
// its input x (T×d, row-major) and its output y (T×o, row-major, already
// including the base bias). The hook may modify y in place (add a LoRA delta,
// or replace it); it must not modify x. Both slices are only valid during the
// call: the forward pass reuses them afterwards. A non-nil error aborts the
// forward pass and is returned wrapped with the module's name.
//
// During Generate, each call covers only the tokens fed in that step (the
// prompt first, then one token at a time), as with Hugging Face's KV cache.
type LinearHook func(name string, x, y []float32, T, d, o int) error

// Model is a GPT-2 language model in float32. Its weights are immutable after
// construction and may be shared by several Models (WithHook). A Model
// without a hook is safe for concurrent use; with a hook, concurrent forward
// passes call the hook concurrently, so they are safe only if the hook is.
// SetHook itself must not race with forward passes.
type Model struct {
	cfg  Config
	w    *weights
	hook LinearHook
}

// Config returns the model's configuration.
func (m *Model) Config() Config { return m.cfg }

// SetHook installs h (nil removes the hook). See LinearHook.
func (m *Model) SetHook(h LinearHook) { m.hook = h }

// WithHook returns a Model sharing m's weights (no copy) with hook h, leaving
// m unchanged: the cheap way to give each session its own hook.
func (m *Model) WithHook(h LinearHook) *Model {
	return &Model{cfg: m.cfg, w: m.w, hook: h}
}

// NumParams returns the number of parameters (the tied head counted once).
func (c Config) NumParams() int {
	n, inner := c.NEmbd, c.NInner
	perBlock := 4*n + (n*3*n + 3*n) + (n*n + n) + (n*inner + inner) + (inner*n + n)
	return c.VocabSize*n + c.NPositions*n + c.NLayer*perBlock + 2*n
}

// ForwardFLOPs returns the floating-point operations of the matrix products
// in a forward pass over T tokens with the full T×V logits: 2·T·(weights of
// every projection and of the head) plus the attention products (2·T·T·n for
// Q·Kᵀ and again for P·V per layer, counted in full as computed).
func (c Config) ForwardFLOPs(T int) float64 {
	n, inner, t := float64(c.NEmbd), float64(c.NInner), float64(T)
	proj := n*3*n + n*n + n*inner + inner*n
	perLayer := 2*t*proj + 4*t*t*n
	return float64(c.NLayer)*perLayer + 2*t*n*float64(c.VocabSize)
}

// checkTokens validates a token sequence that will occupy positions
// [past, past+len(tokens)).
func (m *Model) checkTokens(tokens []int, past int) error {
	if len(tokens) == 0 {
		return errors.New("gpt2: empty token sequence")
	}
	if past+len(tokens) > m.cfg.NPositions {
		return fmt.Errorf("gpt2: %d tokens exceed n_positions = %d", past+len(tokens), m.cfg.NPositions)
	}
	for i, t := range tokens {
		if t < 0 || t >= m.cfg.VocabSize {
			return fmt.Errorf("gpt2: token %d at position %d is out of range [0, %d)", t, past+i, m.cfg.VocabSize)
		}
	}
	return nil
}

// Logits runs the forward pass over tokens and returns the T×V logits,
// row-major (row t predicts token t+1). T must be in [1, n_positions] and
// every id in [0, vocab_size).
func (m *Model) Logits(tokens []int) ([]float32, error) {
	if err := m.checkTokens(tokens, 0); err != nil {
		return nil, err
	}
	kv := newKVCache(m.cfg, len(tokens))
	return m.forward(tokens, kv, false)
}
