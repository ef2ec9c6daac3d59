// Package client is party B of zklora (DESIGN §4).
//
// Client speaks the protocol to party A over TLS 1.3, pinning A's
// certificate fingerprint. Session is one inference session: its manifest
// (the modules and the commitments A announced before any call), the
// lora_forward calls, and B's own transcript, which B builds from what it
// sent and what it received and never from anything else A says.
// BaseModelClient runs a GPT-2 forward pass whose LoRA points are answered
// remotely by A, ends the session, fetches the artifacts and verifies them
// against B's transcript.
package client
