// Package jobs runs session proofs on other hosts through NATS JetStream
// (DESIGN §6): A's prover (Client, an engine/session.JobRunner) publishes one
// task per module proof to a work-queue stream, workers (Worker) prove them
// and publish results to a results stream, and the Client takes the first
// valid proof for each task.
//
// Delivery is at-least-once. A worker holds a task while it proves and
// tells the server so every AckWait/3; a worker that dies or stalls stops
// doing so, and after AckWait the task goes to another worker. A task is
// never dropped silently: it ends in a proof, or in an error result once it
// has been delivered Config.MaxAttempts times (every worker that took it
// died, none holds its module or keys, or the weights do not satisfy the
// statement), which fails the session with that reason: the Client returns
// a DeadLetterError, whose one-line message A's server shows in
// proof_status and B prints.
//
// Job keys are idempotent: a task's key is a hash of everything it proves
// (module, circuit, verifying key, commitment, statement), so a session
// proven again (A restarted, a retry) maps to the same keys. Workers skip a
// task whose key already has a proof in the results stream, and the Client
// accepts any proof already there.
//
// What travels, and what does not. Tasks carry only public data: the
// module's name, circuit id, verifying-key fingerprint, commitment and the
// statement (x̄, γ, z̄). A's weights and salts never leave A's hosts: each
// worker loads the same adapter and salts file as A (or, for synthetic
// sessions, regenerates them). Every task carries an HMAC of its key under
// a key derived from the module's secret salt, so a worker proves only
// tasks made by someone who holds that salt: a stranger who can publish to
// the queue cannot use the workers as an oracle on A's weights. Results are
// not trusted either: the Client verifies every proof against its own
// statement, verifying key and the commitment A announced before accepting
// it. Statements do reach whoever can read the streams; keep the NATS
// server private (the embedded one listens only where told, with a token).
package jobs
