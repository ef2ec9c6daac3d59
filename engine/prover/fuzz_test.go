package prover

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// The fuzz targets check that the decoders never panic and that whatever
// they accept re-encodes to the same bytes.

func FuzzProofDecode(f *testing.F) {
	k := devKeys(f, small)
	fx := newFixture(f, small, 1, 900)
	p := mustProve(f, k, fx.st, fx.A, fx.B, mustSalt(f))
	b, err := p.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:ProofSize-1])
	f.Add(make([]byte, ProofSize))
	f.Fuzz(func(t *testing.T, data []byte) {
		q, err := DecodeProof(data)
		if err != nil {
			return
		}
		re, err := q.MarshalBinary()
		if err != nil || !bytes.Equal(re, data) {
			t.Fatalf("accepted proof does not re-encode to its bytes: %v", err)
		}
		if len(q.Commitment()) != CommitmentSize {
			t.Fatal("accepted proof without one commitment")
		}
	})
}

func FuzzVKDecode(f *testing.F) {
	k := devKeys(f, small)
	b, err := EncodeVK(k.VK)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add(make([]byte, len(b)))
	f.Fuzz(func(t *testing.T, data []byte) {
		t0 := time.Now()
		vk, err := DecodeVK(data, small)
		if d := time.Since(t0); d > time.Second {
			t.Fatalf("DecodeVK took %v", d)
		}
		if err != nil {
			return
		}
		re, _ := EncodeVK(vk)
		if !bytes.Equal(re, data) {
			t.Fatal("accepted vk does not re-encode to its bytes")
		}
	})
}

func FuzzKeyMetaDecode(f *testing.F) {
	m := keyMeta{
		Format: keyMetaFormat, CircuitID: CircuitID(small), Shape: small, Mode: KeyModeDev,
		VKFingerprint: "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
		GnarkVersion:  PinnedGnarkVersion, Arch: "amd64",
		Files: map[string]fileMeta{
			csFile: {Size: 10, SHA256: "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"},
			pkFile: {Size: 10, SHA256: "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"},
			vkFile: {Size: 10, SHA256: "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"},
		},
	}
	good, _ := json.Marshal(m)
	if _, err := decodeKeyMeta(good); err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"format":1} {}`))
	f.Add([]byte(`{"shape":{"d":-1,"r":1,"o":1}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeKeyMeta(data)
		if err != nil {
			return
		}
		if !m.Mode.Valid() || m.Shape.Validate() != nil || len(m.Files) != 3 {
			t.Fatal("decodeKeyMeta accepted an invalid meta")
		}
	})
}
