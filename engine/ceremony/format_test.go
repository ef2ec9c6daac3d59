package ceremony

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zklora/zklora/engine/prover"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	tr, _ := finishedCeremony(t)
	b, err := tr.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := back.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) || back.Hash() != tr.Hash() {
		t.Fatal("round trip changed the transcript")
	}
	// Every phase encodes and decodes.
	p1, err := Init(small)
	if err != nil {
		t.Fatal(err)
	}
	for _, phase := range []*Transcript{p1} {
		b, err := phase.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Decode(b); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDecodeTruncated(t *testing.T) {
	tr, _ := finishedCeremony(t)
	b, err := tr.Encode()
	if err != nil {
		t.Fatal(err)
	}
	step := len(b)/997 + 1
	for n := 0; n < len(b); n += step {
		if _, err := Decode(b[:n]); err == nil {
			t.Fatalf("transcript truncated to %d of %d bytes decoded", n, len(b))
		}
	}
	_, err = Decode(b[:len(b)-1])
	if err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("one byte short: %v", err)
	}
	if _, err := Decode(append(bytes.Clone(b), 0)); err == nil || !strings.Contains(err.Error(), "trailing") {
		t.Errorf("one byte more: %v", err)
	}
}

func TestDecodeCorrupt(t *testing.T) {
	tr, _ := finishedCeremony(t)
	b, err := tr.Encode()
	if err != nil {
		t.Fatal(err)
	}
	hdr := len(Magic)
	cases := map[string]struct {
		mut  func(b []byte)
		want string
	}{
		"magic":          {func(b []byte) { b[0] = 'X' }, "bad magic"},
		"version":        {func(b []byte) { b[hdr+1] = 9 }, "version"},
		"phase":          {func(b []byte) { b[hdr+2] = 7 }, "phase"},
		"shape":          {func(b []byte) { binary.BigEndian.PutUint32(b[hdr+3:], 0) }, "shape"},
		"domain":         {func(b []byte) { binary.BigEndian.PutUint64(b[hdr+15:], 3) }, "domain"},
		"huge domain":    {func(b []byte) { binary.BigEndian.PutUint64(b[hdr+15:], 1<<40) }, "domain"},
		"count":          {func(b []byte) { binary.BigEndian.PutUint16(b[hdr+23:], 60000) }, "contributions"},
		"huge length":    {func(b []byte) { binary.BigEndian.PutUint64(b[hdr+25:], 1<<62) }, "does not fit"},
		"data corrupted": {func(b []byte) { b[hdr+25+8+32+100] ^= 1 }, "corrupt"},
		"hash corrupted": {func(b []byte) { b[hdr+25+8+3] ^= 1 }, "corrupt"},
	}
	for name, c := range cases {
		bb := bytes.Clone(b)
		c.mut(bb)
		_, err := Decode(bb)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error about %q", name, err, c.want)
		}
	}
}

func TestDecodeStatesRefuseGarbage(t *testing.T) {
	tr, _ := finishedCeremony(t)
	p1 := tr.Phase1[0].Data
	if _, err := decodePhase1(p1, tr.Domain); err != nil {
		t.Fatal(err)
	}
	if _, err := decodePhase1(p1, tr.Domain*2); err == nil {
		t.Error("phase-1 state decoded for another domain")
	}
	if _, err := decodePhase1(p1[:len(p1)-1], tr.Domain); err == nil {
		t.Error("truncated phase-1 state decoded")
	}
	p2 := tr.Phase2[0].Data
	if _, err := decodePhase2(p2); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 2, 40, len(p2) / 2, len(p2) - 1} {
		if _, err := decodePhase2(p2[:n]); err == nil {
			t.Errorf("phase-2 state truncated to %d bytes decoded", n)
		}
	}
	big := bytes.Clone(p2)
	binary.BigEndian.PutUint32(big[2+g1Size:], 1<<31)
	if _, err := decodePhase2(big); err == nil {
		t.Error("phase-2 state with a huge slice length decoded")
	}
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file read")
	}
	p := filepath.Join(dir, "junk")
	if err := os.WriteFile(p, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(p); err == nil || !strings.Contains(err.Error(), "junk") {
		t.Errorf("junk file: %v", err)
	}
	if _, err := ReadFile(dir); err == nil {
		t.Error("directory read as a transcript")
	}
}

func TestStore(t *testing.T) {
	store, err := prover.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadFromStore(store, small); !errors.Is(err, prover.ErrKeysNotFound) {
		t.Fatalf("empty store: %v", err)
	}
	tr, keys := finishedCeremony(t)
	if err := SaveToStore(store, tr, keys); err != nil {
		t.Fatal(err)
	}
	// A fresh Store over the same directory remembers the ceremony.
	store2, err := prover.OpenStore(store.Dir())
	if err != nil {
		t.Fatal(err)
	}
	got, gotT, err := LoadOrRunLocal(store2, small, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got.Ceremony != keys.Ceremony || got.VK.Fingerprint() != keys.VK.Fingerprint() || gotT.Hash() != tr.Hash() {
		t.Fatal("stored ceremony keys differ")
	}
	if err := proveAndVerify(t, got, keys, newSession(t, small, 4)); err != nil {
		t.Fatalf("proof with stored ceremony keys: %v", err)
	}
	// Saving keys that are not the transcript's is refused.
	_, other, err := RunLocal(small, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := SaveToStore(store, other, keys); err == nil {
		t.Error("keys saved with a transcript they do not come from")
	}
	// A transcript replaced under the keys is noticed.
	ob, err := other.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(TranscriptPath(store, small), ob, 0o644); err != nil {
		t.Fatal(err)
	}
	store3, _ := prover.OpenStore(store.Dir())
	if _, _, err := LoadFromStore(store3, small); err == nil {
		t.Error("keys loaded with a foreign transcript")
	}
	// Dev keys in the store are not ceremony keys.
	devStore, _ := prover.OpenStore(t.TempDir())
	if _, err := devStore.LoadOrCreateDev(small); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrRunLocal(devStore, small, 2); err == nil {
		t.Error("dev keys returned as ceremony keys")
	}
}

func TestRunLocalRefuses(t *testing.T) {
	if _, _, err := RunLocal(small, 1); err == nil {
		t.Error("one-party ceremony run")
	}
	bad := small
	bad.D = 0
	if _, _, err := RunLocal(bad, 2); err == nil {
		t.Error("invalid shape accepted")
	}
}
