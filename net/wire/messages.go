package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Message is a decoded payload of one of the protocol's types.
type Message interface {
	// Type is the frame type the message travels in.
	Type() Type
	encode(e *encoder)
	decode(d *decoder)
	validate() error
}

// Limits on specific fields.
const (
	MaxNonceLen = 256
	MaxChunk    = 1 << 20 // bytes of file data in one FetchChunk
	// MaxCommitmentLen bounds a module commitment (a compressed BN254 G1
	// point is 32 bytes).
	MaxCommitmentLen = 128
)

// InitRequest opens a session (B→A).
type InitRequest struct {
	Combine string // CombineAddDelta or CombineReplace
	Client  string // free-form label, for A's logs only
}

// ModuleInfo announces one injection point and A's commitment to it, before
// any call. B dequantizes an answer Z as Z·2^-(sX+ScaleA+ScaleB)·Scaling.
type ModuleInfo struct {
	Name          string
	D, R, O       int
	ScaleA        int32 // sA: A is quantized with scale 2^-sA
	ScaleB        int32 // sB
	Scaling       float64
	Commitment    []byte
	CircuitID     string
	VKFingerprint string
	KeyMode       string
}

// InitResponse is the session manifest (A→B).
type InitResponse struct {
	SessionID string
	Combine   string
	Modules   []ModuleInfo
	// RowBudget is the most rows B may send per module in this session
	// (0: no per-session limit).
	RowBudget uint64
	// MaxRowsPerCall is the most rows one lora_forward may carry.
	MaxRowsPerCall uint32
}

// ForwardRequest is one lora_forward call (B→A): the int16 input rows of
// one module for one call of B's forward pass.
type ForwardRequest struct {
	SessionID string
	Module    string
	Call      uint32 // per-module call index, 0, 1, 2, …
	ScaleX    int32  // sX: X is B's input quantized with scale 2^-sX
	X         Int16Rows
	// Base is B's own base output of the module (rows×o), sent only in
	// the replace combine mode; A answers with the whole output. Empty
	// otherwise.
	Base Float32Rows
}

// ForwardResponse answers a ForwardRequest (A→B).
type ForwardResponse struct {
	Module string
	Call   uint32
	Z      Int64Rows // rows×o, Z = X·A·B exactly
	// Out is the module's whole output (rows×o), only in the replace
	// combine mode: Base + Z·2^-(sX+sA+sB)·scaling, rounded once to
	// float32 (engine/lora.Combine). B checks it against Z bit for bit.
	Out Float32Rows
}

// EndRequest ends inference (B→A) with B's fresh nonce, B's count of calls
// and B's transcript root, so that A can refuse to prove a session whose
// record differs from B's.
type EndRequest struct {
	SessionID string
	Nonce     []byte
	Calls     uint32
	Root      [32]byte
}

// EndResponse acknowledges EndRequest with the proof job id (A→B).
type EndResponse struct {
	SessionID string
	JobID     string
}

// StatusRequest asks for a session's proving progress (B→A).
type StatusRequest struct {
	SessionID string
}

// StatusResponse reports proving progress (A→B).
type StatusResponse struct {
	SessionID string
	State     ProofState
	Done      uint32 // modules proven
	Total     uint32 // modules to prove
	Module    string // the last module proven
	Error     string // set when State is StateFailed
}

// FetchRequest asks for a proven session's artifact directory (B→A).
type FetchRequest struct {
	SessionID string
}

// FetchChunk carries part of one artifact file (A→B). A sends chunks in
// order, file after file; the last chunk of the stream has Final set and
// may be empty.
type FetchChunk struct {
	Path   string // relative, slash-separated path inside the artifact dir
	Size   uint64 // the whole file's size
	Offset uint64 // where Data goes in the file
	Data   []byte
	Final  bool
}

// ErrorMsg reports a failed request (A→B).
type ErrorMsg struct {
	Code    ErrorCode
	Message string
}

