package prover

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"sync/atomic"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/constraint/solver"
)

// Salt is a module's secret commitment salt: a uniformly random, non-zero
// element of Fr in canonical big-endian form. It replaces the random mask
// gnark adds to every BSB22 commitment (DESIGN §2), which makes the proof's
// commitment a deterministic, hiding and binding Pedersen commitment to
// (A, B, salt). Keep it secret: with it and a guess of the weights, anyone
// can test the guess against the commitment.
type Salt [32]byte

// ErrBadSalt is returned for a salt that is zero or not a canonical Fr
// element.
var ErrBadSalt = errors.New("salt is not a canonical non-zero Fr element")

// NewSalt draws a uniformly random salt from crypto/rand.
func NewSalt() (Salt, error) {
	for {
		n, err := rand.Int(rand.Reader, fr.Modulus())
		if err != nil {
			return Salt{}, fmt.Errorf("new salt: %w", err)
		}
		if n.Sign() == 0 {
			continue
		}
		var s Salt
		n.FillBytes(s[:])
		return s, nil
	}
}

// ParseSalt parses a salt written as 64 hex digits.
func ParseSalt(h string) (Salt, error) {
	var s Salt
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != len(s) {
		return Salt{}, fmt.Errorf("%w: want 64 hex digits", ErrBadSalt)
	}
	copy(s[:], b)
	if _, err := s.Element(); err != nil {
		return Salt{}, err
	}
	return s, nil
}

// String returns the salt as 64 hex digits. It is a secret: do not log it.
func (s Salt) String() string { return hex.EncodeToString(s[:]) }

// Element returns the salt as a field element, refusing a zero or
// non-canonical salt (a zero salt is almost surely a salt that was never
// set, and would make the commitment not hiding).
func (s Salt) Element() (fr.Element, error) {
	var e fr.Element
	if err := e.SetBytesCanonical(s[:]); err != nil {
		return fr.Element{}, ErrBadSalt
	}
	if e.IsZero() {
		return fr.Element{}, ErrBadSalt
	}
	return e, nil
}

// randomizeHintName is the name under which gnark registers the hint that
// masks every BSB22 commitment (frontend/cs/r1cs/api.go, Commit).
const randomizeHintName = "github.com/consensys/gnark/internal/hints.Randomize"

// ErrGnarkChanged is returned when gnark no longer behaves as the salted
// commitment requires (DESIGN §2). It is the alarm for a gnark upgrade.
var ErrGnarkChanged = errors.New("gnark's commitment mask hint is not where zklora expects it (gnark upgrade?); the salted commitment cannot be made")

// randomizeHintID finds gnark's Randomize hint in the solver's registry by
// name.
func randomizeHintID() (solver.HintID, error) {
	for _, h := range solver.GetRegisteredHints() {
		if solver.GetHintName(h) == randomizeHintName {
			return solver.GetHintID(h), nil
		}
	}
	return 0, fmt.Errorf("%w: no registered hint named %s", ErrGnarkChanged, randomizeHintName)
}

// saltOverride returns the solver option that makes the commitment mask
// the salt, and a counter of how often the solver called it.
func saltOverride(salt fr.Element) (solver.Option, *atomic.Int32, error) {
	id, err := randomizeHintID()
	if err != nil {
		return nil, nil, err
	}
	var calls atomic.Int32
	var v big.Int
	salt.BigInt(&v)
	fn := func(_ *big.Int, in, out []*big.Int) error {
		calls.Add(1)
		if len(in) != 0 || len(out) != 1 {
			return fmt.Errorf("%w: mask hint called with %d inputs and %d outputs, want 0 and 1", ErrGnarkChanged, len(in), len(out))
		}
		out[0].Set(&v)
		return nil
	}
	return solver.OverrideHint(id, fn), &calls, nil
}
