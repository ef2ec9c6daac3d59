package ceremony

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/zklora/zklora/engine/prover"
)

func TestCeremonyKeysProve(t *testing.T) {
	tr, keys := finishedCeremony(t)
	if keys.Mode != prover.KeyModeCeremony || keys.Ceremony != tr.Hash() || len(keys.Ceremony) != 64 {
		t.Fatalf("keys: mode %s ceremony %q, transcript hash %s", keys.Mode, keys.Ceremony, tr.Hash())
	}
	if err := CheckKeys(tr, keys); err != nil {
		t.Fatal(err)
	}
	ses := newSession(t, small, 1)
	if err := proveAndVerify(t, keys, keys, ses); err != nil {
		t.Fatalf("proof with ceremony keys rejected: %v", err)
	}
	// A proof of another statement does not verify.
	other := newSession(t, small, 2)
	pinned, err := prover.Commitment(keys, ses.A, ses.B, ses.salt)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := prover.Prove(keys, ses.st, ses.A, ses.B, ses.salt)
	if err != nil {
		t.Fatal(err)
	}
	if err := prover.Verify(keys.VK, other.st, pinned, proof); err == nil {
		t.Fatal("proof verified against another statement")
	}
}

func TestVerifyReproducesKeys(t *testing.T) {
	tr, keys := finishedCeremony(t)
	got, err := tr.Verify()
	if err != nil {
		t.Fatal(err)
	}
	if got.VK.Fingerprint() != keys.VK.Fingerprint() || got.Ceremony != keys.Ceremony {
		t.Fatalf("Verify derived vk %s / ceremony %s, Finalize %s / %s", got.VK.Fingerprint(), got.Ceremony, keys.VK.Fingerprint(), keys.Ceremony)
	}
	if err := CheckKeys(tr, got); err != nil {
		t.Fatal(err)
	}
}

func TestStepsRefuseWrongPhase(t *testing.T) {
	tr, _ := finishedCeremony(t)
	if _, err := tr.Contribute(); err == nil {
		t.Error("contribution to a final transcript accepted")
	}
	if err := tr.StartPhase2(nil); err == nil {
		t.Error("StartPhase2 on a final transcript accepted")
	}
	if _, err := tr.Finalize(nil); err == nil {
		t.Error("Finalize on a final transcript accepted")
	}
	fresh, err := Init(small)
	if err != nil {
		t.Fatal(err)
	}
	if err := fresh.StartPhase2(nil); err == nil {
		t.Error("phase 1 sealed without contributions")
	}
	if _, err := fresh.Finalize(nil); err == nil {
		t.Error("Finalize of a phase-1 transcript accepted")
	}
}

// rehash recomputes a tampered contribution's hash, as a malicious
// contributor would, so that only Verify can catch it.
func rehash(c *Contribution) { *c = newContribution(c.Data) }

// flipAt returns a copy of b with byte i flipped.
func flipAt(b []byte, i int) []byte {
	b = bytes.Clone(b)
	b[i] ^= 0x01
	return b
}

func TestVerifyRejectsTamperedPhase1(t *testing.T) {
	n := phase1Size(finishedDomain(t))
	// One offset in each field: the τ, α and β proofs (commitment and
	// proof of knowledge), [β]₂, [τ]₁, [τ]₂, [βτ]₁, [ατ]₁ and the challenge.
	N := finishedDomain(t)
	fields := map[string]int{
		"tau proof commitment":   5,
		"tau proof pok":          40,
		"alpha proof commitment": proofSize + 5,
		"alpha proof pok":        proofSize + 40,
		"beta proof commitment":  2*proofSize + 5,
		"beta proof pok":         2*proofSize + 40,
		"domain size":            3*proofSize + 7,
		"beta g2":                3*proofSize + 8 + 30,
		"tau g1":                 3*proofSize + 8 + g2Size + 3*g1Size + 20,
		"tau g2":                 3*proofSize + 8 + g2Size + int(2*N-2)*g1Size + g2Size + 20,
		"beta tau g1":            3*proofSize + 8 + g2Size + int(2*N-2)*g1Size + int(N-1)*g2Size + g1Size + 20,
		"alpha tau g1":           int(n) - hashSize - 1 - g1Size + 20,
		"challenge":              int(n) - 3,
	}
	for name, off := range fields {
		for ci := range 2 {
			tr, _ := finishedCeremony(t)
			tr.Phase1[ci].Data = flipAt(tr.Phase1[ci].Data, off)
			rehash(&tr.Phase1[ci])
			if _, err := tr.Verify(); !errors.Is(err, ErrInvalid) {
				t.Errorf("%s of phase-1 contribution %d tampered: Verify says %v", name, ci+1, err)
			}
		}
	}
}

func finishedDomain(t *testing.T) uint64 {
	tr, _ := finishedCeremony(t)
	return tr.Domain
}