// Error makes ErrorMsg an error.
func (m *ErrorMsg) Error() string { return fmt.Sprintf("server: %s: %s", m.Code, m.Message) }

// Type implementations.

// Type returns TypeInit.
func (*InitRequest) Type() Type { return TypeInit }

// Type returns TypeInitOK.
func (*InitResponse) Type() Type { return TypeInitOK }

// Type returns TypeForward.
func (*ForwardRequest) Type() Type { return TypeForward }

// Type returns TypeForwardOK.
func (*ForwardResponse) Type() Type { return TypeForwardOK }

// Type returns TypeEnd.
func (*EndRequest) Type() Type { return TypeEnd }

// Type returns TypeEndOK.
func (*EndResponse) Type() Type { return TypeEndOK }

// Type returns TypeStatus.
func (*StatusRequest) Type() Type { return TypeStatus }

// Type returns TypeStatusOK.
func (*StatusResponse) Type() Type { return TypeStatusOK }

// Type returns TypeFetch.
func (*FetchRequest) Type() Type { return TypeFetch }

// Type returns TypeFetchChunk.
func (*FetchChunk) Type() Type { return TypeFetchChunk }

// Type returns TypeError.
func (*ErrorMsg) Type() Type { return TypeError }

// Encode encodes m into a frame after validating it.
func Encode(m Message) (Frame, error) {
	b, err := encodeFrame(m)
	if err != nil {
		return Frame{}, err
	}
	return Frame{Type: m.Type(), Payload: b[HeaderSize:]}, nil
}

// encodeFrame validates m and encodes it with its frame header in front,
// in one buffer.
func encodeFrame(m Message) ([]byte, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	e := encoder{b: make([]byte, HeaderSize, 256)}
	m.encode(&e)
	n := len(e.b) - HeaderSize
	if uint64(n) > AbsoluteMaxFrame {
		return nil, ErrFrameTooLarge
	}
	copy(e.b, magic[:])
	e.b[2], e.b[3] = Version, byte(m.Type())
	binary.BigEndian.PutUint32(e.b[4:], uint32(n))
	return e.b, nil
}

// Decode decodes a frame's payload into the message of its type and
// validates it. It never panics on any input.
func Decode(f Frame) (Message, error) {
	var m Message
	switch f.Type {
	case TypeError:
		m = &ErrorMsg{}
	case TypeInit:
		m = &InitRequest{}
	case TypeInitOK:
		m = &InitResponse{}
	case TypeForward:
		m = &ForwardRequest{}
	case TypeForwardOK:
		m = &ForwardResponse{}
	case TypeEnd:
		m = &EndRequest{}
	case TypeEndOK:
		m = &EndResponse{}
	case TypeStatus:
		m = &StatusRequest{}
	case TypeStatusOK:
		m = &StatusResponse{}
	case TypeFetch:
		m = &FetchRequest{}
	case TypeFetchChunk:
		m = &FetchChunk{}
	case TypeCeremony:
		m = &CeremonyRequest{}
	case TypeCeremonyOK:
		m = &CeremonyResponse{}
	default:
		return nil, fmt.Errorf("%w 0x%02x", ErrUnknownType, byte(f.Type))
	}
	d := &decoder{b: f.Payload}
	m.decode(d)
	if err := d.done(); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Type, err)
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Type, err)
	}
	return m, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

func checkStr(what, s string, required bool) error {
	if required && s == "" {
		return invalid("%s is empty", what)
	}
	if len(s) > MaxStringLen {
		return invalid("%s is %d bytes, over %d", what, len(s), MaxStringLen)
	}
	return nil
}

// --- InitRequest

func (m *InitRequest) encode(e *encoder) { e.str(m.Combine); e.str(m.Client) }
func (m *InitRequest) decode(d *decoder) {
	m.Combine = d.str("combine")
	m.Client = d.str("client")
}
func (m *InitRequest) validate() error {
	if !ValidCombine(m.Combine) {
		return invalid("unknown combine mode %q", m.Combine)
	}
	return checkStr("client", m.Client, false)
}

