package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Version is the protocol version carried in every frame header.
const Version = 1

// HeaderSize is the size of a frame header in bytes.
const HeaderSize = 8

// Frame size limits.
const (
	// DefaultMaxFrame bounds a frame's payload unless a caller chooses
	// otherwise. It fits a distilgpt2 c_fc answer over 1024 tokens
	// (1024·3072·8 bytes = 24 MiB).
	DefaultMaxFrame = 32 << 20
	// AbsoluteMaxFrame is the largest payload any reader accepts, whatever
	// limit it is given.
	AbsoluteMaxFrame = 1 << 30
)

var magic = [2]byte{'Z', 'L'}

// Errors returned by frame reading.
var (
	ErrBadMagic      = errors.New("wire: bad magic (not a zklora peer)")
	ErrBadVersion    = errors.New("wire: unsupported protocol version")
	ErrFrameTooLarge = errors.New("wire: frame exceeds the maximum size")
	ErrUnknownType   = errors.New("wire: unknown message type")
)

// Frame is one message on the wire: its type and encoded payload.
type Frame struct {
	Type    Type
	Payload []byte
}

// Header is a decoded frame header.
type Header struct {
	Version byte
	Type    Type
	Length  uint32
}

// ParseHeader decodes and validates an 8-byte frame header against max
// (0 means DefaultMaxFrame). It does not allocate.
func ParseHeader(h [HeaderSize]byte, max uint32) (Header, error) {
	if max == 0 {
		max = DefaultMaxFrame
	}
	if max > AbsoluteMaxFrame {
		max = AbsoluteMaxFrame
	}
	if h[0] != magic[0] || h[1] != magic[1] {
		return Header{}, ErrBadMagic
	}
	if h[2] != Version {
		return Header{}, fmt.Errorf("%w %d (this peer speaks %d)", ErrBadVersion, h[2], Version)
	}
	hd := Header{Version: h[2], Type: Type(h[3]), Length: binary.BigEndian.Uint32(h[4:])}
	if !hd.Type.Known() {
		return Header{}, fmt.Errorf("%w 0x%02x", ErrUnknownType, byte(hd.Type))
	}
	if hd.Length > max {
		return Header{}, fmt.Errorf("%w: %d bytes announced, limit %d", ErrFrameTooLarge, hd.Length, max)
	}
	return hd, nil
}

// ReadFrame reads one frame from r. The header is validated — magic,
// version, known type, length ≤ max (0 means DefaultMaxFrame) — before the
// payload buffer is allocated.
func ReadFrame(r io.Reader, max uint32) (Frame, error) {
	var h [HeaderSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return Frame{}, err
	}
	hd, err := ParseHeader(h, max)
	if err != nil {
		return Frame{}, err
	}
	payload := make([]byte, hd.Length)
	if _, err := io.ReadFull(r, payload); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Frame{}, fmt.Errorf("wire: reading %d-byte payload: %w", hd.Length, err)
	}
	return Frame{Type: hd.Type, Payload: payload}, nil
}

// AppendFrame appends the encoding of f (header and payload) to b.
func AppendFrame(b []byte, f Frame) ([]byte, error) {
	if uint64(len(f.Payload)) > AbsoluteMaxFrame {
		return nil, ErrFrameTooLarge
	}
	if !f.Type.Known() {
		return nil, fmt.Errorf("%w 0x%02x", ErrUnknownType, byte(f.Type))
	}
	b = append(b, magic[0], magic[1], Version, byte(f.Type))
	b = binary.BigEndian.AppendUint32(b, uint32(len(f.Payload)))
	return append(b, f.Payload...), nil
}

// WriteFrame writes f to w in a single Write call.
func WriteFrame(w io.Writer, f Frame) error {
	b, err := AppendFrame(make([]byte, 0, HeaderSize+len(f.Payload)), f)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// DecodeFrame decodes one whole frame from b, which must hold exactly one
// frame. It is ReadFrame for byte slices (and the fuzz target's entry).
func DecodeFrame(b []byte, max uint32) (Frame, error) {
	if len(b) < HeaderSize {
		return Frame{}, fmt.Errorf("wire: %d bytes is shorter than a frame header", len(b))
	}
	hd, err := ParseHeader([HeaderSize]byte(b[:HeaderSize]), max)
	if err != nil {
		return Frame{}, err
	}
	if uint64(len(b)-HeaderSize) != uint64(hd.Length) {
		return Frame{}, fmt.Errorf("wire: frame announces %d payload bytes, has %d", hd.Length, len(b)-HeaderSize)
	}
	return Frame{Type: hd.Type, Payload: b[HeaderSize:]}, nil
}
