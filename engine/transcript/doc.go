// Package transcript is the record both parties keep of a session
// (DESIGN §4): for every (module, call) the int16 input rows B sent and the
// int64 output rows A returned. B never takes x̄ or z̄ from A; it recomputes
// them from its own transcript, whose root binds the Fiat–Shamir challenges.
//
// # Root
//
// Root is an RFC 6962-style binary SHA-256 Merkle tree: a leaf hashes as
// SHA-256(0x00 ‖ leaf), an inner node as SHA-256(0x01 ‖ left ‖ right), and
// n > 1 leaves split at the largest power of two below n. Leaf 0 is the
// header; then one leaf per call, sorted by (module name, call index), so
// the order in which concurrent calls arrived does not matter. The nonce is
// not part of the root (it is chosen after the root is fixed).
//
// Leaf encodings, integers little-endian, lp(b) = uint32 len(b) ‖ b:
//
//	header = "ZKLT-header" ‖ uint16 FormatVersion ‖ lp(SessionID)
//	         ‖ uint32 #modules ‖ for each module, sorted by name:
//	             lp(Name) ‖ uint32 D ‖ uint32 R ‖ uint32 O
//	             ‖ lp(Commitment) ‖ lp(VKFingerprint) ‖ lp(KeyMode)
//	call   = "ZKLT-call" ‖ lp(Module) ‖ uint32 Index ‖ uint32 Rows
//	         ‖ lp(X as int16 LE, Rows·D values) ‖ lp(Z as int64 LE, Rows·O values)
//
// # File
//
// The file (B's --transcript-out, or A's own record) is, little-endian:
//
//	"ZKLT" ‖ uint16 version
//	‖ lp(SessionID) ‖ lp(Nonce)
//	‖ uint32 #modules ‖ modules (as in the header leaf, in New's order)
//	‖ uint32 #calls ‖ calls, in arrival order, each:
//	    lp(Module) ‖ uint32 Index ‖ uint32 Rows
//	    ‖ Rows·D int16 ‖ Rows·O int64 (counts implied by the module's shape)
//
// and nothing after. Every count and length is checked against a hard cap
// before anything is allocated, and bulk values are read in bounded chunks,
// so a short corrupt file cannot make the decoder allocate more than a
// small multiple of its own size.
package transcript