// --- InitResponse

func (m *InitResponse) encode(e *encoder) {
	e.str(m.SessionID)
	e.str(m.Combine)
	e.u64(m.RowBudget)
	e.u32(m.MaxRowsPerCall)
	e.u32(uint32(len(m.Modules)))
	for _, mi := range m.Modules {
		e.str(mi.Name)
		e.u32(uint32(mi.D))
		e.u32(uint32(mi.R))
		e.u32(uint32(mi.O))
		e.i32(mi.ScaleA)
		e.i32(mi.ScaleB)
		e.f64(mi.Scaling)
		e.bytes(mi.Commitment)
		e.str(mi.CircuitID)
		e.str(mi.VKFingerprint)
		e.str(mi.KeyMode)
	}
}

// minModuleInfoBytes is the smallest encoding of a ModuleInfo.
const minModuleInfoBytes = 4 + 12 + 8 + 8 + 4 + 4 + 4 + 4

func (m *InitResponse) decode(d *decoder) {
	m.SessionID = d.str("session id")
	m.Combine = d.str("combine")
	m.RowBudget = d.u64("row budget")
	m.MaxRowsPerCall = d.u32("max rows per call")
	n := d.length("modules", MaxModules, minModuleInfoBytes)
	if d.err != nil {
		return
	}
	m.Modules = make([]ModuleInfo, n)
	for i := range m.Modules {
		mi := &m.Modules[i]
		mi.Name = d.str("module name")
		mi.D, mi.R, mi.O = int(d.u32("d")), int(d.u32("r")), int(d.u32("o"))
		mi.ScaleA, mi.ScaleB = d.i32("scale A"), d.i32("scale B")
		mi.Scaling = d.f64("scaling")
		mi.Commitment = d.bytesField("commitment", MaxCommitmentLen)
		mi.CircuitID = d.str("circuit id")
		mi.VKFingerprint = d.str("vk fingerprint")
		mi.KeyMode = d.str("key mode")
		if d.err != nil {
			return
		}
	}
}

