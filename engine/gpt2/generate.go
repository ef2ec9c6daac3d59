package gpt2

import (
	"errors"
	"fmt"
	"slices"
)

// Generate extends tokens greedily by n tokens and returns the prompt
// followed by them (as Hugging Face's generate with do_sample=False and no
// stopping criteria). It keeps a KV cache: the prompt is run once, then one
// forward pass per new token over that token alone, so a hook sees the
// prompt's rows first and then one row per step. Ties in the argmax go to the
// lowest id. len(tokens)+n must not exceed n_positions.
func (m *Model) Generate(tokens []int, n int) ([]int, error) {
	if n < 0 {
		return nil, fmt.Errorf("gpt2: Generate: negative count %d", n)
	}
	if len(tokens) == 0 {
		return nil, errors.New("gpt2: empty token sequence")
	}
	if len(tokens) > m.cfg.NPositions || n > m.cfg.NPositions-len(tokens) {
		return nil, fmt.Errorf("gpt2: Generate: %d prompt tokens plus %d new exceed n_positions = %d", len(tokens), n, m.cfg.NPositions)
	}
	if err := m.checkTokens(tokens, 0); err != nil {
		return nil, err
	}
	out := slices.Clone(tokens)
	if n == 0 {
		return out, nil
	}
	kv := newKVCache(m.cfg, len(tokens)+n-1)
	logits, err := m.forward(tokens, kv, true)
	for i := 0; ; i++ {
		if err != nil {
			return nil, err
		}
		next := argmax(logits)
		out = append(out, next)
		if i == n-1 {
			return out, nil
		}
		logits, err = m.forward(out[len(out)-1:], kv, true)
	}
}

// argmax returns the index of the largest value, the first one on ties.
func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
