// Package prover is zklora's Groth16 engine (gnark, BN254) for the session
// statement of DESIGN §1: keys and the on-disk key store, the salted weight
// commitment of DESIGN §2, proving (one proof, or many in parallel within a
// memory budget), verification and batch verification.
//
// The weight commitment is gnark's BSB22 commitment with its random mask
// replaced by the module's secret Salt (a solver hint override). It relies
// on a gnark internal, so the gnark version enters every circuit id and
// the tests fail loudly if gnark changes that behaviour (see
// ErrGnarkChanged).
package prover
