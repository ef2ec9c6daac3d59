package prover

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zklora/zklora/circuits"
)

func TestVKEncoding(t *testing.T) {
	k := devKeys(t, small)
	b, err := EncodeVK(k.VK)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != vkEncodedLen(small.D) {
		t.Fatalf("vk encodes to %d bytes, vkEncodedLen says %d", len(b), vkEncodedLen(small.D))
	}
	vk, err := DecodeVK(b, small)
	if err != nil {
		t.Fatal(err)
	}
	if vk.Fingerprint() != k.VK.Fingerprint() || VKFingerprint(vk) != k.VK.Fingerprint() || len(vk.Fingerprint()) != 64 {
		t.Fatal("fingerprint changed through encode/decode")
	}
	// A verifying key determines d only (its K points); r and o are pinned
	// by the circuit id and the key's fingerprint in the manifest.
	if _, err := DecodeVK(b, circuits.Shape{D: 17, R: 4, O: 32}); err == nil {
		t.Fatal("vk decoded for another d")
	}
	other := devKeys(t, small)
	if other.VK.Fingerprint() == k.VK.Fingerprint() {
		t.Fatal("two setups gave the same fingerprint")
	}

	path := filepath.Join(t.TempDir(), "k.vk")
	if err := WriteVK(path, k.VK); err != nil {
		t.Fatal(err)
	}
	vk2, err := LoadVK(path, small)
	if err != nil || vk2.Fingerprint() != k.VK.Fingerprint() {
		t.Fatalf("LoadVK: %v", err)
	}

	// Every single-byte flip is rejected or gives another key; never a panic.
	for i := range b {
		c := bytes.Clone(b)
		c[i] ^= 0x10
		if vk, err := DecodeVK(c, small); err == nil && vk.Fingerprint() == k.VK.Fingerprint() {
			t.Fatalf("flip at %d decoded to the same key", i)
		}
	}
	for _, n := range []int{0, 100, len(b) - 1, len(b) + 1} {
		c := make([]byte, n)
		copy(c, b)
		if _, err := DecodeVK(c, small); err == nil {
			t.Fatalf("vk of %d bytes decoded", n)
		}
	}
	// Proofs verify under the decoded key.
	f := newFixture(t, small, 2, 60)
	p := mustProve(t, k, f.st, f.A, f.B, mustSalt(t))
	if err := Verify(vk, f.st, p.Commitment(), p); err != nil {
		t.Fatal(err)
	}
	if err := Verify(other.VK, f.st, p.Commitment(), p); err == nil {
		t.Fatal("proof verifies under another setup's key")
	}
}

func TestCircuitID(t *testing.T) {
	id := CircuitID(bigShape)
	if !strings.HasPrefix(id, "s1-768x8x2304-") || len(id) != len("s1-768x8x2304-")+16 {
		t.Fatalf("circuit id %q", id)
	}
	if CircuitID(small) == CircuitID(circuits.Shape{D: 16, R: 4, O: 33}) {
		t.Fatal("two shapes share a circuit id")
	}
	if v := GnarkVersion(); v != PinnedGnarkVersion {
		t.Fatalf("linked gnark is %s, this package is pinned to %s: re-run every commitment test before moving the pin", v, PinnedGnarkVersion)
	}
}

func TestNewKeysRejectsMismatch(t *testing.T) {
	a := devKeys(t, small)
	b := devKeys(t, small)
	if _, err := NewKeys(small, KeyModeDev, "", a.CS, a.PK, b.VK.Groth16()); err == nil {
		t.Fatal("keys from two setups accepted together")
	}
	if _, err := NewKeys(circuits.Shape{D: 16, R: 4, O: 31}, KeyModeDev, "", a.CS, a.PK, a.VK.Groth16()); err == nil {
		t.Fatal("keys accepted for another shape")
	}
	if _, err := NewKeys(small, "trusted", "", a.CS, a.PK, a.VK.Groth16()); err == nil {
		t.Fatal("unknown mode accepted")
	}
	if _, err := Prove(&Keys{Shape: small}, zeroStatement(small), nil, nil, mustSalt(t)); err == nil {
		t.Fatal("unchecked keys accepted")
	}
}