func (m *InitResponse) validate() error {
	if err := checkStr("session id", m.SessionID, true); err != nil {
		return err
	}
	if !ValidCombine(m.Combine) {
		return invalid("unknown combine mode %q", m.Combine)
	}
	if len(m.Modules) > MaxModules {
		return invalid("%d modules, over %d", len(m.Modules), MaxModules)
	}
	seen := make(map[string]bool, len(m.Modules))
	for _, mi := range m.Modules {
		if err := checkStr("module name", mi.Name, true); err != nil {
			return err
		}
		if seen[mi.Name] {
			return invalid("module %q announced twice", mi.Name)
		}
		seen[mi.Name] = true
		if mi.D < 1 || mi.R < 1 || mi.O < 1 || mi.D > MaxTensorDim || mi.R > MaxTensorDim || mi.O > MaxTensorDim {
			return invalid("module %q: shape %dx%dx%d out of range", mi.Name, mi.D, mi.R, mi.O)
		}
		if len(mi.Commitment) == 0 || len(mi.Commitment) > MaxCommitmentLen {
			return invalid("module %q: commitment of %d bytes", mi.Name, len(mi.Commitment))
		}
		for _, s := range []struct{ what, v string }{{"circuit id", mi.CircuitID}, {"vk fingerprint", mi.VKFingerprint}, {"key mode", mi.KeyMode}} {
			if err := checkStr(s.what, s.v, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// --- ForwardRequest

func (m *ForwardRequest) encode(e *encoder) {
	e.str(m.SessionID)
	e.str(m.Module)
	e.u32(m.Call)
	e.i32(m.ScaleX)
	e.int16Rows(m.X)
	e.float32Rows(m.Base)
}
func (m *ForwardRequest) decode(d *decoder) {
	m.SessionID = d.str("session id")
	m.Module = d.str("module")
	m.Call = d.u32("call")
	m.ScaleX = d.i32("scale X")
	m.X = d.int16Rows("X")
	m.Base = d.float32Rows("base output")
}
func (m *ForwardRequest) validate() error {
	if err := checkStr("session id", m.SessionID, true); err != nil {
		return err
	}
	if err := checkStr("module", m.Module, true); err != nil {
		return err
	}
	if err := m.X.Check(); err != nil {
		return err
	}
	if m.X.Rows == 0 || m.X.Cols == 0 {
		return invalid("X has no rows or no columns")
	}
	if err := m.Base.Check(); err != nil {
		return err
	}
	if len(m.Base.Data) != 0 && m.Base.Rows != m.X.Rows {
		return invalid("base output has %d rows, X has %d", m.Base.Rows, m.X.Rows)
	}
	return nil
}

// --- ForwardResponse

func (m *ForwardResponse) encode(e *encoder) {
	e.str(m.Module)
	e.u32(m.Call)
	e.int64Rows(m.Z)
	e.float32Rows(m.Out)
}
func (m *ForwardResponse) decode(d *decoder) {
	m.Module = d.str("module")
	m.Call = d.u32("call")
	m.Z = d.int64Rows("Z")
	m.Out = d.float32Rows("output")
}
func (m *ForwardResponse) validate() error {
	if err := checkStr("module", m.Module, true); err != nil {
		return err
	}
	if err := m.Z.Check(); err != nil {
		return err
	}
	if err := m.Out.Check(); err != nil {
		return err
	}
	if len(m.Out.Data) != 0 && (m.Out.Rows != m.Z.Rows || m.Out.Cols != m.Z.Cols) {
		return invalid("output is %dx%d, Z is %dx%d", m.Out.Rows, m.Out.Cols, m.Z.Rows, m.Z.Cols)
	}
	return nil
}

// --- EndRequest

func (m *EndRequest) encode(e *encoder) {
	e.str(m.SessionID)
	e.bytes(m.Nonce)
	e.u32(m.Calls)
	e.b = append(e.b, m.Root[:]...)
}
func (m *EndRequest) decode(d *decoder) {
	m.SessionID = d.str("session id")
	m.Nonce = d.bytesField("nonce", MaxNonceLen)
	m.Calls = d.u32("calls")
	if p := d.take(32, "root"); p != nil {
		copy(m.Root[:], p)
	}
}
func (m *EndRequest) validate() error {
	if err := checkStr("session id", m.SessionID, true); err != nil {
		return err
	}
	if len(m.Nonce) < 16 || len(m.Nonce) > MaxNonceLen {
		return invalid("nonce of %d bytes (want 16 to %d)", len(m.Nonce), MaxNonceLen)
	}
	return nil
}

// --- EndResponse

func (m *EndResponse) encode(e *encoder) { e.str(m.SessionID); e.str(m.JobID) }
func (m *EndResponse) decode(d *decoder) {
	m.SessionID = d.str("session id")
	m.JobID = d.str("job id")
}
func (m *EndResponse) validate() error {
	if err := checkStr("session id", m.SessionID, true); err != nil {
		return err
	}
	return checkStr("job id", m.JobID, true)
}

// --- StatusRequest

func (m *StatusRequest) encode(e *encoder) { e.str(m.SessionID) }
func (m *StatusRequest) decode(d *decoder) { m.SessionID = d.str("session id") }
func (m *StatusRequest) validate() error   { return checkStr("session id", m.SessionID, true) }

// --- StatusResponse

func (m *StatusResponse) encode(e *encoder) {
	e.str(m.SessionID)
	e.u8(uint8(m.State))
	e.u32(m.Done)
	e.u32(m.Total)
	e.str(m.Module)
	e.str(m.Error)
}
func (m *StatusResponse) decode(d *decoder) {
	m.SessionID = d.str("session id")
	m.State = ProofState(d.u8("state"))
	m.Done = d.u32("done")
	m.Total = d.u32("total")
	m.Module = d.str("module")
	m.Error = d.str("error")
}
func (m *StatusResponse) validate() error {
	if err := checkStr("session id", m.SessionID, true); err != nil {
		return err
	}
	if m.State < StateRecording || m.State > StateFailed {
		return invalid("unknown proof state %d", m.State)
	}
	if m.Done > m.Total {
		return invalid("done %d > total %d", m.Done, m.Total)
	}
	if err := checkStr("module", m.Module, false); err != nil {
		return err
	}
	return checkStr("error", m.Error, false)
}

// --- FetchRequest

func (m *FetchRequest) encode(e *encoder) { e.str(m.SessionID) }
func (m *FetchRequest) decode(d *decoder) { m.SessionID = d.str("session id") }
func (m *FetchRequest) validate() error   { return checkStr("session id", m.SessionID, true) }

// --- FetchChunk

func (m *FetchChunk) encode(e *encoder) {
	e.str(m.Path)
	e.u64(m.Size)
	e.u64(m.Offset)
	e.bytes(m.Data)
	e.boolean(m.Final)
}
func (m *FetchChunk) decode(d *decoder) {
	m.Path = d.str("path")
	m.Size = d.u64("size")
	m.Offset = d.u64("offset")
	m.Data = d.bytesField("data", MaxChunk)
	m.Final = d.boolean("final")
}

// ErrBadPath is returned for a FetchChunk path that could leave the
// artifact directory.
var ErrBadPath = errors.New("wire: artifact path is not a clean relative path")

func (m *FetchChunk) validate() error {
	if len(m.Data) > MaxChunk {
		return invalid("chunk of %d bytes, over %d", len(m.Data), MaxChunk)
	}
	if m.Path == "" {
		if !m.Final || len(m.Data) != 0 || m.Size != 0 || m.Offset != 0 {
			return invalid("chunk without a path")
		}
		return nil
	}
	if err := CheckRelPath(m.Path); err != nil {
		return err
	}
	if m.Offset > m.Size || uint64(len(m.Data)) > m.Size-m.Offset {
		return invalid("chunk [%d, +%d) outside a %d-byte file", m.Offset, len(m.Data), m.Size)
	}
	return nil
}

// CheckRelPath accepts only clean, relative, slash-separated paths of
// plain components ([A-Za-z0-9_.-], not "." or ".."), at most 8 deep.
func CheckRelPath(p string) error {
	if p == "" || len(p) > MaxStringLen {
		return ErrBadPath
	}
	depth, start := 0, 0
	for i := 0; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' {
			c := p[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
				return ErrBadPath
			}
			continue
		}
		comp := p[start:i]
		if comp == "" || comp == "." || comp == ".." {
			return ErrBadPath
		}
		depth++
		start = i + 1
	}
	if depth > 8 {
		return ErrBadPath
	}
	return nil
}

// --- ErrorMsg

func (m *ErrorMsg) encode(e *encoder) { e.u16(uint16(m.Code)); e.str(m.Message) }
func (m *ErrorMsg) decode(d *decoder) {
	m.Code = ErrorCode(d.u16("code"))
	m.Message = d.str("message")
}
func (m *ErrorMsg) validate() error { return checkStr("message", m.Message, false) }

// Errorf builds an ErrorMsg, truncating the message to fit MaxStringLen.
func Errorf(code ErrorCode, format string, args ...any) *ErrorMsg {
	s := fmt.Sprintf(format, args...)
	if len(s) > MaxStringLen {
		s = s[:MaxStringLen-3] + "..."
	}
	return &ErrorMsg{Code: code, Message: s}
}
