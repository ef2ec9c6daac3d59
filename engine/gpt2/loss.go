package gpt2

import (
	"errors"
	"math"
)

// Loss returns the mean next-token cross-entropy of tokens under the model,
// as Hugging Face computes it with labels = input_ids: the logits of row t
// are scored against token t+1, averaged over the T−1 positions. Each term is
// log-sum-exp(logits) − logit[label], computed in float64 from the float32
// logits. T must be at least 2.
func (m *Model) Loss(tokens []int) (float64, error) {
	if len(tokens) < 2 {
		return 0, errors.New("gpt2: Loss needs at least 2 tokens")
	}
	logits, err := m.Logits(tokens)
	if err != nil {
		return 0, err
	}
	v, rows := m.cfg.VocabSize, len(tokens)-1
	terms := make([]float64, rows)
	parallelChunks(rows, 4, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			row := logits[t*v : (t+1)*v]
			terms[t] = logSumExp(row) - float64(row[tokens[t+1]])
		}
	})
	var sum float64
	for _, x := range terms {
		sum += x
	}
	return sum / float64(rows), nil
}

// logSumExp is log Σ exp(row) in float64, shifted by the maximum.
func logSumExp(row []float32) float64 {
	mx := math.Inf(-1)
	for _, v := range row {
		mx = max(mx, float64(v))
	}
	if math.IsInf(mx, 0) || math.IsNaN(mx) {
		return mx
	}
	var s float64
	for _, v := range row {
		s += math.Exp(float64(v) - mx)
	}
	return mx + math.Log(s)
}
