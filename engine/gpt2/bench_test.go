package gpt2

import (
	"math/rand/v2"
	"testing"

	"github.com/zklora/zklora/engine/blas"
)

// distilConfigValue is distilgpt2's shape.
func distilConfigValue() Config {
	return Config{VocabSize: 50257, NPositions: 1024, NEmbd: 768, NLayer: 6, NHead: 12, NInner: 3072,
		LayerNormEpsilon: 1e-5, Activation: ActGELUNew}
}

// fastRandomModel builds a model of cfg's shape with uniform random weights
// (std ≈ 0.02 like GPT-2's initialisation; layer-norm gains 1), quickly
// enough for distilgpt2's 82M parameters.
func fastRandomModel(tb testing.TB, cfg Config, seed uint64) *Model {
	tb.Helper()
	r := rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))
	ts := make(map[string]Tensor)
	for key, shape := range expectedShapes(cfg) {
		data := make([]float32, numel(shape))
		if len(shape) == 1 && hasSuffix(key, "weight") {
			for i := range data {
				data[i] = 1
			}
		} else {
			for i := range data {
				data[i] = (float32(r.Uint32()>>8)/(1<<24) - 0.5) * 0.07
			}
		}
		ts[key] = Tensor{Shape: shape, Data: data}
	}
	m, err := New(cfg, ts)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// BenchmarkForwardDistilGPT2 times Logits over 128 tokens on a
// distilgpt2-shaped model with random weights, reporting the achieved rate
// of the matrix products (Config.ForwardFLOPs).
func BenchmarkForwardDistilGPT2(b *testing.B) {
	cfg := distilConfigValue()
	m := fastRandomModel(b, cfg, 1)
	toks := randomTokens(rand.New(rand.NewPCG(2, 2)), 128, cfg.VocabSize)
	if _, err := m.Logits(toks); err != nil { // warm-up
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.Logits(toks); err != nil {
			b.Fatal(err)
		}
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(sec*1e3, "ms/forward")
	b.ReportMetric(cfg.ForwardFLOPs(len(toks))/sec/1e9, "GFLOP/s")
	b.Logf("backend %s, %.2f GFLOP per forward", blas.Backend(), cfg.ForwardFLOPs(len(toks))/1e9)
}

// BenchmarkGenerateDistilGPT2 times greedy generation of 16 tokens after a
// 32-token prompt with the KV cache.
func BenchmarkGenerateDistilGPT2(b *testing.B) {
	cfg := distilConfigValue()
	m := fastRandomModel(b, cfg, 1)
	toks := randomTokens(rand.New(rand.NewPCG(3, 3)), 32, cfg.VocabSize)
	for b.Loop() {
		if _, err := m.Generate(toks, 16); err != nil {
			b.Fatal(err)
		}
	}
}
