package transcript

// FormatVersion is the version of the transcript file format and of the
// header leaf of the root. A decoder refuses any other version.
const FormatVersion = 1

// Hard caps on every length in a transcript. They are checked before
// anything is allocated, when building a transcript and when decoding one.
const (
	MaxSessionIDLen   = 256     // bytes of SessionID
	MaxNonceLen       = 256     // bytes of Nonce
	MaxModules        = 4096    // modules announced at init
	MaxNameLen        = 256     // bytes of a module name
	MaxCommitmentLen  = 256     // bytes of a module commitment (32 in practice)
	MaxFingerprintLen = 256     // bytes of a verifying-key fingerprint
	MaxKeyModeLen     = 64      // bytes of a key mode
	MaxCalls          = 1 << 22 // calls in one transcript
	MaxCallRows       = 1 << 16 // rows in one call
	DefaultMaxRows    = 1 << 20 // default cap on the rows of all calls together
	DefaultMaxValues  = 1 << 32 // default cap on Σ rows·(d+o) over all calls
)

// Internal constants of the encodings (see the package doc).
const (
	maxBulkChunkValues = 1 << 15 // values read per chunk when decoding
	headerLeafDomain   = "ZKLT-header"
	callLeafDomain     = "ZKLT-call"
	fileMagic          = "ZKLT"
	leafPrefix         = 0x00
	nodePrefix         = 0x01
)

// Limits caps the total size of a transcript, on Append and on decoding.
// A zero field means its default.
type Limits struct {
	MaxRows   int64 // rows of all calls together (default DefaultMaxRows)
	MaxValues int64 // Σ rows·(d+o) over all calls (default DefaultMaxValues)
}

// withDefaults fills zero fields with the defaults.
func (l Limits) withDefaults() Limits {
	if l.MaxRows <= 0 {
		l.MaxRows = DefaultMaxRows
	}
	if l.MaxValues <= 0 {
		l.MaxValues = DefaultMaxValues
	}
	return l
}
