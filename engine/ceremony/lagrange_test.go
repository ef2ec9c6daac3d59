package ceremony

import (
	"bytes"
	"errors"
	"testing"
)

// TestVerifyRejectsTamperedLagrange flips bytes in each of the four
// recorded Lagrange bases, and swaps two valid points, fixing up the hash:
// Verify (which checks them by a random linear combination instead of
// recomputing them) must refuse each.
func TestVerifyRejectsTamperedLagrange(t *testing.T) {
	tr0, _ := finishedCeremony(t)
	n := int(tr0.Domain)
	fields := map[string]int{
		"[Lᵢ(τ)]₁":  5*g1Size + 7,
		"[αLᵢ(τ)]₁": n*g1Size + 3*g1Size + 9,
		"[βLᵢ(τ)]₁": 2*n*g1Size + (n-1)*g1Size + 4,
		"[Lᵢ(τ)]₂":  3*n*g1Size + 2*g2Size + 30,
	}
	for name, off := range fields {
		tr, _ := finishedCeremony(t)
		tr.Lagrange.Data = flipAt(tr.Lagrange.Data, off)
		rehash(&tr.Lagrange)
		if _, err := tr.Verify(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s tampered: Verify says %v", name, err)
		}
	}
	// Two valid points swapped: every point decodes, the combination fails.
	tr, _ := finishedCeremony(t)
	d := bytes.Clone(tr.Lagrange.Data) // Decode's slices alias the shared encoding
	tr.Lagrange.Data = d
	var tmp [g1Size]byte
	copy(tmp[:], d[g1Size:2*g1Size])
	copy(d[g1Size:2*g1Size], d[2*g1Size:3*g1Size])
	copy(d[2*g1Size:3*g1Size], tmp[:])
	rehash(&tr.Lagrange)
	if _, err := tr.Verify(); !errors.Is(err, ErrInvalid) {
		t.Errorf("swapped Lagrange points: Verify says %v", err)
	}
	// Truncated, or missing in a version-2 transcript.
	tr, _ = finishedCeremony(t)
	tr.Lagrange = newContribution(tr.Lagrange.Data[:len(tr.Lagrange.Data)-g2Size])
	if _, err := tr.Verify(); !errors.Is(err, ErrInvalid) {
		t.Errorf("truncated Lagrange bases: Verify says %v", err)
	}
	tr, _ = finishedCeremony(t)
	tr.Lagrange = Contribution{}
	if _, err := tr.Verify(); !errors.Is(err, ErrInvalid) {
		t.Errorf("no Lagrange bases: Verify says %v", err)
	}
}

// TestVersion1Transcript checks that a transcript in the first encoding
// (no Lagrange bases) still decodes, keeps its version and hash through a
// round trip, and verifies (recomputing the initial phase-2 state) to keys
// with the recorded vk fingerprint.
func TestVersion1Transcript(t *testing.T) {
	tr, keys := finishedCeremony(t)
	tr.Version, tr.Lagrange = formatV1, Contribution{}
	enc, err := tr.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if enc[len(Magic)] != 0 || enc[len(Magic)+1] != formatV1 {
		t.Fatalf("version-1 transcript encoded as version %d", int(enc[len(Magic)])<<8|int(enc[len(Magic)+1]))
	}
	back, err := Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	if back.Version != formatV1 || back.Hash() != tr.Hash() {
		t.Fatalf("round trip: version %d, hash %s, want 1 and %s", back.Version, back.Hash(), tr.Hash())
	}
	got, err := back.Verify()
	if err != nil {
		t.Fatal(err)
	}
	if got.VK.Fingerprint() != keys.VK.Fingerprint() {
		t.Fatal("version-1 transcript verifies to another vk")
	}
	// A version-1 transcript cannot carry Lagrange bases.
	back.Lagrange = newContribution([]byte{1})
	if _, err := back.Encode(); err == nil {
		t.Fatal("a version-1 transcript with Lagrange bases encoded")
	}
}

// TestPartyRejectsTamperedLagrange: B, holding phase 1, refuses A's start
// of phase 2 when a recorded Lagrange point is wrong.
func TestPartyRejectsTamperedLagrange(t *testing.T) {
	a, err := NewParty(small)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Contribute(); err != nil {
		t.Fatal(err)
	}
	b, err := JoinParty(wireCopy(t, a.Transcript()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Contribute(); err != nil {
		t.Fatal(err)
	}
	if err := a.Accept(wireCopy(t, b.Transcript())); err != nil {
		t.Fatal(err)
	}
	if err := a.StartPhase2([]byte("x")); err != nil {
		t.Fatal(err)
	}
	bad := wireCopy(t, a.Transcript())
	d := bytes.Clone(bad.Lagrange.Data)
	copy(d[3*int(bad.Domain)*g1Size:], d[3*int(bad.Domain)*g1Size+g2Size:3*int(bad.Domain)*g1Size+2*g2Size])
	bad.Lagrange = newContribution(d)
	if err := b.Accept(bad); !errors.Is(err, ErrInvalid) {
		t.Fatalf("tampered [Lᵢ(τ)]₂: Accept says %v, want ErrInvalid", err)
	}
}
