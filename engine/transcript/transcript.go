package transcript

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/zklora/zklora/circuits"
)

// Module is one LoRA injection point as announced at init.
type Module struct {
	Name          string
	Shape         circuits.Shape
	Commitment    []byte // the adapter commitment (32-byte compressed G1), as announced at init
	VKFingerprint string
	KeyMode       string
}

// Call is one lora_forward exchange: Rows input rows X (Rows×d int16) sent
// by B and the Rows output rows Z (Rows×o int64) returned by A, flat
// row-major.
type Call struct {
	Module string
	Index  uint32 // call index within the module, from 0
	Rows   int
	X      []int16
	Z      []int64
}

// Transcript is the record of one session. Build it with New (or Decode /
// Load) and add calls with Append; the exported fields are for reading.
// Nonce is B's end-of-session nonce, set with SetNonce after the last call;
// it is not covered by Root. The methods are safe for concurrent use; reading
// the exported fields while another goroutine appends is not.
type Transcript struct {
	SessionID string
	Nonce     []byte
	Modules   []Module
	Calls     []Call

	mu      sync.Mutex
	limits  Limits
	modIdx  map[string]int       // module name → position in Modules
	seen    map[callKey]struct{} // (module, index) of every call
	indexed int                  // number of Calls reflected in seen
	rows    int64                // Σ Rows over Calls[:indexed]
	values  int64                // Σ Rows·(d+o) over Calls[:indexed]
}

type callKey struct {
	module string
	index  uint32
}

// New starts the transcript of session sessionID over the announced
// modules. It refuses an empty or oversized session id, duplicate or
// invalid module names, invalid shapes and oversized fields. The modules are
// copied.
func New(sessionID string, modules []Module) (*Transcript, error) {
	t := &Transcript{SessionID: sessionID, Modules: make([]Module, len(modules))}
	for i, m := range modules {
		m.Commitment = slices.Clone(m.Commitment)
		t.Modules[i] = m
	}
	if err := t.checkHeader(); err != nil {
		return nil, err
	}
	t.reindexLocked()
	return t, nil
}

// SetLimits replaces the size limits (zero fields mean the defaults). It
// fails if the calls already recorded exceed the new limits.
func (t *Transcript) SetLimits(l Limits) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.syncIndexLocked()
	l = l.withDefaults()
	if t.rows > l.MaxRows || t.values > l.MaxValues {
		return fmt.Errorf("transcript: %d rows, %d values already recorded exceed the new limits", t.rows, t.values)
	}
	t.limits = l
	return nil
}