func TestVerifyRejectsTamperedPhase2(t *testing.T) {
	tr0, _ := finishedCeremony(t)
	b := tr0.Phase2[0].Data
	nPKK := int(uint32(b[2+g1Size])<<24 | uint32(b[2+g1Size+1])<<16 | uint32(b[2+g1Size+2])<<8 | uint32(b[2+g1Size+3]))
	pkk := 2 + g1Size + 4
	z := pkk + nPKK*g1Size
	fields := map[string]int{
		"commitment count": 1,
		"delta g1":         2 + 10,
		"pkk length":       2 + g1Size + 3,
		"pkk":              pkk + 10,
		"z length":         z + 3,
		"z":                z + 4 + 10,
		"delta proof":      len(b) - 1 - hashSize - 2*proofSize + 10,
		"delta proof pok":  len(b) - 1 - hashSize - 2*proofSize + 50,
		"sigma proof":      len(b) - 1 - hashSize - proofSize + 10,
		"sigma proof pok":  len(b) - 1 - hashSize - proofSize + 50,
		"sigma g2":         len(b) - 1 - hashSize - 2*proofSize - g2Size + 10,
		"sigma ckk":        len(b) - 1 - hashSize - 2*proofSize - g2Size - 20,
		"challenge":        len(b) - 3,
	}
	for name, off := range fields {
		for ci := range 2 {
			tr, _ := finishedCeremony(t)
			tr.Phase2[ci].Data = flipAt(tr.Phase2[ci].Data, off)
			rehash(&tr.Phase2[ci])
			if _, err := tr.Verify(); !errors.Is(err, ErrInvalid) {
				t.Errorf("%s of phase-2 contribution %d tampered: Verify says %v", name, ci+1, err)
			}
		}
	}
	// The initial phase-2 state (the coordinator's) is recomputed.
	tr, _ := finishedCeremony(t)
	tr.Phase2Init.Data = flipAt(tr.Phase2Init.Data, 2+10)
	rehash(&tr.Phase2Init)
	if _, err := tr.Verify(); !errors.Is(err, ErrInvalid) {
		t.Errorf("tampered initial phase-2 state: Verify says %v", err)
	}
}

func TestVerifyRejectsSwappedAndForeign(t *testing.T) {
	_, other, err := RunLocal(small, 2)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(tr *Transcript){
		"phase-1 contributions swapped": func(tr *Transcript) { tr.Phase1[0], tr.Phase1[1] = tr.Phase1[1], tr.Phase1[0] },
		"phase-2 contributions swapped": func(tr *Transcript) { tr.Phase2[0], tr.Phase2[1] = tr.Phase2[1], tr.Phase2[0] },
		"phase-1 contribution dropped":  func(tr *Transcript) { tr.Phase1 = tr.Phase1[1:] },
		"phase-2 contribution dropped":  func(tr *Transcript) { tr.Phase2 = tr.Phase2[1:] },
		"foreign phase-1 contribution":  func(tr *Transcript) { tr.Phase1[1] = other.Phase1[1] },
		"foreign phase-2 contribution":  func(tr *Transcript) { tr.Phase2[1] = other.Phase2[1] },
		"foreign phase-2 init":          func(tr *Transcript) { tr.Phase2Init = other.Phase2Init },
		"phase-1 beacon changed":        func(tr *Transcript) { tr.Beacon1 = []byte("another beacon") },
		"phase-2 beacon changed":        func(tr *Transcript) { tr.Beacon2 = []byte("another beacon") },
		"vk fingerprint changed":        func(tr *Transcript) { tr.VKFingerprint[3] ^= 1 },
		"no phase-2 contributions":      func(tr *Transcript) { tr.Phase2 = nil },
	}
	for name, tamper := range cases {
		tr, _ := finishedCeremony(t)
		tamper(tr)
		if _, err := tr.Verify(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Verify says %v", name, err)
		}
	}
}

func TestKeysFromAnotherCeremony(t *testing.T) {
	tr, keys := finishedCeremony(t)
	keys2, tr2, err := RunLocal(small, 2)
	if err != nil {
		t.Fatal(err)
	}
	if tr2.Hash() == tr.Hash() || keys2.VK.Fingerprint() == keys.VK.Fingerprint() {
		t.Fatal("two ceremonies gave the same transcript hash or vk")
	}
	if _, err := tr2.Verify(); err != nil {
		t.Fatalf("RunLocal's transcript does not verify: %v", err)
	}
	if err := CheckKeys(tr, keys2); err == nil {
		t.Error("keys of another ceremony accepted")
	}
	// Keys claiming this ceremony's hash but with the other's vk.
	forged := *keys2
	forged.Ceremony = tr.Hash()
	if err := CheckKeys(tr, &forged); err == nil || !strings.Contains(err.Error(), "verifying key") {
		t.Errorf("a vk that does not match the transcript: %v", err)
	}
	// Dev keys are not ceremony keys.
	dev, err := prover.DevSetup(small)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckKeys(tr, dev); err == nil {
		t.Error("dev keys accepted")
	}
	// The proving key of one ceremony with the verifying key of the other.
	if _, err := prover.NewKeys(small, prover.KeyModeCeremony, tr.Hash(), keys.CS, keys2.PK, keys.VK.Groth16()); err == nil {
		t.Error("pk of one ceremony and vk of another assembled")
	}
	// A proof made under one ceremony's keys fails under the other's vk.
	if err := proveAndVerify(t, keys2, keys, newSession(t, small, 3)); err == nil {
		t.Error("proof under ceremony 2 verified with ceremony 1's vk")
	}
}

func TestContains(t *testing.T) {
	tr, _ := finishedCeremony(t)
	for _, c := range append(append([]Contribution{}, tr.Phase1...), tr.Phase2...) {
		if !tr.Contains(c.HashHex()) {
			t.Errorf("contribution %s not found", c.HashHex())
		}
	}
	if tr.Contains(tr.Phase2Init.HashHex()) || tr.Contains(strings.Repeat("0", 64)) {
		t.Error("Contains found a hash that is no contribution")
	}
}
