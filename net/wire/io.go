package wire

import "io"

// WriteMessage encodes m and writes it as one frame.
func WriteMessage(w io.Writer, m Message) error {
	f, err := Encode(m)
	if err != nil {
		return err
	}
	return WriteFrame(w, f)
}

// ReadMessage reads one frame (payload at most max bytes, 0 meaning
// DefaultMaxFrame) and decodes it.
func ReadMessage(r io.Reader, max uint32) (Message, error) {
	f, err := ReadFrame(r, max)
	if err != nil {
		return nil, err
	}
	return Decode(f)
}
