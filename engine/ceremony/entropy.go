package ceremony

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	cmpc "github.com/consensys/gnark-crypto/ecc/bn254/mpcsetup"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
)

// contributionValues returns n secret contribution values drawn from 32
// bytes of crypto/rand mixed with extra, the contributor's optional beacon
// (hash to the field, RFC 9380, with a domain separation tag per use). With
// crypto/rand working, the values are as unpredictable as without the
// beacon; the beacon adds entropy the contributor trusts more than the
// machine's (dice, a public randomness beacon), it does not replace it.
func contributionValues(extra []byte, n int, use string) ([]fr.Element, error) {
	var seed [32]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, fmt.Errorf("ceremony: entropy: %w", err)
	}
	v, err := fr.Hash(append(seed[:], extra...), []byte("zklora ceremony contribution "+use), n)
	if err != nil {
		return nil, fmt.Errorf("ceremony: entropy: %w", err)
	}
	for i := range v {
		if v[i].IsZero() { // mpcsetup would replace a zero by its own sample
			return nil, fmt.Errorf("ceremony: entropy: zero contribution value")
		}
	}
	return v, nil
}

// contributeWith is Phase1.Contribute with τ, α, β from contributionValues
// when extra is not empty (mpcsetup's own crypto/rand sampling otherwise).
func (p *phase1) contributeWith(extra []byte) error {
	if len(extra) == 0 {
		p.Contribute()
		return nil
	}
	v, err := contributionValues(extra, 3, "phase1")
	if err != nil {
		return err
	}
	p.challenge = p.hash()
	p.proofs[0] = cmpc.UpdateValues(&v[0], p.challenge, mpcsetup.DST_TAU)
	p.proofs[1] = cmpc.UpdateValues(&v[1], p.challenge, mpcsetup.DST_ALPHA)
	p.proofs[2] = cmpc.UpdateValues(&v[2], p.challenge, mpcsetup.DST_BETA)
	p.update(&v[0], &v[1], &v[2])
	return nil
}

// contributePhase2 is mpcsetup's Phase2.Contribute, with δ and the σᵢ
// from contributionValues when extra is not empty (crypto/rand alone
// otherwise): the same challenge, update proofs and update (updatePhase2).
func contributePhase2(p *mpcsetup.Phase2, extra []byte) error {
	nc := len(p.Parameters.G1.SigmaCKK)
	if nc > 255 || len(p.Sigmas) != nc || len(p.Parameters.G2.Sigma) != nc {
		return fmt.Errorf("ceremony: phase-2 state with %d commitments is malformed", nc)
	}
	var v []fr.Element
	if len(extra) == 0 {
		v = make([]fr.Element, 1+nc) // zero: UpdateValues samples crypto/rand
	} else {
		var err error
		if v, err = contributionValues(extra, 1+nc, "phase2"); err != nil {
			return err
		}
	}
	b, err := encodeState(p)
	if err != nil {
		return err
	}
	h := sha256.Sum256(b)
	p.Challenge = h[:]
	delta, sigma := v[0], v[1:]
	p.Delta = cmpc.UpdateValues(&delta, p.Challenge, mpcsetup.DST_DELTA)
	for i := range sigma {
		p.Sigmas[i] = cmpc.UpdateValues(&sigma[i], p.Challenge, mpcsetup.DST_SIGMA+byte(i))
	}
	updatePhase2(p, &delta, sigma)
	return nil
}

// updatePhase2 is mpcsetup's Phase2.update: σᵢ scales [σᵢ]₂ and σᵢ·CKKᵢ,
// δ scales [δ]₁ and [δ]₂, 1/δ scales Z and PKK; the G1 vectors on every
// core with the scalar's decomposition computed once (scaleG1).
func updatePhase2(p *mpcsetup.Phase2, delta *fr.Element, sigma []fr.Element) {
	var k big.Int
	for i := range sigma {
		sigma[i].BigInt(&k)
		p.Parameters.G2.Sigma[i].ScalarMultiplication(&p.Parameters.G2.Sigma[i], &k)
		scaleG1(p.Parameters.G1.SigmaCKK[i], &sigma[i])
	}
	delta.BigInt(&k)
	p.Parameters.G2.Delta.ScalarMultiplication(&p.Parameters.G2.Delta, &k)
	p.Parameters.G1.Delta.ScalarMultiplication(&p.Parameters.G1.Delta, &k)
	var inv fr.Element
	inv.Inverse(delta)
	scaleG1(p.Parameters.G1.Z, &inv)
	scaleG1(p.Parameters.G1.PKK, &inv)
}
