//go:build icicle

package gpu

import (
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	icicle_core "github.com/ingonyama-zk/icicle-gnark/v3/wrappers/golang/core"
	icicle_bn254 "github.com/ingonyama-zk/icicle-gnark/v3/wrappers/golang/curves/bn254"
	icicle_ntt "github.com/ingonyama-zk/icicle-gnark/v3/wrappers/golang/curves/bn254/ntt"
)

// MaxLogNTT is the log2 of the NTT domain this package initializes on the
// device: twiddles for 2^25 points take 1 GiB. ICICLE keeps one domain per
// device per process and ignores later inits, so the first init wins; gnark's
// ICICLE prover derives its roots from the same 2-adic root of unity, so
// either may init first as long as neither needs more than the first init.
const MaxLogNTT = 25

// NTT transforms v in place over the BN254 scalar field on CUDA device 0,
// natural order in and out, with CPUNTT's contract (the inverse includes
// the 1/n scaling). Montgomery-form input gives Montgomery-form output,
// since every step is linear.
func NTT(v []fr.Element, inverse bool) (err error) {
	if err := checkNTTLen(len(v)); err != nil {
		return err
	}
	if len(v) > 1<<MaxLogNTT {
		return &IcicleError{Op: "ntt: size above 2^MaxLogNTT", Code: IcicleInvalidArgument}
	}
	defer guard("ntt", &err)
	return onDevice(0, func() error {
		if err := initDomain(); err != nil {
			return err
		}
		cfg := icicle_ntt.GetDefaultNttConfig()
		cfg.Ordering = icicle_core.KNN
		dir := icicle_core.KForward
		if inverse {
			dir = icicle_core.KInverse
		}
		host := icicle_core.HostSliceFromElements(v)
		return icicleErr("ntt", int(icicle_ntt.Ntt(host, dir, &cfg, host)))
	})
}

// initDomain initializes the device's NTT domain with fft.Generator(2^MaxLogNTT)
// (a no-op in ICICLE once a domain exists).
func initDomain() error {
	g, err := fft.Generator(1 << MaxLogNTT)
	if err != nil {
		return err
	}
	var root icicle_bn254.ScalarField
	b := g.Bits() // the regular (non-Montgomery) limbs, as ICICLE takes them
	limbs := icicle_core.ConvertUint64ArrToUint32Arr(b[:])
	root.FromLimbs(limbs)
	return icicleErr("ntt init domain", int(icicle_ntt.InitDomain(root, icicle_core.GetDefaultNTTInitDomainConfig())))
}
