package ceremony

import (
	"bytes"
	"testing"
)

// tinyPhase1 is a valid phase-1 state for domain 4 (fuzz seed).
func tinyPhase1(f *testing.F) []byte {
	tr := &Transcript{Shape: small, Domain: 4, Phase: Phase1}
	c, err := tr.Contribute()
	if err != nil {
		f.Fatal(err)
	}
	return c.Data
}

// FuzzDecode checks that Decode never panics and that whatever it accepts
// re-encodes to the same bytes.
func FuzzDecode(f *testing.F) {
	tr := &Transcript{Shape: small, Domain: 4, Phase: Phase1}
	if _, err := tr.Contribute(); err != nil {
		f.Fatal(err)
	}
	b, err := tr.Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add([]byte(Magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := Decode(b)
		if err != nil {
			return
		}
		again, err := tr.Encode()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted transcript does not re-encode: %v", err)
		}
	})
}

// FuzzDecodePhase1 checks that the bounded phase-1 decoder never panics.
func FuzzDecodePhase1(f *testing.F) {
	b := tinyPhase1(f)
	f.Add(b)
	f.Add(b[:100])
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodePhase1(b, 4)
		if err != nil {
			return
		}
		again, err := encodeState(p)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatal("accepted phase-1 state does not re-encode")
		}
	})
}

// FuzzDecodePhase2 checks that the bounded phase-2 decoder never panics.
func FuzzDecodePhase2(f *testing.F) {
	tr, _ := finishedCeremony(f)
	f.Add(tr.Phase2Init.Data)
	f.Add(tr.Phase2[0].Data)
	f.Add([]byte{0, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodePhase2(b)
		if err != nil {
			return
		}
		again, err := encodeState(p)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatal("accepted phase-2 state does not re-encode")
		}
	})
}

// FuzzDecodeLagrange checks that the Lagrange-bases decoder and the Z
// reader never panic and that accepted bases re-encode to the same bytes.
func FuzzDecodeLagrange(f *testing.F) {
	tr, _ := finishedCeremony(f)
	f.Add(tr.Lagrange.Data, tr.Phase2Init.Data)
	f.Add(tr.Lagrange.Data[:100], tr.Phase2Init.Data[:50])
	f.Add([]byte{}, []byte{0, 1, 0})
	n := tr.Domain
	f.Fuzz(func(t *testing.T, b, init []byte) {
		if l, err := decodeLagrange(b, n); err == nil && !bytes.Equal(l.encode(), b) {
			t.Fatal("accepted Lagrange bases do not re-encode")
		}
		if z, err := phase2Z(init, n); err == nil && uint64(len(z)) != n-1 {
			t.Fatalf("Z of %d points for domain %d", len(z), n)
		}
	})
}
