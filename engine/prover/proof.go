package prover

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
)

// ProofSize is the length of a proof's encoding: gnark's compressed
// encoding of Ar (G1), Bs (G2), Krs (G1), the commitments (a uint32 count
// and one G1) and the commitment's proof of knowledge (G1).
const ProofSize = g1Compressed + g2Compressed + g1Compressed + 4 + g1Compressed + g1Compressed

// CommitmentSize is the length of a commitment: one compressed G1 point.
const CommitmentSize = g1Compressed

// Proof is one session proof: a BN254 Groth16 proof with exactly one BSB22
// commitment, the salted commitment to the module's weights.
type Proof struct {
	p groth16bn254.Proof
}

// Groth16 returns gnark's proof. It must not be modified.
func (p *Proof) Groth16() *groth16bn254.Proof { return &p.p }

// Commitment returns the proof's weight commitment: 32 bytes, a compressed
// G1 point. It is nil for a proof without exactly one commitment (which
// Verify rejects).
func (p *Proof) Commitment() []byte {
	if len(p.p.Commitments) != 1 {
		return nil
	}
	b := p.p.Commitments[0].Bytes()
	return b[:]
}

// MarshalBinary returns the proof's encoding (ProofSize bytes).
func (p *Proof) MarshalBinary() ([]byte, error) {
	if len(p.p.Commitments) != 1 {
		return nil, fmt.Errorf("encode proof: %d commitments, want 1", len(p.p.Commitments))
	}
	var buf bytes.Buffer
	buf.Grow(ProofSize)
	if _, err := p.p.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encode proof: %w", err)
	}
	return buf.Bytes(), nil
}

// WriteTo writes the proof's encoding to w.
func (p *Proof) WriteTo(w io.Writer) (int64, error) {
	b, err := p.MarshalBinary()
	if err != nil {
		return 0, err
	}
	n, err := w.Write(b)
	return int64(n), err
}

// ReadFrom reads exactly ProofSize bytes from r and decodes them (see
// UnmarshalBinary).
func (p *Proof) ReadFrom(r io.Reader) (int64, error) {
	var b [ProofSize]byte
	n, err := io.ReadFull(r, b[:])
	if err != nil {
		return int64(n), fmt.Errorf("decode proof: %w", err)
	}
	return int64(n), p.UnmarshalBinary(b[:])
}

// UnmarshalBinary decodes a proof. It accepts only the canonical encoding
// of exactly one commitment, with every point on the curve and in its
// subgroup; anything else (truncated, flipped, padded) is an error, never a
// panic.
func (p *Proof) UnmarshalBinary(b []byte) error {
	q, err := DecodeProof(b)
	if err != nil {
		return err
	}
	*p = *q
	return nil
}

// DecodeProof decodes a proof from its encoding (see UnmarshalBinary).
func DecodeProof(b []byte) (*Proof, error) {
	if len(b) != ProofSize {
		return nil, fmt.Errorf("decode proof: %d bytes, want %d", len(b), ProofSize)
	}
	if n := binary.BigEndian.Uint32(b[g1Compressed+g2Compressed+g1Compressed:]); n != 1 {
		return nil, fmt.Errorf("decode proof: %d commitments, want 1", n)
	}
	p := new(Proof)
	if err := safeDecode("decode proof", func() error {
		n, err := p.p.ReadFrom(bytes.NewReader(b))
		if err == nil && n != int64(len(b)) {
			err = fmt.Errorf("read %d of %d bytes", n, len(b))
		}
		return err
	}); err != nil {
		return nil, err
	}
	if len(p.p.Commitments) != 1 {
		return nil, errors.New("decode proof: want exactly one commitment")
	}
	if err := checkProofPoints(&p.p); err != nil {
		return nil, fmt.Errorf("decode proof: %w", err)
	}
	re, err := p.MarshalBinary()
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(re, b) {
		return nil, errors.New("decode proof: non-canonical encoding")
	}
	return p, nil
}

// checkProofPoints checks every point of a proof is on its curve and in the
// prime-order subgroup (gnark's decoder does so too; proofs built in memory
// go through here before batch verification).
func checkProofPoints(p *groth16bn254.Proof) error {
	if !p.Ar.IsInSubGroup() || !p.Krs.IsInSubGroup() || !p.Bs.IsInSubGroup() || !p.CommitmentPok.IsInSubGroup() {
		return errors.New("proof point not in the prime-order subgroup")
	}
	for i := range p.Commitments {
		if !p.Commitments[i].IsInSubGroup() {
			return errors.New("commitment not in the prime-order subgroup")
		}
	}
	return nil
}
