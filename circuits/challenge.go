package circuits

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// ChallengeInput is everything the Fiat–Shamir challenges of one module's
// session proof depend on (DESIGN §1). Every field is fixed before the
// challenges are drawn: the transcript root after the last answer, and B's
// nonce sent with end_inference.
type ChallengeInput struct {
	SessionID      string
	Module         string
	Commitment     []byte   // the module's adapter commitment, as announced at init
	TranscriptRoot [32]byte // the session transcript's Merkle root
	Nonce          []byte   // B's end-of-session nonce
}

// Labels of the two challenges in the expansion step of DeriveChallenges.
const (
	labelBeta  = "beta"
	labelGamma = "gamma"
)

// DeriveChallenges derives β and γ for one module. Byte layout:
//
//	lp(b)  = uint32 big-endian len(b) ‖ b
//	seed   = SHA-256( "zklora/v1/challenge"            (ChallengeDomain, 19 bytes, no prefix)
//	                ‖ lp(SessionID) ‖ lp(Module) ‖ lp(Commitment)
//	                ‖ lp(TranscriptRoot[:]) ‖ lp(Nonce) )
//	wide(label) = SHA-256(seed ‖ lp(label) ‖ uint32 BE 0)
//	            ‖ SHA-256(seed ‖ lp(label) ‖ uint32 BE 1)          (64 bytes)
//	β = wide("beta")  read as a big-endian integer, mod r
//	γ = wide("gamma") read as a big-endian integer, mod r
//
// r is the BN254 scalar field order; reducing 512 bits mod the 254-bit r
// leaves a bias below 2^-258. Length prefixes make the encoding injective,
// so ("ab","c") and ("a","bc") give different seeds (for fields shorter
// than 4 GiB, far beyond any real session id, name, commitment or nonce).
func DeriveChallenges(in ChallengeInput) (beta, gamma fr.Element) {
	h := sha256.New()
	h.Write([]byte(ChallengeDomain))
	writeLP(h, []byte(in.SessionID))
	writeLP(h, []byte(in.Module))
	writeLP(h, in.Commitment)
	writeLP(h, in.TranscriptRoot[:])
	writeLP(h, in.Nonce)
	seed := h.Sum(nil)
	return expandToFr(seed, labelBeta), expandToFr(seed, labelGamma)
}

// writeLP writes uint32 big-endian len(b) then b.
func writeLP(h hash.Hash, b []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	h.Write(n[:])
	h.Write(b)
}

// expandToFr hashes seed and label to 64 bytes and reduces them mod r.
func expandToFr(seed []byte, label string) fr.Element {
	wide := make([]byte, 0, 64)
	for ctr := uint32(0); ctr < 2; ctr++ {
		h := sha256.New()
		h.Write(seed)
		writeLP(h, []byte(label))
		var c [4]byte
		binary.BigEndian.PutUint32(c[:], ctr)
		h.Write(c[:])
		wide = h.Sum(wide)
	}
	v := new(big.Int).SetBytes(wide)
	v.Mod(v, fr.Modulus())
	var e fr.Element
	e.SetBigInt(v)
	return e
}
