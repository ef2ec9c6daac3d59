// Package session turns a recorded session into proofs (party A) and checks
// those proofs against a transcript (party B).
//
// A's side, ProveSession: for every module used in the session, derive the
// challenges β, γ from the transcript (DESIGN §1), compute the statement
// (x̄, γ, z̄) from the recorded rows, prove it with the module's secret
// weights and salt, and write the artifact directory (DESIGN §5).
//
// B's side, VerifyDir: read the artifact directory, recompute everything
// from B's own transcript — root, challenges, statements — and never take a
// public value from A. It fails closed: any missing, extra, malformed or
// mismatching piece rejects the module or the whole session.
package session