// SetNonce records B's end-of-session nonce (at most MaxNonceLen bytes).
func (t *Transcript) SetNonce(nonce []byte) error {
	if len(nonce) > MaxNonceLen {
		return fmt.Errorf("transcript: nonce of %d bytes, at most %d allowed", len(nonce), MaxNonceLen)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.Nonce = slices.Clone(nonce)
	return nil
}

// checkHeader validates the session id and the modules.
func (t *Transcript) checkHeader() error {
	if t.SessionID == "" {
		return errors.New("transcript: empty session id")
	}
	if len(t.SessionID) > MaxSessionIDLen {
		return fmt.Errorf("transcript: session id of %d bytes, at most %d allowed", len(t.SessionID), MaxSessionIDLen)
	}
	if len(t.Nonce) > MaxNonceLen {
		return fmt.Errorf("transcript: nonce of %d bytes, at most %d allowed", len(t.Nonce), MaxNonceLen)
	}
	if len(t.Modules) > MaxModules {
		return fmt.Errorf("transcript: %d modules, at most %d allowed", len(t.Modules), MaxModules)
	}
	names := make(map[string]bool, len(t.Modules))
	for i, m := range t.Modules {
		if err := checkModule(m); err != nil {
			return fmt.Errorf("transcript: module %d: %w", i, err)
		}
		if names[m.Name] {
			return fmt.Errorf("transcript: module %q announced twice", m.Name)
		}
		names[m.Name] = true
	}
	return nil
}

func checkModule(m Module) error {
	switch {
	case m.Name == "":
		return errors.New("empty name")
	case len(m.Name) > MaxNameLen:
		return fmt.Errorf("name of %d bytes, at most %d allowed", len(m.Name), MaxNameLen)
	case !utf8.ValidString(m.Name) || strings.ContainsFunc(m.Name, isControl):
		return fmt.Errorf("name %q is not printable UTF-8", m.Name)
	case len(m.Commitment) > MaxCommitmentLen:
		return fmt.Errorf("%q: commitment of %d bytes, at most %d allowed", m.Name, len(m.Commitment), MaxCommitmentLen)
	case len(m.VKFingerprint) > MaxFingerprintLen:
		return fmt.Errorf("%q: vk fingerprint of %d bytes, at most %d allowed", m.Name, len(m.VKFingerprint), MaxFingerprintLen)
	case len(m.KeyMode) > MaxKeyModeLen:
		return fmt.Errorf("%q: key mode of %d bytes, at most %d allowed", m.Name, len(m.KeyMode), MaxKeyModeLen)
	}
	if err := m.Shape.Validate(); err != nil {
		return fmt.Errorf("%q: %w", m.Name, err)
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// reindexLocked rebuilds the index from scratch (callers hold mu or own t).
func (t *Transcript) reindexLocked() {
	t.modIdx = make(map[string]int, len(t.Modules))
	for i, m := range t.Modules {
		t.modIdx[m.Name] = i
	}
	t.seen = make(map[callKey]struct{}, len(t.Calls))
	t.indexed, t.rows, t.values = 0, 0, 0
	for _, c := range t.Calls {
		t.seen[callKey{c.Module, c.Index}] = struct{}{}
		t.rows += int64(c.Rows)
		t.values += int64(len(c.X)) + int64(len(c.Z))
	}
	t.indexed = len(t.Calls)
}

// syncIndexLocked rebuilds the index if the exported slices changed length
// behind its back (a Transcript built as a literal, for instance).
func (t *Transcript) syncIndexLocked() {
	if t.modIdx == nil || len(t.modIdx) != len(t.Modules) || t.indexed != len(t.Calls) {
		t.reindexLocked()
	}
}

// Append records one call after checking it: module announced, 1 ≤ Rows ≤
// MaxCallRows, len(X) = Rows·d, len(Z) = Rows·o, (module, index) not seen
// before, and the session's row and value limits. X and Z are copied.
func (t *Transcript) Append(c Call) error {
	return t.add(c, true)
}

// add is Append; it copies X and Z only if copyValues.
func (t *Transcript) add(c Call, copyValues bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.syncIndexLocked()
	if len(t.Calls) >= MaxCalls {
		return fmt.Errorf("transcript: call %d of module %q: the session already holds %d calls, the maximum", c.Index, c.Module, MaxCalls)
	}
	mi, ok := t.modIdx[c.Module]
	if !ok {
		return fmt.Errorf("transcript: call %d of module %q: module not announced at init", c.Index, c.Module)
	}
	if err := checkCall(c, t.Modules[mi].Shape); err != nil {
		return fmt.Errorf("transcript: call %d of module %q: %w", c.Index, c.Module, err)
	}
	key := callKey{c.Module, c.Index}
	if _, dup := t.seen[key]; dup {
		return fmt.Errorf("transcript: call %d of module %q: recorded twice", c.Index, c.Module)
	}
	lim := t.limits.withDefaults()
	nv := int64(len(c.X)) + int64(len(c.Z))
	if t.rows+int64(c.Rows) > lim.MaxRows {
		return fmt.Errorf("transcript: call %d of module %q: %d more rows exceed the session's limit of %d rows (%d recorded)", c.Index, c.Module, c.Rows, lim.MaxRows, t.rows)
	}
	if t.values+nv > lim.MaxValues {
		return fmt.Errorf("transcript: call %d of module %q: %d more values exceed the session's limit of %d values (%d recorded)", c.Index, c.Module, nv, lim.MaxValues, t.values)
	}
	if copyValues {
		c.X = slices.Clone(c.X)
		c.Z = slices.Clone(c.Z)
	}
	t.Calls = append(t.Calls, c)
	t.seen[key] = struct{}{}
	t.indexed++
	t.rows += int64(c.Rows)
	t.values += nv
	return nil
}

// checkCall checks a call's sizes against its module's shape.
func checkCall(c Call, s circuits.Shape) error {
	if c.Rows < 1 || c.Rows > MaxCallRows {
		return fmt.Errorf("%d rows, want 1 to %d", c.Rows, MaxCallRows)
	}
	if want := int64(c.Rows) * int64(s.D); int64(len(c.X)) != want {
		return fmt.Errorf("X has %d values, want rows·d = %d·%d = %d", len(c.X), c.Rows, s.D, want)
	}
	if want := int64(c.Rows) * int64(s.O); int64(len(c.Z)) != want {
		return fmt.Errorf("Z has %d values, want rows·o = %d·%d = %d", len(c.Z), c.Rows, s.O, want)
	}
	return nil
}

// Module returns the announced module called name (a copy).
func (t *Transcript) Module(name string) (Module, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.syncIndexLocked()
	i, ok := t.modIdx[name]
	if !ok {
		return Module{}, false
	}
	m := t.Modules[i]
	m.Commitment = slices.Clone(m.Commitment)
	return m, true
}

// moduleCallsLocked returns the calls of module name sorted by index.
func (t *Transcript) moduleCallsLocked(name string) []*Call {
	var cs []*Call
	for i := range t.Calls {
		if t.Calls[i].Module == name {
			cs = append(cs, &t.Calls[i])
		}
	}
	sort.SliceStable(cs, func(a, b int) bool { return cs[a].Index < cs[b].Index })
	return cs
}

// ModuleRows returns all rows of module name, its calls concatenated in
// call-index order: X (T×d), Z (T×o) and the row count T. The slices are
// fresh copies. An unknown or unused module gives nil, nil, 0.
func (t *Transcript) ModuleRows(name string) (X []int16, Z []int64, T int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	cs := t.moduleCallsLocked(name)
	nx, nz := 0, 0
	for _, c := range cs {
		nx += len(c.X)
		nz += len(c.Z)
		T += c.Rows
	}
	if T == 0 {
		return nil, nil, 0
	}
	X = make([]int16, 0, nx)
	Z = make([]int64, 0, nz)
	for _, c := range cs {
		X = append(X, c.X...)
		Z = append(Z, c.Z...)
	}
	return X, Z, T
}

// CallCount returns the number of calls recorded for module name.
func (t *Transcript) CallCount(name string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for i := range t.Calls {
		if t.Calls[i].Module == name {
			n++
		}
	}
	return n
}

// UsedModules returns the names of the modules with at least one call,
// sorted.
func (t *Transcript) UsedModules() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	set := map[string]bool{}
	for i := range t.Calls {
		set[t.Calls[i].Module] = true
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Validate re-checks the whole transcript: header, every call against its
// module, no duplicate (module, index), and the limits. Decode and Load
// validate already; Validate is for a Transcript assembled by hand.
func (t *Transcript) Validate() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.validateLocked()
}

func (t *Transcript) validateLocked() error {
	if err := t.checkHeader(); err != nil {
		return err
	}
	if len(t.Calls) > MaxCalls {
		return fmt.Errorf("transcript: %d calls, at most %d allowed", len(t.Calls), MaxCalls)
	}
	shapes := make(map[string]circuits.Shape, len(t.Modules))
	for _, m := range t.Modules {
		shapes[m.Name] = m.Shape
	}
	lim := t.limits.withDefaults()
	seen := make(map[callKey]struct{}, len(t.Calls))
	var rows, values int64
	for _, c := range t.Calls {
		s, ok := shapes[c.Module]
		if !ok {
			return fmt.Errorf("transcript: call %d of module %q: module not announced at init", c.Index, c.Module)
		}
		if err := checkCall(c, s); err != nil {
			return fmt.Errorf("transcript: call %d of module %q: %w", c.Index, c.Module, err)
		}
		k := callKey{c.Module, c.Index}
		if _, dup := seen[k]; dup {
			return fmt.Errorf("transcript: call %d of module %q: recorded twice", c.Index, c.Module)
		}
		seen[k] = struct{}{}
		rows += int64(c.Rows)
		values += int64(len(c.X)) + int64(len(c.Z))
	}
	if rows > lim.MaxRows {
		return fmt.Errorf("transcript: %d rows exceed the limit of %d", rows, lim.MaxRows)
	}
	if values > lim.MaxValues {
		return fmt.Errorf("transcript: %d values exceed the limit of %d", values, lim.MaxValues)
	}
	return nil
}
