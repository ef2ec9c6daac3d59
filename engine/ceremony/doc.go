// Package ceremony runs the two-party (or more) Groth16 setup ceremony of
// DESIGN §3 for one circuit shape over gnark's
// backend/groth16/bn254/mpcsetup, so that no single party knows the toxic
// waste of the keys: B contributes (soundness for B) and A contributes (so
// that B cannot break the zero knowledge that hides A's weights).
//
// The whole ceremony lives in one Transcript, passed from party to party as
// a file (Encode, Decode). Each step reads a transcript and writes a new
// one:
//
//	Init           phase 1, no contributions (shape, domain size)
//	Contribute     appends a phase-1 contribution (powers of τ, α, β)
//	StartPhase2    verifies phase 1, seals it with an optional public
//	               beacon and records the circuit's initial phase-2 state
//	Contribute     appends a phase-2 contribution (δ and the commitment σ)
//	Finalize       verifies everything, seals phase 2 with an optional
//	               beacon and yields the proving and verifying keys; the
//	               final transcript records both beacons and the vk
//	               fingerprint, and its SHA-256 (Transcript.Hash) is the
//	               ceremony hash carried by the keys (prover.Keys.Ceremony)
//
// Every contribution carries the SHA-256 of its encoding; Verify replays the
// whole chain with mpcsetup's checks (proofs of knowledge of each update and
// the consistency of every power), recomputes the initial phase-2 state from
// the circuit, and, for a final transcript, re-derives the keys and compares
// the vk fingerprint. CheckKeys ties keys to a final transcript.
//
// Phase 1 depends only on the domain size, phase 2 on the circuit.
// RunLocal runs a whole ceremony in process (for the demo), and
// SaveToStore / LoadFromStore keep finished ceremonies next to their keys in
// a prover.Store, one per shape.
package ceremony
