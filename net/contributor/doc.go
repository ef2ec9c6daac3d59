// Package contributor prepares party A's side of a session from files: it
// loads a PEFT adapter against a base-model configuration, quantizes it
// (engine/lora), gives every module a long-lived secret salt kept under
// A's output directory with mode 0600, computes each module's commitment
// with the proving keys of its shape, and wires engine/session's prover
// into the LoRAServer.
package contributor
