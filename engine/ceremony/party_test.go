package ceremony

import (
	"errors"
	"testing"
)

// wireCopy passes a transcript to the other party as its encoding would.
func wireCopy(tb testing.TB, t *Transcript) *Transcript {
	tb.Helper()
	b, err := t.Encode()
	if err != nil {
		tb.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil {
		tb.Fatal(err)
	}
	return got
}

// TestPartyTwoParties runs the A/B exchange with two Parties, each
// verifying only what the other added, and checks that both end with the
// same keys, that a proof made with A's keys verifies under B's, and that
// Verify accepts the final transcript.
func TestPartyTwoParties(t *testing.T) {
	a, err := NewParty(small)
	if err != nil {
		t.Fatal(err)
	}
	ca1, err := a.Contribute()
	if err != nil {
		t.Fatal(err)
	}
	b, err := JoinParty(wireCopy(t, a.Transcript()))
	if err != nil {
		t.Fatal(err)
	}
	cb1, err := b.Contribute()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Accept(wireCopy(t, b.Transcript())); err != nil {
		t.Fatal(err)
	}
	if err := a.StartPhase2(nil); err != nil {
		t.Fatal(err)
	}
	ca2, err := a.Contribute()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Accept(wireCopy(t, a.Transcript())); err != nil {
		t.Fatal(err)
	}
	cb2, err := b.Contribute()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Accept(wireCopy(t, b.Transcript())); err != nil {
		t.Fatal(err)
	}
	keysA, err := a.Finalize(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Accept(wireCopy(t, a.Transcript())); err != nil {
		t.Fatal(err)
	}
	keysB := b.Keys()
	final := b.Transcript()
	for _, c := range []Contribution{ca1, cb1, ca2, cb2} {
		if !final.Contains(c.HashHex()) {
			t.Fatalf("contribution %s missing from the final transcript", c.HashHex())
		}
	}
	if err := CheckKeys(final, keysA); err != nil {
		t.Fatal(err)
	}
	if err := CheckKeys(final, keysB); err != nil {
		t.Fatal(err)
	}
	if _, err := wireCopy(t, final).Verify(); err != nil {
		t.Fatal(err)
	}
	if err := proveAndVerify(t, keysA, keysB, newSession(t, small, 3)); err != nil {
		t.Fatalf("proof with A's ceremony keys does not verify under B's: %v", err)
	}
}

// TestPartyAcceptRejects checks that Accept refuses a transcript that
// drops, replaces or tampers with what the party holds.
func TestPartyAcceptRejects(t *testing.T) {
	a, err := NewParty(small)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Contribute(); err != nil {
		t.Fatal(err)
	}
	held := wireCopy(t, a.Transcript())

	// Another ceremony's phase 1 does not extend A's.
	other, err := NewParty(small)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Contribute(); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Contribute(); err != nil {
		t.Fatal(err)
	}
	if err := a.Accept(wireCopy(t, other.Transcript())); !errors.Is(err, ErrInvalid) {
		t.Fatalf("replaced contribution: %v, want ErrInvalid", err)
	}
	// Dropping A's contribution.
	empty, err := Init(small)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Accept(empty); !errors.Is(err, ErrInvalid) {
		t.Fatalf("dropped contribution: %v, want ErrInvalid", err)
	}
	// A tampered new contribution (one point byte flipped, hash fixed up).
	b, err := JoinParty(held)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Contribute(); err != nil {
		t.Fatal(err)
	}
	bad := wireCopy(t, b.Transcript())
	c := &bad.Phase1[1]
	c.Data[3*proofSize+8+g2Size+5] ^= 0x01
	*c = newContribution(c.Data)
	if err := a.Accept(bad); !errors.Is(err, ErrInvalid) {
		t.Fatalf("tampered contribution: %v, want ErrInvalid", err)
	}
	// After a failed verification A takes no more steps.
	if err := a.Accept(wireCopy(t, b.Transcript())); err == nil {
		t.Fatal("a party whose verification failed accepted another transcript")
	}
	if _, err := a.Contribute(); err == nil {
		t.Fatal("a party whose verification failed contributed")
	}
}
