package ceremony

import (
	"bytes"
	"testing"

	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
)

// TestPhase1MatchesGnark checks that the parallel phase-1 state is gnark's
// Phase1 in another dress: a contribution made by either verifies under
// the other, encodings round-trip between them byte for byte, and sealing
// the same state with the same beacon gives the same SRS.
func TestPhase1MatchesGnark(t *testing.T) {
	const n = 64
	// gnark contributes; ours verifies and re-encodes identically.
	g := mpcsetup.NewPhase1(n)
	g.Contribute()
	gb, err := encodeState(g)
	if err != nil {
		t.Fatal(err)
	}
	ours, err := decodePhase1(gb, n)
	if err != nil {
		t.Fatal(err)
	}
	if err := newPhase1(n).Verify(ours); err != nil {
		t.Fatalf("gnark's contribution under our Verify: %v", err)
	}
	// Ours contributes on top; gnark verifies it.
	ours.Contribute()
	ob, err := encodeState(ours)
	if err != nil {
		t.Fatal(err)
	}
	g2 := new(mpcsetup.Phase1)
	if _, err := g2.ReadFrom(bytes.NewReader(ob)); err != nil {
		t.Fatal(err)
	}
	if err := g.Verify(g2); err != nil {
		t.Fatalf("our contribution under gnark's Verify: %v", err)
	}
	// The same seal.
	gs := g2.Seal([]byte("beacon"))
	os := ours.Seal([]byte("beacon"))
	a, _ := encodeState(&gs)
	b, _ := encodeState(&os)
	if !bytes.Equal(a, b) {
		t.Fatal("sealing the same state gives a different SRS")
	}
	// A tampered power fails our Verify.
	bad, err := decodePhase1(ob, n)
	if err != nil {
		t.Fatal(err)
	}
	bad.params.G1.Tau[5] = bad.params.G1.Tau[6]
	if err := newPhase1(n).Verify(mustDecode1(t, gb)); err != nil {
		t.Fatal(err)
	}
	prev := mustDecode1(t, gb)
	if err := newPhase1(n).Verify(prev); err != nil {
		t.Fatal(err)
	}
	if err := prev.Verify(bad); err == nil {
		t.Fatal("a contribution with a wrong power verified")
	}
}

func mustDecode1(t *testing.T, b []byte) *phase1 {
	t.Helper()
	p, err := decodePhase1(b, 64)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDecodePhase1Parallel checks that the parallel decoder agrees with
// gnark's on a real state and refuses flipped bytes in every region.
func TestDecodePhase1Parallel(t *testing.T) {
	const n = 32
	p := newPhase1(n)
	p.Contribute()
	b, err := encodeState(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodePhase1(b, n)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := encodeState(got)
	g := new(mpcsetup.Phase1)
	if err := safeReadFrom(g, b); err != nil || !bytes.Equal(again, b) {
		t.Fatalf("decoders disagree: %v", err)
	}
	regions := map[string]int{
		"proof": 5, "beta2": 3*proofSize + 8 + 7,
		"tau1":  3*proofSize + 8 + g2Size + 3*g1Size + 9,
		"tau2":  3*proofSize + 8 + g2Size + (2*n-2)*g1Size + 2*g2Size + 9,
		"alpha": len(b) - hashSize - 1 - 3*g1Size + 4,
	}
	for name, off := range regions {
		bad := bytes.Clone(b)
		bad[off] ^= 0x01
		if q, err := decodePhase1(bad, n); err == nil {
			// A flipped byte may still decode to another valid point;
			// then the state must differ and fail verification.
			if newPhase1(n).Verify(q) == nil {
				t.Errorf("%s: a flipped byte decoded and verified", name)
			}
		}
	}
}
