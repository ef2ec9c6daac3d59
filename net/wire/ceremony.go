package wire

// The in-protocol key ceremony (DESIGN §3): before the first session of a
// new circuit shape, B asks A for a two-party Groth16 ceremony of that
// shape. The ceremony's transcripts are megabytes, so they travel in chunks
// of at most MaxChunk bytes: B uploads its transcript with CeremonyPut
// requests and downloads A's with CeremonyGet requests; every request is
// answered by one CeremonyResponse (or an ErrorMsg).
//
//	B: Start(shape)            A: Init, contributes to phase 1
//	B: Get…                    (A's phase-1 transcript)
//	B: verifies, contributes, Put…, Phase2
//	                           A: verifies B's contribution, starts
//	                              phase 2, contributes
//	B: Get…, verifies, contributes, Put…, Finish
//	                           A: verifies, finalizes, stores the keys
//	B: Get…                    (the final transcript), verifies the keys

// Ceremony operations (CeremonyRequest.Op).
const (
	// CeremonyStart asks A to start the ceremony of the request's shape
	// and contribute to phase 1.
	CeremonyStart uint8 = 1
	// CeremonyPut carries a chunk of B's transcript.
	CeremonyPut uint8 = 2
	// CeremonyPhase2 asks A to accept B's uploaded phase-1 transcript,
	// start phase 2 and contribute to it.
	CeremonyPhase2 uint8 = 3
	// CeremonyFinish asks A to accept B's uploaded phase-2 transcript and
	// finalize the ceremony.
	CeremonyFinish uint8 = 4
	// CeremonyGet asks for a chunk of A's current transcript.
	CeremonyGet uint8 = 5
)

// MaxCeremonyTranscript bounds a ceremony transcript exchanged over the
// connection (a 2^22-constraint circuit's two-party transcript is about
// 3 GiB; A also applies its own, usually much smaller, bound).
const MaxCeremonyTranscript = 1 << 32

// CeremonyRequest is one step of a key ceremony (B→A).
type CeremonyRequest struct {
	Op      uint8
	D, R, O uint32 // the shape, with CeremonyStart (zero otherwise)
	// Offset and Total place Data in B's transcript (CeremonyPut) or ask
	// for A's from Offset (CeremonyGet; Total and Data unused).
	Offset, Total uint64
	Data          []byte
}

// CeremonyResponse answers a CeremonyRequest (A→B). It always describes
// A's current transcript (its size and SHA-256); a CeremonyGet answer also
// carries the chunk from Offset.
type CeremonyResponse struct {
	Op     uint8
	Total  uint64
	Hash   []byte // SHA-256 of A's current transcript (32 bytes)
	Offset uint64
	Data   []byte
}

// Type returns TypeCeremony.
func (*CeremonyRequest) Type() Type { return TypeCeremony }

// Type returns TypeCeremonyOK.
func (*CeremonyResponse) Type() Type { return TypeCeremonyOK }

func (m *CeremonyRequest) encode(e *encoder) {
	e.u8(m.Op)
	e.u32(m.D)
	e.u32(m.R)
	e.u32(m.O)
	e.u64(m.Offset)
	e.u64(m.Total)
	e.bytes(m.Data)
}

func (m *CeremonyRequest) decode(d *decoder) {
	m.Op = d.u8("op")
	m.D, m.R, m.O = d.u32("d"), d.u32("r"), d.u32("o")
	m.Offset = d.u64("offset")
	m.Total = d.u64("total")
	m.Data = d.bytesField("data", MaxChunk)
}

func (m *CeremonyRequest) validate() error {
	if m.Op < CeremonyStart || m.Op > CeremonyGet {
		return invalid("unknown ceremony op %d", m.Op)
	}
	if len(m.Data) > MaxChunk {
		return invalid("ceremony chunk of %d bytes, over %d", len(m.Data), MaxChunk)
	}
	if m.Op != CeremonyStart && (m.D != 0 || m.R != 0 || m.O != 0) {
		return invalid("ceremony shape outside a start request")
	}
	if m.Op == CeremonyStart && (m.D == 0 || m.R == 0 || m.O == 0) {
		return invalid("ceremony start without a shape")
	}
	switch m.Op {
	case CeremonyPut:
		if m.Total > MaxCeremonyTranscript || m.Offset > m.Total || uint64(len(m.Data)) > m.Total-m.Offset {
			return invalid("ceremony chunk [%d, +%d) outside a %d-byte transcript", m.Offset, len(m.Data), m.Total)
		}
	case CeremonyGet:
		if m.Total != 0 || len(m.Data) != 0 || m.Offset > MaxCeremonyTranscript {
			return invalid("ceremony get with data or a bad offset")
		}
	default:
		if m.Offset != 0 || m.Total != 0 || len(m.Data) != 0 {
			return invalid("ceremony step with data")
		}
	}
	return nil
}

func (m *CeremonyResponse) encode(e *encoder) {
	e.u8(m.Op)
	e.u64(m.Total)
	e.bytes(m.Hash)
	e.u64(m.Offset)
	e.bytes(m.Data)
}

func (m *CeremonyResponse) decode(d *decoder) {
	m.Op = d.u8("op")
	m.Total = d.u64("total")
	m.Hash = d.bytesField("hash", 32)
	m.Offset = d.u64("offset")
	m.Data = d.bytesField("data", MaxChunk)
}

func (m *CeremonyResponse) validate() error {
	if m.Op < CeremonyStart || m.Op > CeremonyGet {
		return invalid("unknown ceremony op %d", m.Op)
	}
	if len(m.Hash) != 32 {
		return invalid("ceremony transcript hash of %d bytes, want 32", len(m.Hash))
	}
	if m.Total > MaxCeremonyTranscript || m.Offset > m.Total || uint64(len(m.Data)) > m.Total-m.Offset || len(m.Data) > MaxChunk {
		return invalid("ceremony chunk [%d, +%d) outside a %d-byte transcript", m.Offset, len(m.Data), m.Total)
	}
	return nil
}
