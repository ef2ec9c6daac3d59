package wire

import (
	"bytes"
	"testing"
)

func frameSeeds(f *testing.F) {
	for _, m := range sampleMessages() {
		fr, err := Encode(m)
		if err != nil {
			f.Fatal(err)
		}
		b, err := AppendFrame(nil, fr)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{'Z', 'L', Version, byte(TypeForward), 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
}

// FuzzDecodeFrame: any byte string either fails to decode or decodes to a
// frame whose re-encoding is the input.
func FuzzDecodeFrame(f *testing.F) {
	frameSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := DecodeFrame(b, 1<<16)
		rf, rerr := ReadFrame(bytes.NewReader(b), 1<<16)
		if err != nil {
			// ReadFrame may accept a whole frame followed by more bytes;
			// DecodeFrame must not. Otherwise the two agree.
			if rerr == nil && HeaderSize+len(rf.Payload) == len(b) {
				t.Fatalf("ReadFrame accepted what DecodeFrame refused: %v", err)
			}
			return
		}
		if rerr != nil || rf.Type != fr.Type || !bytes.Equal(rf.Payload, fr.Payload) {
			t.Fatalf("ReadFrame disagrees with DecodeFrame: %v", rerr)
		}
		_, _ = Decode(fr)
		out, err := AppendFrame(nil, fr)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("re-encoding differs")
		}
	})
}

// FuzzDecodeMessage: decoding any frame never panics, and a message that
// decodes re-encodes to a payload that decodes to the same encoding.
func FuzzDecodeMessage(f *testing.F) {
	for _, m := range sampleMessages() {
		fr, err := Encode(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(byte(fr.Type), fr.Payload)
	}
	f.Fuzz(func(t *testing.T, typ byte, payload []byte) {
		m, err := Decode(Frame{Type: Type(typ), Payload: payload})
		if err != nil {
			return
		}
		fr, err := Encode(m)
		if err != nil {
			t.Fatalf("a decoded %T does not re-encode: %v", m, err)
		}
		if !bytes.Equal(fr.Payload, payload) {
			t.Fatalf("%T: re-encoding differs from the input", m)
		}
	})
}
