// Package lora puts a LoRA adapter's contribution into party B's GPT-2
// forward pass, at every targeted Conv1D module, from one of three sources:
//
//   - FloatHook: the float reference, y += scaling·(x·lora_Aᵀ)·lora_Bᵀ;
//   - a Quantized hook with a LocalIntProvider: the exact-integer path of
//     DESIGN §1 computed in process;
//   - a Quantized hook with a remote IntProvider (the network protocol).
//
// The exact-integer path: party A quantizes A = lora_Aᵀ (d×r) and
// B = lora_Bᵀ (r×o) to int16 with power-of-two scales 2^-sA, 2^-sB
// (QuantizeAdapter). For every call of a module, party B quantizes the
// call's input rows X to int16 with one scale 2^-sX of its choosing (the
// finest that fits, engine/quant), asks the provider for Z = X·A·B computed
// exactly in int64, and dequantizes delta = Z·2^-(sX+sA+sB)·scaling in
// float64 (Delta), rounding once to float32 when adding it to y.
//
// Combine modes (DESIGN §4):
//
//   - CombineAddDelta (default): B adds delta to its own base output.
//   - CombineReplace: the provider's answer is the module's whole output.
//     A has no base model output of its own in this protocol, so, as in the
//     original ZKLoRA, B sends its base output y_base with X
//     (OutputProvider.ForwardOutput) and A answers with
//     out = y_base + delta together with the exact Z it derived it from.
//     Only Z is covered by the proofs; the hook therefore checks that every
//     out[i] equals Combine(y_base[i], Z[i], …) bit for bit before taking
//     it, so a provider cannot slip in anything the proofs do not cover.
//     The numbers are those of CombineAddDelta; what differs is the wire
//     (and that A also sees y_base, which it could compute from X and the
//     public base weights anyway).
package lora
