package prover

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/zklora/zklora/circuits"
)

// benchKeys loads the dev keys of s from a store in the system's temporary
// directory, making them on first use, so repeated benchmark runs skip the
// multi-second setup.
func benchKeys(b testing.TB, s circuits.Shape) *Keys {
	b.Helper()
	st, err := OpenStore(filepath.Join(os.TempDir(), "zklora-prover-bench-keys"))
	if err != nil {
		b.Fatal(err)
	}
	k, err := st.LoadOrCreateDev(s)
	if err != nil {
		b.Fatal(err)
	}
	return k
}

func BenchmarkProveSession(b *testing.B) {
	// The circuit does not depend on T (the statement folds every row into
	// x̄ and z̄); T=16 and T=256 are both run to show it.
	for _, s := range []circuits.Shape{bigShape} {
		for _, T := range []int{16, 256} {
			b.Run(fmt.Sprintf("%s_T%d", s, T), func(b *testing.B) {
				k := benchKeys(b, s)
				f := newFixture(b, s, T, 1)
				salt := mustSalt(b)
				b.ResetTimer()
				for b.Loop() {
					mustProve(b, k, f.st, f.A, f.B, salt)
				}
			})
		}
	}
}

func BenchmarkCommitment(b *testing.B) {
	k := benchKeys(b, bigShape)
	f := newFixture(b, bigShape, 1, 2)
	salt := mustSalt(b)
	for b.Loop() {
		if _, err := Commitment(k, f.A, f.B, salt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProveNaive proves the naive per-token circuit (every
// multiplication constrained, no commitment) for comparison. Its setup
// takes minutes; it is not cached.
func BenchmarkProveNaive(b *testing.B) {
	const T = 16
	s := bigShape
	b.Run(fmt.Sprintf("%s_T%d", s, T), func(b *testing.B) {
		cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, circuits.NewNaiveCircuit(s, T))
		if err != nil {
			b.Fatal(err)
		}
		pk, _, err := groth16.Setup(cs)
		if err != nil {
			b.Fatal(err)
		}
		f := newFixture(b, s, T, 3)
		a, err := circuits.NaiveAssignment(s, f.X, f.Z, f.A, f.B)
		if err != nil {
			b.Fatal(err)
		}
		w, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for b.Loop() {
			if _, err := groth16.Prove(cs, pk, w); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(cs.GetNbConstraints()), "constraints")
	})
}

// verifyFixture proves n modules of the big shape (different weights
// and salts) under one key.
func verifyFixture(b *testing.B, n int) (*Keys, []BatchItem) {
	b.Helper()
	k := benchKeys(b, bigShape)
	return k, batchFixture(b, k, n, 700)
}

func BenchmarkVerify(b *testing.B) {
	k, items := verifyFixture(b, 1)
	it := items[0]
	b.ResetTimer()
	for b.Loop() {
		if err := Verify(k.VK, it.Statement, it.Commitment, it.Proof); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBatchVerify24(b *testing.B) {
	k, items := verifyFixture(b, 24)
	b.ResetTimer()
	for b.Loop() {
		if err := BatchVerify(k.VK, items); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify24Single(b *testing.B) {
	k, items := verifyFixture(b, 24)
	b.ResetTimer()
	for b.Loop() {
		for _, it := range items {
			if err := Verify(k.VK, it.Statement, it.Commitment, it.Proof); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkStoreLoad(b *testing.B) {
	k := benchKeys(b, bigShape)
	dir := filepath.Join(os.TempDir(), "zklora-prover-bench-keys")
	_ = k
	for b.Loop() {
		st, _ := OpenStore(dir)
		if _, err := st.Load(bigShape); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBatchVsSingle24 interleaves one BatchVerify of 24 proofs with
// 24 single verifications of the same proofs, so that both see the same
// machine load, and reports the median of each and their ratio.
func BenchmarkBatchVsSingle24(b *testing.B) {
	k, items := verifyFixture(b, 24)
	var batch, single []time.Duration
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		if err := BatchVerify(k.VK, items); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		for _, it := range items {
			if err := Verify(k.VK, it.Statement, it.Commitment, it.Proof); err != nil {
				b.Fatal(err)
			}
		}
		batch = append(batch, t1.Sub(t0))
		single = append(single, time.Since(t1))
	}
	mb, ms := median(batch), median(single)
	b.ReportMetric(float64(mb.Microseconds())/1e3, "batch-ms")
	b.ReportMetric(float64(ms.Microseconds())/1e3, "single24-ms")
	b.ReportMetric(float64(mb)/float64(ms), "ratio")
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
