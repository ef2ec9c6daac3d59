package wire

import (
	"bytes"
	"testing"
)

func ceremonySamples() []Message {
	h := bytes.Repeat([]byte{9}, 32)
	return []Message{
		&CeremonyRequest{Op: CeremonyStart, D: 768, R: 8, O: 2304},
		&CeremonyRequest{Op: CeremonyPut, Offset: 3, Total: 10, Data: []byte{1, 2, 3}},
		&CeremonyRequest{Op: CeremonyPhase2},
		&CeremonyRequest{Op: CeremonyFinish},
		&CeremonyRequest{Op: CeremonyGet, Offset: 7},
		&CeremonyResponse{Op: CeremonyGet, Total: 10, Hash: h, Offset: 8, Data: []byte{4, 5}},
		&CeremonyResponse{Op: CeremonyStart, Total: 10, Hash: h},
	}
}

func TestCeremonyMessagesRoundTrip(t *testing.T) {
	for _, m := range ceremonySamples() {
		fr, err := Encode(m)
		if err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		got, err := Decode(fr)
		if err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		again, err := Encode(got)
		if err != nil || !bytes.Equal(again.Payload, fr.Payload) {
			t.Fatalf("%T does not round-trip: %v", m, err)
		}
	}
}

func TestCeremonyMessagesInvalid(t *testing.T) {
	h := bytes.Repeat([]byte{9}, 32)
	for name, m := range map[string]Message{
		"unknown op":          &CeremonyRequest{Op: 9},
		"start without shape": &CeremonyRequest{Op: CeremonyStart},
		"shape on put":        &CeremonyRequest{Op: CeremonyPut, D: 1, R: 1, O: 1, Total: 1, Data: []byte{1}},
		"put past total":      &CeremonyRequest{Op: CeremonyPut, Offset: 9, Total: 10, Data: []byte{1, 2}},
		"put too large":       &CeremonyRequest{Op: CeremonyPut, Total: MaxCeremonyTranscript + 1},
		"get with data":       &CeremonyRequest{Op: CeremonyGet, Data: []byte{1}},
		"step with data":      &CeremonyRequest{Op: CeremonyFinish, Data: []byte{1}},
		"short hash":          &CeremonyResponse{Op: CeremonyGet, Total: 1, Hash: h[:31]},
		"chunk past total":    &CeremonyResponse{Op: CeremonyGet, Total: 1, Hash: h, Data: []byte{1, 2}},
		"chunk too large":     &CeremonyRequest{Op: CeremonyPut, Total: 2 * MaxChunk, Data: make([]byte, MaxChunk+1)},
	} {
		if _, err := Encode(m); err == nil {
			t.Errorf("%s: encoded", name)
		}
	}
}

// FuzzDecodeCeremony: any ceremony payload decodes or fails without
// panicking, and what decodes re-encodes identically.
func FuzzDecodeCeremony(f *testing.F) {
	for _, m := range ceremonySamples() {
		fr, err := Encode(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(fr.Type == TypeCeremony, fr.Payload)
	}
	f.Fuzz(func(t *testing.T, req bool, payload []byte) {
		typ := TypeCeremonyOK
		if req {
			typ = TypeCeremony
		}
		m, err := Decode(Frame{Type: typ, Payload: payload})
		if err != nil {
			return
		}
		fr, err := Encode(m)
		if err != nil {
			t.Fatalf("a decoded %T does not re-encode: %v", m, err)
		}
		if !bytes.Equal(fr.Payload, payload) {
			t.Fatalf("%T re-encodes differently", m)
		}
	})
}
