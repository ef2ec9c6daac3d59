package wire

import "io"

// Marshal validates m and returns its whole frame, header included.
func Marshal(m Message) ([]byte, error) { return encodeFrame(m) }

// WriteMessage encodes m and writes it as one frame, in one Write call.
func WriteMessage(w io.Writer, m Message) error {
	b, err := encodeFrame(m)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
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
