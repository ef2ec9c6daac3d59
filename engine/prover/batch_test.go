package prover

import (
	"errors"
	"slices"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"
)

// batchFixture proves n modules (each with its own weights and salt) under
// one key.
func batchFixture(t testing.TB, k *Keys, n int, seed uint64) []BatchItem {
	t.Helper()
	items := make([]BatchItem, n)
	for i := range items {
		f := newFixture(t, k.Shape, 2+i%4, seed+uint64(i)) // T ≥ 2: x̄ is full width, as in real sessions
		p := mustProve(t, k, f.st, f.A, f.B, mustSalt(t))
		items[i] = BatchItem{Statement: f.st, Commitment: p.Commitment(), Proof: p}
	}
	return items
}

func failedIndices(t *testing.T, err error) []int {
	t.Helper()
	var be *BatchError
	if !errors.As(err, &be) {
		t.Fatalf("error %v is not a *BatchError", err)
	}
	return be.Failed
}

func TestBatchVerify(t *testing.T) {
	k := devKeys(t, small)
	items := batchFixture(t, k, 24, 100)
	if err := BatchVerify(k.VK, items); err != nil {
		t.Fatal(err)
	}
	if err := BatchVerify(k.VK, nil); err != nil {
		t.Fatal(err)
	}
	if err := BatchVerify(k.VK, items[:1]); err != nil {
		t.Fatal(err)
	}

	clone := func() []BatchItem {
		c := slices.Clone(items)
		for i := range c {
			c[i].Statement = cloneStatement(c[i].Statement)
			q := *c[i].Proof
			q.p.Commitments = slices.Clone(q.p.Commitments)
			c[i].Proof = &q
		}
		return c
	}
	var one = items[0].Statement.Gamma
	one.SetOne()
	var g1 bn254.G1Affine
	_, _, g1, _ = bn254.Generators()

	cases := []struct {
		name   string
		idx    []int
		tamper func(c []BatchItem)
		want   error
	}{
		{"zbar", []int{7}, func(c []BatchItem) { c[7].Statement.Zbar.Add(&c[7].Statement.Zbar, &one) }, ErrInvalidProof},
		{"xbar", []int{0}, func(c []BatchItem) { c[0].Statement.Xbar[3].Add(&c[0].Statement.Xbar[3], &one) }, ErrInvalidProof},
		{"gamma", []int{23}, func(c []BatchItem) { c[23].Statement.Gamma.Add(&c[23].Statement.Gamma, &one) }, ErrInvalidProof},
		{"swapped statements", []int{3, 4}, func(c []BatchItem) { c[3].Statement, c[4].Statement = c[4].Statement, c[3].Statement }, ErrInvalidProof},
		{"Ar", []int{11}, func(c []BatchItem) { c[11].Proof.p.Ar.Add(&c[11].Proof.p.Ar, &g1) }, ErrInvalidProof},
		{"Krs", []int{12}, func(c []BatchItem) { c[12].Proof.p.Krs.Add(&c[12].Proof.p.Krs, &g1) }, ErrInvalidProof},
		{"pok", []int{5}, func(c []BatchItem) { c[5].Proof.p.CommitmentPok.Add(&c[5].Proof.p.CommitmentPok, &g1) }, ErrInvalidProof},
		{"pinned", []int{9}, func(c []BatchItem) { c[9].Commitment = c[10].Commitment }, ErrCommitmentMismatch},
		{"proof of another module", []int{2}, func(c []BatchItem) { c[2].Proof = c[1].Proof; c[2].Commitment = c[1].Commitment }, ErrInvalidProof},
	}
	for _, tc := range cases {
		c := clone()
		tc.tamper(c)
		err := BatchVerify(k.VK, c)
		if err == nil {
			t.Errorf("%s: tampered batch verifies", tc.name)
			continue
		}
		if got := failedIndices(t, err); !slices.Equal(got, tc.idx) {
			t.Errorf("%s: failed %v, want %v (%v)", tc.name, got, tc.idx, err)
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v does not wrap %v", tc.name, err, tc.want)
		}
	}
}

// TestBatchPokIsChecked gives one proof the commitment's proof of
// knowledge of another: only the batched Pedersen check can catch it (the
// Groth16 equation does not involve the PoK).
func TestBatchPokIsChecked(t *testing.T) {
	k := devKeys(t, small)
	items := batchFixture(t, k, 3, 200)
	q := *items[1].Proof
	q.p.CommitmentPok = items[0].Proof.p.CommitmentPok
	items[1].Proof = &q
	if got := failedIndices(t, BatchVerify(k.VK, items)); !slices.Equal(got, []int{1}) {
		t.Fatalf("failed %v, want [1]", got)
	}
}

// TestBatchRandomness checks the combination scalars are not all equal or
// fixed: two proofs whose errors cancel under equal scalars must fail.
func TestBatchRandomness(t *testing.T) {
	k := devKeys(t, small)
	items := batchFixture(t, k, 2, 300)
	var g1 bn254.G1Affine
	_, _, g1, _ = bn254.Generators()
	var neg bn254.G1Affine
	neg.Neg(&g1)
	a, b := *items[0].Proof, *items[1].Proof
	a.p.Krs.Add(&a.p.Krs, &g1)
	b.p.Krs.Add(&b.p.Krs, &neg)
	items[0].Proof, items[1].Proof = &a, &b
	if got := failedIndices(t, BatchVerify(k.VK, items)); !slices.Equal(got, []int{0, 1}) {
		t.Fatalf("failed %v, want [0 1]", got)
	}
}
