package ceremony

import (
	"bytes"
	"testing"
)

// TestContributeWithBeacon runs a ceremony in which every contribution
// mixes a beacon into its entropy: each one passes mpcsetup's checks
// (Verify), the keys prove and verify, and the same beacon twice still
// gives different contributions (crypto/rand is mixed in, not replaced).
func TestContributeWithBeacon(t *testing.T) {
	beacon := []byte("dice: 3 1 4 1 5 9 2 6")
	tr, err := Init(small)
	if err != nil {
		t.Fatal(err)
	}
	var hashes [][32]byte
	for range 2 {
		c, err := tr.ContributeWith(beacon)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, c.Hash)
	}
	if err := tr.StartPhase2(nil); err != nil {
		t.Fatal(err)
	}
	c, err := tr.ContributeWith(beacon) // phase 2 through the file flow
	if err != nil {
		t.Fatal(err)
	}
	hashes = append(hashes, c.Hash)
	a, err := JoinParty(wireCopy(t, tr))
	if err != nil {
		t.Fatal(err)
	}
	if c, err = a.ContributeWith(beacon); err != nil { // and through a Party
		t.Fatal(err)
	}
	hashes = append(hashes, c.Hash)
	keys, err := a.Finalize(nil)
	if err != nil {
		t.Fatal(err)
	}
	final := a.Transcript()
	got, err := wireCopy(t, final).Verify()
	if err != nil {
		t.Fatalf("a ceremony of beacon-mixed contributions does not verify: %v", err)
	}
	if err := CheckKeys(final, got); err != nil {
		t.Fatal(err)
	}
	if err := proveAndVerify(t, keys, got, newSession(t, small, 5)); err != nil {
		t.Fatal(err)
	}
	for i := range hashes {
		for j := range i {
			if bytes.Equal(hashes[i][:], hashes[j][:]) {
				t.Fatalf("contributions %d and %d with the same beacon are equal", j+1, i+1)
			}
		}
	}
	if _, err := tr.ContributeWith(make([]byte, MaxBeacon+1)); err == nil {
		t.Fatal("over-long beacon accepted")
	}
}
