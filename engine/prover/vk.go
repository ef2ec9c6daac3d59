package prover

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/fsutil"
)

// VerifyingKey is the Groth16 verifying key of one circuit shape, checked
// against that shape, with its fingerprint and the values the batch
// verifier precomputes.
type VerifyingKey struct {
	shape       circuits.Shape
	vk          *groth16bn254.VerifyingKey
	encoded     []byte // canonical (compressed) encoding
	fingerprint string

	gammaNeg, deltaNeg bn254.G2Affine
	alphaNeg           bn254.G1Affine
}

// Sizes of the compressed encodings gnark uses for BN254.
const (
	g1Compressed = bn254.SizeOfG1AffineCompressed // 32
	g2Compressed = bn254.SizeOfG2AffineCompressed // 64
)

// vkEncodedLen is the exact length of the compressed encoding of a session
// circuit's verifying key for input width d: α, β, δ in G1; β, γ, δ in G2;
// K (d+4 points: one, d+2 public inputs, the commitment hash) with a
// uint32 length; the committed public indexes ([[]]: two uint32 lengths);
// the number of commitment keys (uint32) and one Pedersen key (two G2).
func vkEncodedLen(d int) int {
	return 3*g1Compressed + 3*g2Compressed + 4 + (d+4)*g1Compressed + 4 + 4 + 4 + 2*g2Compressed
}

// newVerifyingKey checks vk against shape s and wraps it.
func newVerifyingKey(s circuits.Shape, vk *groth16bn254.VerifyingKey) (*VerifyingKey, error) {
	if len(vk.G1.K) != s.D+4 {
		return nil, fmt.Errorf("verifying key has %d K points, shape %s wants %d", len(vk.G1.K), s, s.D+4)
	}
	if len(vk.CommitmentKeys) != 1 || len(vk.PublicAndCommitmentCommitted) != 1 || len(vk.PublicAndCommitmentCommitted[0]) != 0 {
		return nil, errors.New("verifying key does not have exactly one commitment over private wires only")
	}
	var buf bytes.Buffer
	buf.Grow(vkEncodedLen(s.D))
	if _, err := vk.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encode verifying key: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	w := &VerifyingKey{
		shape:       s,
		vk:          vk,
		encoded:     buf.Bytes(),
		fingerprint: hex.EncodeToString(sum[:]),
	}
	w.gammaNeg.Neg(&vk.G2.Gamma)
	w.deltaNeg.Neg(&vk.G2.Delta)
	w.alphaNeg.Neg(&vk.G1.Alpha)
	return w, nil
}

// Shape returns the circuit shape the key is for.
func (vk *VerifyingKey) Shape() circuits.Shape { return vk.shape }

// CircuitID returns the circuit id of the key's shape (see CircuitID).
func (vk *VerifyingKey) CircuitID() string { return CircuitID(vk.shape) }

// Fingerprint returns the hex SHA-256 of the key's canonical (compressed)
// encoding, the value pinned in manifests.
func (vk *VerifyingKey) Fingerprint() string { return vk.fingerprint }

// Groth16 returns gnark's verifying key. It must not be modified.
func (vk *VerifyingKey) Groth16() groth16.VerifyingKey { return vk.vk }

// MarshalBinary returns the canonical (compressed gnark) encoding.
func (vk *VerifyingKey) MarshalBinary() ([]byte, error) {
	return bytes.Clone(vk.encoded), nil
}

// VKFingerprint returns vk.Fingerprint(): the hex SHA-256 of the verifying
// key's canonical encoding.
func VKFingerprint(vk *VerifyingKey) string {
	if vk == nil {
		return ""
	}
	return vk.fingerprint
}

// EncodeVK returns the canonical encoding of vk (gnark's compressed
// encoding), as written to keys/<circuit id>.vk in the artifacts.
func EncodeVK(vk *VerifyingKey) ([]byte, error) {
	if vk == nil {
		return nil, errors.New("encode verifying key: nil key")
	}
	return vk.MarshalBinary()
}

// DecodeVK decodes a verifying key for shape s from its canonical encoding.
// It checks the length and every length field before gnark's decoder sees
// the bytes (so no input can make it allocate more than the shape needs),
// checks every point (on the curve, in the subgroup), refuses any
// non-canonical encoding, and turns a decoder panic into an error.
func DecodeVK(b []byte, s circuits.Shape) (*VerifyingKey, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if want := vkEncodedLen(s.D); len(b) != want {
		return nil, fmt.Errorf("verifying key: %d bytes, shape %s wants %d", len(b), s, want)
	}
	off := 3*g1Compressed + 3*g2Compressed
	if n := binary.BigEndian.Uint32(b[off:]); n != uint32(s.D+4) {
		return nil, fmt.Errorf("verifying key: %d K points, shape %s wants %d", n, s, s.D+4)
	}
	off += 4 + (s.D+4)*g1Compressed
	if outer, inner := binary.BigEndian.Uint32(b[off:]), binary.BigEndian.Uint32(b[off+4:]); outer != 1 || inner != 0 {
		return nil, errors.New("verifying key: commitment must cover private wires only")
	}
	if n := binary.BigEndian.Uint32(b[off+8:]); n != 1 {
		return nil, fmt.Errorf("verifying key: %d commitment keys, want 1", n)
	}
	vk := new(groth16bn254.VerifyingKey)
	if err := safeDecode("verifying key", func() error {
		n, err := vk.ReadFrom(bytes.NewReader(b))
		if err == nil && n != int64(len(b)) {
			err = fmt.Errorf("read %d of %d bytes", n, len(b))
		}
		return err
	}); err != nil {
		return nil, err
	}
	w, err := newVerifyingKey(s, vk)
	if err != nil {
		return nil, fmt.Errorf("verifying key: %w", err)
	}
	if !bytes.Equal(w.encoded, b) {
		return nil, errors.New("verifying key: non-canonical encoding")
	}
	return w, nil
}

// maxVKFile bounds the size of a verifying key file read by LoadVK.
const maxVKFile = 8 << 20

// LoadVK reads a verifying key for shape s written by WriteVK (or taken
// from an artifact directory).
func LoadVK(path string, s circuits.Shape) (*VerifyingKey, error) {
	b, err := fsutil.ReadFileLimited(path, maxVKFile)
	if err != nil {
		return nil, err
	}
	vk, err := DecodeVK(b, s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return vk, nil
}

// WriteVK writes vk's canonical encoding to path, crash-safe.
func WriteVK(path string, vk *VerifyingKey) error {
	b, err := EncodeVK(vk)
	if err != nil {
		return err
	}
	return fsutil.WriteBytesAtomic(path, 0o644, b)
}

// safeDecode runs a gnark decoder and turns a panic into an error: gnark's
// decoders are not hardened against every malformed input.
func safeDecode(what string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: malformed encoding (decoder panicked: %v)", what, r)
		}
	}()
	if err := fn(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
