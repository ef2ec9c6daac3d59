package gpt2

import (
	"fmt"
	"math"

	"github.com/zklora/zklora/engine/blas"
)

// kvCache holds every layer's keys and values for the positions processed so
// far, so that a later forward pass attends to them without recomputing.
type kvCache struct {
	k, v    []float32 // layer l occupies [l·capRows·n, (l+1)·capRows·n)
	rows    int       // positions filled
	capRows int
}

func newKVCache(cfg Config, rows int) *kvCache {
	size := cfg.NLayer * rows * cfg.NEmbd
	return &kvCache{k: make([]float32, size), v: make([]float32, size), capRows: rows}
}

// forward runs the blocks over tokens at positions [kv.rows, kv.rows+T),
// appends their keys and values to kv, and returns the logits of every row
// (T×V) or, with lastOnly, of the last row only (V).
func (m *Model) forward(tokens []int, kv *kvCache, lastOnly bool) ([]float32, error) {
	cfg, w := m.cfg, m.w
	T, past := len(tokens), kv.rows
	if err := m.checkTokens(tokens, past); err != nil {
		return nil, err
	}
	if past+T > kv.capRows {
		return nil, fmt.Errorf("gpt2: KV cache holds %d positions, need %d", kv.capRows, past+T)
	}
	n, inner, eps := cfg.NEmbd, cfg.NInner, float32(cfg.LayerNormEpsilon)
	x := make([]float32, T*n)
	h := make([]float32, T*n)
	y := make([]float32, T*n)
	att := make([]float32, T*n)
	qkv := make([]float32, T*3*n)
	f := make([]float32, T*inner)
	scores := make([]float32, cfg.NHead*T*(past+T))
	for t, tok := range tokens {
		xr, e, p := x[t*n:(t+1)*n], w.wte[tok*n:(tok+1)*n], w.wpe[(past+t)*n:(past+t+1)*n]
		for i := range xr {
			xr[i] = e[i] + p[i]
		}
	}
	for l := range w.blocks {
		b := &w.blocks[l]
		layerNorm(h, x, b.ln1G, b.ln1B, T, n, eps)
		if err := m.linear(l, 0, h, b.attnW, b.attnB, qkv, T, n, 3*n); err != nil {
			return nil, err
		}
		kl, vl := kv.k[l*kv.capRows*n:(l+1)*kv.capRows*n], kv.v[l*kv.capRows*n:(l+1)*kv.capRows*n]
		for t := 0; t < T; t++ {
			copy(kl[(past+t)*n:(past+t+1)*n], qkv[t*3*n+n:t*3*n+2*n])
			copy(vl[(past+t)*n:(past+t+1)*n], qkv[t*3*n+2*n:t*3*n+3*n])
		}
		if err := m.attention(l, qkv, kl, vl, att, scores, T, past); err != nil {
			return nil, err
		}
		if err := m.linear(l, 1, att, b.projW, b.projB, y, T, n, n); err != nil {
			return nil, err
		}
		addInPlace(x, y)
		layerNorm(h, x, b.ln2G, b.ln2B, T, n, eps)
		if err := m.linear(l, 2, h, b.fcW, b.fcB, f, T, n, inner); err != nil {
			return nil, err
		}
		activate(cfg.Activation, f)
		if err := m.linear(l, 3, f, b.mprojW, b.mprojB, y, T, inner, n); err != nil {
			return nil, err
		}
		addInPlace(x, y)
	}
	kv.rows += T
	rows := T
	if lastOnly {
		x, rows = x[(T-1)*n:], 1
	}
	layerNorm(h, x, w.lnfG, w.lnfB, rows, n, eps)
	v := cfg.VocabSize
	logits := make([]float32, rows*v)
	if err := blas.Sgemm(false, true, rows, v, n, 1, h, n, w.wte, n, 0, logits, v); err != nil {
		return nil, fmt.Errorf("gpt2: lm_head: %w", err)
	}
	return logits, nil
}

// linear computes y = x·W + b for Conv1D module j of block l (x T×d, W d×o)
// and then calls the hook.
func (m *Model) linear(l, j int, x, wt, bias, y []float32, T, d, o int) error {
	for t := 0; t < T; t++ {
		copy(y[t*o:(t+1)*o], bias)
	}
	if err := blas.Sgemm(false, false, T, o, d, 1, x, d, wt, o, 1, y, o); err != nil {
		return fmt.Errorf("gpt2: %s: %w", ModuleName(l, j), err)
	}
	if m.hook == nil {
		return nil
	}
	name := ModuleName(l, j)
	if err := m.hook(name, x[:T*d:T*d], y[:T*o:T*o], T, d, o); err != nil {
		return fmt.Errorf("gpt2: hook for %s: %w", name, err)
	}
	return nil
}

// attention computes causal multi-head attention for the T new rows of block
// l: queries from qkv (T×3n), keys and values from the cache (positions
// [0, past+T), row stride n), output heads concatenated into out (T×n).
// scores holds nh·T·(past+T) floats. The products run one head after
// another, each using every BLAS thread (concurrent calls into OpenBLAS
// contend badly); the softmax between them runs in parallel over rows.
func (m *Model) attention(l int, qkv, k, v, out, scores []float32, T, past int) error {
	n, nh, hd := m.cfg.NEmbd, m.cfg.NHead, m.cfg.HeadDim()
	S := past + T
	scale := float32(1 / math.Sqrt(float64(hd)))
	if m.cfg.ScaleAttnByInverseLayerIdx {
		scale = float32(1 / (math.Sqrt(float64(hd)) * float64(l+1)))
	}
	for hh := 0; hh < nh; hh++ {
		off := hh * hd
		if err := blas.Sgemm(false, true, T, S, hd, scale, qkv[off:], 3*n, k[off:], n, 0, scores[hh*T*S:(hh+1)*T*S], S); err != nil {
			return fmt.Errorf("gpt2: block %d attention head %d: %w", l, hh, err)
		}
	}
	parallelChunks(nh*T, 64, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			t := r % T
			softmaxCausal(scores[r*S:(r+1)*S], past+t+1)
		}
	})
	for hh := 0; hh < nh; hh++ {
		off := hh * hd
		if err := blas.Sgemm(false, false, T, hd, S, 1, scores[hh*T*S:(hh+1)*T*S], S, v[off:], n, 0, out[off:], n); err != nil {
			return fmt.Errorf("gpt2: block %d attention head %d: %w", l, hh, err)
		}
	}
	return nil
}
