package prover

import (
	"fmt"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/zklora/zklora/circuits"
)

// Commitment returns the commitment every proof made with keys, the
// weights A, B and salt carries (Proof.Commitment): 32 bytes, a compressed
// G1 point. It is the Pedersen commitment of gnark's BSB22 commitment key
// to (A, B, salt), computed with one multi-scalar multiplication and no
// proof. It relies on the committed wires being the weights in wire order
// followed by the mask, which the Keys constructors check.
func Commitment(keys *Keys, A, B []int16, salt Salt) ([]byte, error) {
	if err := keys.check(); err != nil {
		return nil, err
	}
	s := keys.Shape
	if len(A) != s.D*s.R || len(B) != s.R*s.O {
		return nil, fmt.Errorf("commitment: weights have %d and %d values, shape %s wants %d and %d", len(A), len(B), s, s.D*s.R, s.R*s.O)
	}
	se, err := salt.Element()
	if err != nil {
		return nil, fmt.Errorf("commitment: %w", err)
	}
	values := make([]fr.Element, 0, len(A)+len(B)+1)
	for _, vs := range [][]int16{A, B} {
		for _, v := range vs {
			values = append(values, circuits.FrFromInt64(int64(v)))
		}
	}
	values = append(values, se)
	ck := &keys.PK.(*groth16bn254.ProvingKey).CommitmentKeys[0]
	if len(ck.Basis) != len(values) {
		return nil, fmt.Errorf("commitment: key has %d bases, want %d", len(ck.Basis), len(values))
	}
	var c bn254.G1Affine
	if _, err := c.MultiExp(ck.Basis, values, ecc.MultiExpConfig{}); err != nil {
		return nil, fmt.Errorf("commitment: %w", err)
	}
	b := c.Bytes()
	return b[:], nil
}
