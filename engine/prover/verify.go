package prover

import (
	"bytes"
	"errors"
	"fmt"

	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/zklora/zklora/circuits"
)

// ErrCommitmentMismatch is returned when a proof's weight commitment is not
// the one pinned for the module (other weights, other salt, or a proof
// without exactly one commitment).
var ErrCommitmentMismatch = errors.New("the proof's weight commitment differs from the pinned commitment")

// ErrInvalidProof is returned when a proof does not verify.
var ErrInvalidProof = errors.New("invalid proof")

// Verify checks proof against the statement st under vk, and that the
// proof commits to the pinned commitment (the 32 bytes announced before
// inference). It returns ErrCommitmentMismatch or an error wrapping
// ErrInvalidProof on failure.
func Verify(vk *VerifyingKey, st circuits.Statement, pinnedCommitment []byte, proof *Proof) error {
	if vk == nil || proof == nil {
		return errors.New("verify: nil key or proof")
	}
	if err := checkStatement(vk, st); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if err := checkPinned(proof, pinnedCommitment); err != nil {
		return err
	}
	if err := groth16bn254.Verify(&proof.p, vk.vk, publicVector(st)); err != nil {
		return fmt.Errorf("verify: %w: %v", ErrInvalidProof, err)
	}
	return nil
}

// checkStatement checks that st fits vk's shape.
func checkStatement(vk *VerifyingKey, st circuits.Statement) error {
	if st.Shape != vk.shape {
		return fmt.Errorf("statement is for shape %s, the key for %s", st.Shape, vk.shape)
	}
	if len(st.Xbar) != vk.shape.D {
		return fmt.Errorf("statement has %d xbar elements, shape %s wants %d", len(st.Xbar), vk.shape, vk.shape.D)
	}
	return nil
}

// checkPinned checks that proof has exactly one commitment and that it is
// the pinned one.
func checkPinned(proof *Proof, pinned []byte) error {
	if len(pinned) != CommitmentSize {
		return fmt.Errorf("%w: pinned commitment has %d bytes, want %d", ErrCommitmentMismatch, len(pinned), CommitmentSize)
	}
	if len(proof.p.Commitments) != 1 {
		return fmt.Errorf("%w: the proof has %d commitments, want 1", ErrCommitmentMismatch, len(proof.p.Commitments))
	}
	if !bytes.Equal(proof.Commitment(), pinned) {
		return ErrCommitmentMismatch
	}
	return nil
}
