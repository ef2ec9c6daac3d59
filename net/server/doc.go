// Package server is party A of zklora (DESIGN §4): LoRAServer serves a
// committed adapter's exact LoRA contributions to base-model users over
// TLS 1.3, records every session, and proves each session after
// end_inference.
//
// # Sessions
//
// Each init opens a session with its own state and lock; any number of
// connections (from the same client) may use it, and sessions never wait
// on one another: inference in one session is not blocked by proving in
// another. Before answering a lora_forward call, A appends the call to the
// session's log under OutDir/sessions/<id>/log and fsyncs it, so that every
// answer B holds is on A's disk; memory keeps only an index of the calls,
// so a session's footprint does not grow with its rows. A retried call
// (same module, index and rows) gets the recorded answer again, read back
// from the log; a call index reused with other rows is refused. At
// end_inference A reloads the session from its log, checks B's call count
// and transcript root against its own, records B's nonce and proves
// asynchronously through Config.Prove; proof_status reports progress and
// fetch_artifacts streams the artifact directory (with A's record, see
// net/record) over the same connection. New reloads every session from
// OutDir: unended ones take calls again, ended unproven ones are proven.
//
// # Combine modes
//
// add_delta: A answers Z only. replace: B also sends its base output of the
// module and A answers the whole output base + Z·2^-(sX+sA+sB)·scaling
// (engine/lora.Combine) with Z; B checks the output against Z bit for bit,
// so nothing A adds escapes the proofs, which cover Z only.
//
// # Limits
//
// Every read and write has a deadline (a slow or silent peer is cut off),
// and frames are bounded by the largest legitimate request before any
// allocation, with a global cap on buffered bytes. Connections (in all and
// per remote address), live sessions (in all and per client, idle ones
// evicted at the cap), in-flight calls (in all and per session) and rows
// per call are capped. The row budget bounds what B can
// learn: each answer reveals x·ΔW, and about d independent rows of a module
// recover its ΔW = A·B exactly. Budgets count rows per module, per session
// (RowBudget) and per client across sessions (ClientRowBudget), where a
// client is both its TLS certificate fingerprint, when it presents one, and
// its remote address; a call over either budget is refused with
// row_budget_exceeded and nothing is recorded. Client budgets are rebuilt
// from the session logs on restart.
package server
