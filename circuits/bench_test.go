package circuits

import (
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
)

// BenchmarkComputeStatement folds 256 rows of the distilgpt2 c_attn shape.
func BenchmarkComputeStatement(b *testing.B) {
	benchStatement(b, distilShape, 256)
}

// BenchmarkComputeStatement4096 folds 4096 rows of 768+2304 values.
func BenchmarkComputeStatement4096(b *testing.B) {
	benchStatement(b, distilShape, 4096)
}

func benchStatement(b *testing.B, s Shape, T int) {
	rng := rand.New(rand.NewPCG(1, 2))
	X := randInt16s(rng, T*s.D)
	Z := make([]int64, T*s.O)
	for i := range Z {
		Z[i] = int64(rng.Uint64()) >> 20
	}
	var beta, gamma fr.Element
	beta.SetRandom()
	gamma.SetRandom()
	b.SetBytes(int64(2*len(X) + 8*len(Z)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ComputeStatement(s, X, Z, beta, gamma); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMatMulExact answers 16 rows of the distilgpt2 c_attn shape.
func BenchmarkMatMulExact(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	s := distilShape
	X, A, B := randInt16s(rng, 16*s.D), randInt16s(rng, s.D*s.R), randInt16s(rng, s.R*s.O)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := MatMulExact(s, X, A, B); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompileSession compiles the distilgpt2 c_attn session circuit.
func BenchmarkCompileSession(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, NewSessionCircuit(distilShape)); err != nil {
			b.Fatal(err)
		}
	}
}
