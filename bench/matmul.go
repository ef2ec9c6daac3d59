package bench

import (
	"math/rand/v2"
	"time"

	"github.com/zklora/zklora/circuits"
)

// RunMatMul measures the exact LoRA product Z = X·A·B
// (circuits.MatMulExact) for every module and token count. The GPU
// backend has no exact matmul yet, so its rows are unavailable.
func RunMatMul(backend string, mods []Module, tokens []int) []MatMulRow {
	var rows []MatMulRow
	for _, m := range mods {
		s := m.Shape
		rng := rand.New(rand.NewPCG(uint64(m.Params()), 0x6d6d))
		A, B := randInt16(rng, s.D*s.R), randInt16(rng, s.R*s.O)
		for _, T := range tokens {
			row := MatMulRow{Backend: backend, Model: m.Model, Module: m.Module, Shape: s.String(), Tokens: T}
			if backend == GPU {
				row.Status = unavailable(errGPUMatMul)
				rows = append(rows, row)
				continue
			}
			X := randInt16(rng, T*s.D)
			sec, _, err := timeIt(3, time.Second, func() error {
				_, err := circuits.MatMulExact(s, X, A, B)
				return err
			})
			if err != nil {
				row.Status = "error: " + err.Error()
			} else {
				macs := float64(T) * float64(s.R) * float64(s.D+s.O)
				row.Seconds, row.GMACs, row.Status = sec, macs/sec/1e9, statusOK
			}
			rows = append(rows, row)
		}
	}
	return rows
}
