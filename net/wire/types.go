package wire

// Type identifies a message. Requests go from B to A; each request is
// answered by its response type or by TypeError.
type Type uint8

// Message types.
const (
	TypeError      Type = 0x01 // A→B: ErrorMsg, answers any request
	TypeInit       Type = 0x10 // B→A: InitRequest
	TypeInitOK     Type = 0x11 // A→B: InitResponse (the session manifest)
	TypeForward    Type = 0x20 // B→A: ForwardRequest (lora_forward)
	TypeForwardOK  Type = 0x21 // A→B: ForwardResponse
	TypeEnd        Type = 0x30 // B→A: EndRequest (end_inference)
	TypeEndOK      Type = 0x31 // A→B: EndResponse (proof job id)
	TypeStatus     Type = 0x40 // B→A: StatusRequest (proof_status)
	TypeStatusOK   Type = 0x41 // A→B: StatusResponse
	TypeFetch      Type = 0x50 // B→A: FetchRequest (fetch_artifacts)
	TypeFetchChunk Type = 0x51 // A→B: FetchChunk, repeated until Final
	TypeCeremony   Type = 0x60 // B→A: CeremonyRequest (key ceremony step)
	TypeCeremonyOK Type = 0x61 // A→B: CeremonyResponse
)

// Known reports whether t is a message type of this protocol version.
func (t Type) Known() bool {
	switch t {
	case TypeError, TypeInit, TypeInitOK, TypeForward, TypeForwardOK, TypeEnd, TypeEndOK,
		TypeStatus, TypeStatusOK, TypeFetch, TypeFetchChunk, TypeCeremony, TypeCeremonyOK:
		return true
	}
	return false
}

// String names the type as the protocol does.
func (t Type) String() string {
	switch t {
	case TypeError:
		return "error"
	case TypeInit:
		return "init"
	case TypeInitOK:
		return "init_ok"
	case TypeForward:
		return "lora_forward"
	case TypeForwardOK:
		return "lora_forward_ok"
	case TypeEnd:
		return "end_inference"
	case TypeEndOK:
		return "end_inference_ok"
	case TypeStatus:
		return "proof_status"
	case TypeStatusOK:
		return "proof_status_ok"
	case TypeFetch:
		return "fetch_artifacts"
	case TypeFetchChunk:
		return "artifact_chunk"
	case TypeCeremony:
		return "ceremony"
	case TypeCeremonyOK:
		return "ceremony_ok"
	}
	return "unknown"
}

// Combine modes (DESIGN §4).
const (
	// CombineAddDelta: A returns Z only; B adds the dequantized delta to
	// its own base output.
	CombineAddDelta = "add_delta"
	// CombineReplace: B sends its base output with X and A returns the
	// module's whole output (base + delta) with Z, as in the original
	// ZKLoRA; B checks the output against Z bit for bit. Only Z is covered
	// by proofs.
	CombineReplace = "replace"
)

// ValidCombine reports whether mode is a known combine mode.
func ValidCombine(mode string) bool { return mode == CombineAddDelta || mode == CombineReplace }

// ProofState is a session's proving state as reported by proof_status.
type ProofState uint8

// Proof states.
const (
	StateRecording ProofState = 1 // inference still running
	StateQueued    ProofState = 2 // ended, waiting for a prover
	StateProving   ProofState = 3
	StateDone      ProofState = 4 // artifacts ready to fetch
	StateFailed    ProofState = 5
)

// String names the state.
func (s ProofState) String() string {
	switch s {
	case StateRecording:
		return "recording"
	case StateQueued:
		return "queued"
	case StateProving:
		return "proving"
	case StateDone:
		return "done"
	case StateFailed:
		return "failed"
	}
	return "unknown"
}

// ErrorCode classifies an ErrorMsg.
type ErrorCode uint16

// Error codes.
const (
	CodeBadRequest     ErrorCode = 1  // malformed or invalid request
	CodeUnknownSession ErrorCode = 2  // no such session (or not this client's)
	CodeBudgetExceeded ErrorCode = 3  // the row budget would be exceeded
	CodeBusy           ErrorCode = 4  // a cap on sessions or in-flight calls
	CodeNotReady       ErrorCode = 5  // artifacts are not ready yet
	CodeConflict       ErrorCode = 6  // call replayed with other inputs, transcript mismatch
	CodeEnded          ErrorCode = 7  // the session has ended; no more calls
	CodeProofFailed    ErrorCode = 8  // proving failed
	CodeInternal       ErrorCode = 9  // a server-side failure
	CodeShuttingDown   ErrorCode = 10 // the server is stopping
)

// String names the code.
func (c ErrorCode) String() string {
	switch c {
	case CodeBadRequest:
		return "bad_request"
	case CodeUnknownSession:
		return "unknown_session"
	case CodeBudgetExceeded:
		return "row_budget_exceeded"
	case CodeBusy:
		return "busy"
	case CodeNotReady:
		return "not_ready"
	case CodeConflict:
		return "conflict"
	case CodeEnded:
		return "session_ended"
	case CodeProofFailed:
		return "proof_failed"
	case CodeInternal:
		return "internal"
	case CodeShuttingDown:
		return "shutting_down"
	}
	return "unknown"
}
