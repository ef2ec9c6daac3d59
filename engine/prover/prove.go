package prover

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/witness"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
	"github.com/zklora/zklora/circuits"
)

// ErrUnsatisfied is returned by Prove when the weights do not satisfy the
// statement (z̄ ≠ x̄·A·B·(γ^k)).
var ErrUnsatisfied = errors.New("the weights do not satisfy the statement")

// Prove proves the statement st with the private weights A (d×r) and B
// (r×o, int16, flat row-major) under keys, with the module's salt as the
// commitment mask. The proof's commitment depends only on the proving key,
// A, B and the salt (see Commitment).
func Prove(keys *Keys, st circuits.Statement, A, B []int16, salt Salt) (*Proof, error) {
	return ProveWith(nil, keys, st, A, B, salt)
}

// ProveWith is Prove on engine e (nil: the CPU). The proof is the same
// kind whichever engine made it, and Verify checks it on the CPU.
func ProveWith(e Engine, keys *Keys, st circuits.Statement, A, B []int16, salt Salt) (*Proof, error) {
	if err := keys.check(); err != nil {
		return nil, err
	}
	if err := checkInputs(keys.Shape, st, A, B); err != nil {
		return nil, fmt.Errorf("prove: %w", err)
	}
	se, err := salt.Element()
	if err != nil {
		return nil, fmt.Errorf("prove: %w", err)
	}
	w, err := fullWitness(st, A, B)
	if err != nil {
		return nil, fmt.Errorf("prove: %w", err)
	}
	override, calls, err := saltOverride(se)
	if err != nil {
		return nil, err
	}
	proof, err := engineOrCPU(e).Prove(keys.CS.(*csbn254.R1CS), keys.PK.(*groth16bn254.ProvingKey), w,
		backend.WithSolverOptions(override))
	if err != nil {
		if errors.Is(err, ErrGnarkChanged) {
			return nil, err
		}
		if isDeviceError(err) {
			return nil, fmt.Errorf("prove: %w", err)
		}
		return nil, fmt.Errorf("prove: %w: %v", ErrUnsatisfied, err)
	}
	if n := calls.Load(); n != 1 {
		return nil, fmt.Errorf("%w: the mask hint ran %d times, want once", ErrGnarkChanged, n)
	}
	if len(proof.Commitments) != 1 {
		return nil, fmt.Errorf("%w: proof has %d commitments, want 1", ErrGnarkChanged, len(proof.Commitments))
	}
	return &Proof{p: *proof}, nil
}

// check reports whether k was built by a constructor of this package.
func (k *Keys) check() error {
	if k == nil {
		return errors.New("nil keys")
	}
	if k.layout.nbPublic == 0 || k.CS == nil || k.PK == nil || k.VK == nil {
		return errors.New("keys were not built by DevSetup, NewKeys or a Store")
	}
	return nil
}

// checkInputs checks the statement and weights against shape s.
func checkInputs(s circuits.Shape, st circuits.Statement, A, B []int16) error {
	if st.Shape != s {
		return fmt.Errorf("statement is for shape %s, keys for %s", st.Shape, s)
	}
	if len(st.Xbar) != s.D {
		return fmt.Errorf("statement has %d xbar elements, shape %s wants %d", len(st.Xbar), s, s.D)
	}
	if len(A) != s.D*s.R {
		return fmt.Errorf("A has %d values, want d·r=%d", len(A), s.D*s.R)
	}
	if len(B) != s.R*s.O {
		return fmt.Errorf("B has %d values, want r·o=%d", len(B), s.R*s.O)
	}
	return nil
}

// publicVector returns the public inputs in the circuit's wire order
// (without the constant-one wire): x̄, γ, z̄.
func publicVector(st circuits.Statement) fr.Vector {
	v := make(fr.Vector, 0, len(st.Xbar)+2)
	v = append(v, st.Xbar...)
	return append(v, st.Gamma, st.Zbar)
}

// fullWitness builds gnark's full witness for st and the weights directly
// in its binary form (public x̄, γ, z̄, then secret A, B), which skips the
// reflection gnark's frontend.NewWitness walks over 25k fields.
func fullWitness(st circuits.Statement, A, B []int16) (witness.Witness, error) {
	nbPub := len(st.Xbar) + 2
	nbSec := len(A) + len(B)
	n := nbPub + nbSec
	buf := make([]byte, 12+n*fr.Bytes)
	binary.BigEndian.PutUint32(buf[0:], uint32(nbPub))
	binary.BigEndian.PutUint32(buf[4:], uint32(nbSec))
	binary.BigEndian.PutUint32(buf[8:], uint32(n))
	off := 12
	put := func(e *fr.Element) {
		fr.BigEndian.PutElement((*[fr.Bytes]byte)(buf[off:off+fr.Bytes]), *e)
		off += fr.Bytes
	}
	for i := range st.Xbar {
		put(&st.Xbar[i])
	}
	put(&st.Gamma)
	put(&st.Zbar)
	for _, vs := range [][]int16{A, B} {
		for _, v := range vs {
			e := circuits.FrFromInt64(int64(v))
			put(&e)
		}
	}
	w, err := witness.New(ecc.BN254.ScalarField())
	if err != nil {
		return nil, err
	}
	if _, err := w.ReadFrom(bytes.NewReader(buf)); err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	return w, nil
}
