// Package circuits holds zklora's gnark circuits and the exact-integer
// reference they must agree with.
//
// The statement (DESIGN §1): for one LoRA module of shape d×r×o, party A
// answers every input row X_t (int16, d values) with Z_t = X_t·A·B computed
// exactly in int64, where A (d×r) and B (r×o) are A's int16-quantized LoRA
// factors. After the session, with challenges β, γ drawn from the whole
// transcript, the prover shows in the SessionCircuit that
//
//	z̄ = x̄·A·(B·(γ^k)_k),  x̄ = Σ_t β^t X_t,  z̄ = Σ_t β^t Σ_k γ^k Z_tk,
//
// with A and B private and committed through gnark's BSB22 commitment.
//
// Data representation used throughout the project: matrices are flat,
// row-major slices. X is T×d (X[t*d+i]), A is d×r (A[i*r+j]), B is r×o
// (B[j*o+k]) and Z is T×o (Z[t*o+k]). Note that PEFT stores lora_A.weight as
// [r,d] and lora_B.weight as [o,r]; A and B here are their transposes.
package circuits
