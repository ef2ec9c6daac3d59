package ceremony

import (
	"crypto/sha256"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/pedersen"
	cmpc "github.com/consensys/gnark-crypto/ecc/bn254/mpcsetup"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
)

// sealPhase2 is mpcsetup's Phase2.Seal with the beacon's update done by
// updatePhase2 (every core, one decomposition per scalar): the same final
// contribution and the same keys (tested byte for byte). Like gnark's, it
// modifies p.
func sealPhase2(p *mpcsetup.Phase2, commons *mpcsetup.SrsCommons, evals *mpcsetup.Phase2Evaluations, beacon []byte) (*groth16bn254.ProvingKey, *groth16bn254.VerifyingKey, error) {
	b, err := encodeState(p)
	if err != nil {
		return nil, nil, err
	}
	h := sha256.Sum256(b)
	contributions := cmpc.BeaconContributions(h[:], []byte("Groth16 MPC Setup - Phase2"), beacon, 1+len(p.Sigmas))
	updatePhase2(p, &contributions[0], contributions[1:])

	_, _, _, g2 := curve.Generators()
	var (
		pk groth16bn254.ProvingKey
		vk groth16bn254.VerifyingKey
	)
	pk.Domain = *fft.NewDomain(uint64(len(commons.G1.AlphaTau)))
	pk.G1.Alpha.Set(&commons.G1.AlphaTau[0])
	pk.G1.Beta.Set(&commons.G1.BetaTau[0])
	pk.G1.Delta.Set(&p.Parameters.G1.Delta)
	pk.G1.Z = p.Parameters.G1.Z
	bitReverse(pk.G1.Z)
	pk.G1.K = p.Parameters.G1.PKK
	pk.G2.Beta.Set(&commons.G2.Beta)
	pk.G2.Delta.Set(&p.Parameters.G2.Delta)

	// Filter out infinity points.
	nWires := len(evals.G1.A)
	pk.G1.A, pk.InfinityA = finite(evals.G1.A)
	pk.NbInfinityA = uint64(nWires - len(pk.G1.A))
	pk.G1.B, pk.InfinityB = finite(evals.G1.B)
	pk.NbInfinityB = uint64(nWires - len(pk.G1.B))
	pk.G2.B, _ = finite(evals.G2.B) // the same wires as in G1

	vk.G1.Alpha.Set(&commons.G1.AlphaTau[0])
	vk.G1.Beta.Set(&commons.G1.BetaTau[0])
	vk.G1.Delta.Set(&p.Parameters.G1.Delta)
	vk.G2.Beta.Set(&commons.G2.Beta)
	vk.G2.Delta.Set(&p.Parameters.G2.Delta)
	vk.G2.Gamma.Set(&g2)
	vk.G1.K = evals.G1.VKK

	vk.CommitmentKeys = make([]pedersen.VerifyingKey, len(evals.G1.CKK))
	pk.CommitmentKeys = make([]pedersen.ProvingKey, len(evals.G1.CKK))
	for i := range vk.CommitmentKeys {
		vk.CommitmentKeys[i].G = g2
		vk.CommitmentKeys[i].GSigmaNeg.Neg(&p.Parameters.G2.Sigma[i])
		pk.CommitmentKeys[i].Basis = evals.G1.CKK[i]
		pk.CommitmentKeys[i].BasisExpSigma = p.Parameters.G1.SigmaCKK[i]
	}
	vk.PublicAndCommitmentCommitted = evals.PublicAndCommitmentCommitted
	if err := vk.Precompute(); err != nil {
		return nil, nil, err
	}
	return &pk, &vk, nil
}

// finite returns the points of v that are not the point at infinity, and
// which of v's are.
func finite[T any, P interface {
	*T
	IsInfinity() bool
}](v []T) ([]T, []bool) {
	inf := make([]bool, len(v))
	out := make([]T, 0, len(v))
	for i := range v {
		if P(&v[i]).IsInfinity() {
			inf[i] = true
			continue
		}
		out = append(out, v[i])
	}
	return out, inf
}
