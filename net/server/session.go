package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/lora"
	"github.com/zklora/zklora/engine/quant"
	"github.com/zklora/zklora/engine/transcript"
	"github.com/zklora/zklora/net/wire"
)

type callKey struct {
	module string
	index  uint32
}

// session is one session's state. Its fields below mu are guarded by mu;
// the lock order is session.mu before LoRAServer.mu.
type session struct {
	id         string
	dir        string
	combine    string
	owner      string
	budgetKeys []string

	mu    sync.Mutex
	state wire.ProofState
	// log is the open session log while the session records. The calls'
	// rows live only there: memory holds an index, so that a session's
	// footprint does not grow with its rows.
	log       *sessionLog
	calls     map[callKey]callRef
	pending   map[callKey]bool
	rows      map[string]int64 // rows per module, recorded or being answered
	totalRows int64            // over all modules, recorded or being answered
	values    int64            // Σ rows·(d+o), recorded or being answered
	inFlight  int
	lastUsed  time.Time
	live      bool // counted in the server's live-session caps
	nonce     []byte
	jobID     string
	done      int
	total     int
	module    string
	errMsg    string
}

func newSessionID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "s-" + hex.EncodeToString(b), nil
}

func (s *LoRAServer) sessionDir(id string) string {
	return filepath.Join(s.cfg.OutDir, "sessions", id)
}

// lookup returns the session id if it belongs to cl.
func (s *LoRAServer) lookup(id string, cl client) (*session, *wire.ErrorMsg) {
	s.mu.Lock()
	ss, ok := s.sessions[id]
	s.mu.Unlock()
	if !ok || ss.owner != cl.owner {
		return nil, wire.Errorf(wire.CodeUnknownSession, "no session %q for this client", id)
	}
	return ss, nil
}

func (s *LoRAServer) handleInit(cl client, req *wire.InitRequest) wire.Message {
	if e := s.reserveLive(cl.owner); e != nil {
		return e
	}
	id, err := newSessionID()
	if err != nil {
		s.releaseLive(cl.owner)
		return wire.Errorf(wire.CodeInternal, "session id: %v", err)
	}
	dir := s.sessionDir(id)
	s.mu.Lock() // a key ceremony may replace the announcements (rekey)
	trMods, info := s.trMods, s.info
	s.mu.Unlock()
	lg, err := createLog(dir, &logHeader{
		SessionID: id, Combine: req.Combine, Owner: cl.owner, BudgetKeys: cl.budgetKeys,
		Created: time.Now().UnixNano(), Modules: trMods,
	})
	if err != nil {
		s.releaseLive(cl.owner)
		s.cfg.Logger.Error("create session log", "session", id, "err", err)
		return wire.Errorf(wire.CodeInternal, "cannot record a new session")
	}
	ss := &session{
		id: id, dir: dir, combine: req.Combine, owner: cl.owner, budgetKeys: cl.budgetKeys,
		state: wire.StateRecording, log: lg, live: true, lastUsed: time.Now(),
		calls: map[callKey]callRef{}, pending: map[callKey]bool{}, rows: map[string]int64{},
	}
	s.mu.Lock()
	s.sessions[id] = ss
	s.mu.Unlock()
	s.cfg.Logger.Info("session opened", "session", id, "client", cl.owner, "combine", req.Combine)
	resp := &wire.InitResponse{SessionID: id, Combine: req.Combine, Modules: info, MaxRowsPerCall: uint32(s.cfg.MaxRowsPerCall)}
	if s.cfg.RowBudget > 0 {
		resp.RowBudget = uint64(s.cfg.RowBudget)
	}
	return resp
}

// reserveLive takes a live-session slot for owner, evicting idle sessions
// if the global cap is reached.
func (s *LoRAServer) reserveLive(owner string) *wire.ErrorMsg {
	for attempt := 0; attempt < 2; attempt++ {
		s.mu.Lock()
		switch {
		case s.closing:
			s.mu.Unlock()
			return wire.Errorf(wire.CodeShuttingDown, "the server is shutting down")
		case s.liveByClient[owner] >= s.cfg.MaxSessionsPerClient:
			s.mu.Unlock()
			return wire.Errorf(wire.CodeBusy, "this client already has %d open sessions, the most allowed; end one first", s.cfg.MaxSessionsPerClient)
		case s.live < s.cfg.MaxSessions:
			s.live++
			s.liveByClient[owner]++
			s.mu.Unlock()
			return nil
		}
		s.mu.Unlock()
		if attempt == 0 && s.evictIdle() == 0 {
			break
		}
	}
	return wire.Errorf(wire.CodeBusy, "the server has %d open sessions, the most allowed; retry later", s.cfg.MaxSessions)
}

func (s *LoRAServer) releaseLive(owner string) {
	s.mu.Lock()
	s.live--
	if s.liveByClient[owner]--; s.liveByClient[owner] <= 0 {
		delete(s.liveByClient, owner)
	}
	s.mu.Unlock()
}

// evictIdle abandons live sessions idle for longer than SessionIdle: they
// can no longer take calls or end (their record stays on disk). It returns
// how many it evicted.
func (s *LoRAServer) evictIdle() int {
	s.mu.Lock()
	cands := make([]*session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		cands = append(cands, ss)
	}
	s.mu.Unlock()
	n := 0
	cutoff := time.Now().Add(-s.cfg.SessionIdle)
	for _, ss := range cands {
		ss.mu.Lock()
		if ss.live && ss.state == wire.StateRecording && ss.inFlight == 0 && ss.lastUsed.Before(cutoff) {
			ss.live = false
			ss.state = wire.StateFailed
			ss.errMsg = "session abandoned: idle too long"
			_ = ss.log.close()
			ss.log = nil
			s.releaseLive(ss.owner)
			n++
		}
		ss.mu.Unlock()
	}
	return n
}

func (s *LoRAServer) handleForward(cl client, req *wire.ForwardRequest) wire.Message {
	ss, e := s.lookup(req.SessionID, cl)
	if e != nil {
		return e
	}
	mod, ok := s.modules[req.Module]
	if !ok {
		return wire.Errorf(wire.CodeBadRequest, "unknown module %q", req.Module)
	}
	rows := req.X.Rows
	switch {
	case req.X.Cols != mod.Shape.D:
		return wire.Errorf(wire.CodeBadRequest, "module %s call %d: X has %d columns, the module's input width d is %d", mod.Name, req.Call, req.X.Cols, mod.Shape.D)
	case rows > s.cfg.MaxRowsPerCall:
		return wire.Errorf(wire.CodeBadRequest, "module %s call %d: %d rows, at most %d per call", mod.Name, req.Call, rows, s.cfg.MaxRowsPerCall)
	case ss.combine == wire.CombineReplace && (req.Base.Rows != rows || req.Base.Cols != mod.Shape.O):
		return wire.Errorf(wire.CodeBadRequest, "module %s call %d: the replace mode needs B's base output (%dx%d)", mod.Name, req.Call, rows, mod.Shape.O)
	case ss.combine == wire.CombineReplace && (req.ScaleX < quant.MinShift || req.ScaleX > quant.MaxShift):
		return wire.Errorf(wire.CodeBadRequest, "module %s call %d: input shift %d outside [%d, %d]", mod.Name, req.Call, req.ScaleX, quant.MinShift, quant.MaxShift)
	case ss.combine != wire.CombineReplace && len(req.Base.Data) != 0:
		return wire.Errorf(wire.CodeBadRequest, "module %s call %d: base output sent in add_delta mode", mod.Name, req.Call)
	}
	if !s.acquireInFlight() {
		return wire.Errorf(wire.CodeBusy, "the server is answering %d calls, the most at once; retry", s.cfg.MaxInFlight)
	}
	defer s.releaseInFlight()

	key := callKey{req.Module, req.Call}
	nv := int64(rows) * int64(mod.Shape.D+mod.Shape.O)
	ss.mu.Lock()
	if ss.state != wire.StateRecording {
		st, msg := ss.state, ss.errMsg
		ss.mu.Unlock()
		if st == wire.StateFailed {
			return wire.Errorf(wire.CodeEnded, "session %s cannot take calls: %s", ss.id, msg)
		}
		return wire.Errorf(wire.CodeEnded, "session %s has ended", ss.id)
	}
	if ref, dup := ss.calls[key]; dup {
		c, err := s.readCall(ss, ref)
		ss.mu.Unlock()
		if err != nil {
			s.cfg.Logger.Error("read back a call", "session", ss.id, "err", err)
			return wire.Errorf(wire.CodeInternal, "module %s call %d: cannot read the recorded answer", mod.Name, req.Call)
		}
		if c.Rows != rows || !slices.Equal(c.X, req.X.Data) {
			return wire.Errorf(wire.CodeConflict, "module %s call %d was already answered for other inputs", mod.Name, req.Call)
		}
		// A retry (B lost the answer): the recorded answer again.
		return s.answer(ss, mod, req, c.Z)
	}
	if e := s.checkCaps(ss, mod, req.Call, rows, nv); e != nil {
		ss.mu.Unlock()
		return e
	}
	if e := s.reserveClientRows(ss.budgetKeys, mod.Name, int64(rows)); e != nil {
		ss.mu.Unlock()
		return e
	}
	ss.rows[mod.Name] += int64(rows)
	ss.totalRows += int64(rows)
	ss.values += nv
	ss.pending[key] = true
	ss.inFlight++
	ss.mu.Unlock()

	Z, err := circuits.MatMulExact(mod.Shape, req.X.Data, mod.A, mod.B)
	var body []byte
	if err == nil {
		body = encodeCall(&transcript.Call{Module: mod.Name, Index: req.Call, Rows: rows, X: req.X.Data, Z: Z})
	}

	ss.mu.Lock()
	delete(ss.pending, key)
	ss.inFlight--
	if err == nil && ss.state != wire.StateRecording {
		err = fmt.Errorf("session ended while the call was answered")
	}
	if err == nil {
		off, lerr := ss.log.append(body)
		if lerr != nil {
			// Whether the record reached the disk is unknown: this session
			// can no longer be proven consistently. Fail it loudly.
			ss.state, ss.errMsg = wire.StateFailed, "cannot persist the session log: "+lerr.Error()
			s.cfg.Logger.Error("session log", "session", ss.id, "err", lerr)
			ss.mu.Unlock()
			return wire.Errorf(wire.CodeInternal, "session %s: cannot record the call; the session is closed", ss.id)
		}
		ss.calls[key] = callRef{off: off, n: len(body), rows: rows}
		ss.lastUsed = time.Now()
		ss.mu.Unlock()
		return s.answer(ss, mod, req, Z)
	}
	ss.rows[mod.Name] -= int64(rows)
	ss.totalRows -= int64(rows)
	ss.values -= nv
	ss.mu.Unlock()
	s.releaseClientRows(ss.budgetKeys, mod.Name, int64(rows))
	return wire.Errorf(wire.CodeBadRequest, "module %s call %d: %v", mod.Name, req.Call, err)
}

// checkCaps checks a new call against the session's caps and budget
// (ss.mu held).
func (s *LoRAServer) checkCaps(ss *session, mod *Module, call uint32, rows int, nv int64) *wire.ErrorMsg {
	key := callKey{mod.Name, call}
	switch {
	case ss.pending[key]:
		return wire.Errorf(wire.CodeConflict, "module %s call %d is being answered already", mod.Name, call)
	case ss.inFlight >= s.cfg.MaxInFlightPerSession:
		return wire.Errorf(wire.CodeBusy, "session %s has %d calls in flight, the most at once", ss.id, ss.inFlight)
	case len(ss.calls)+len(ss.pending) >= transcript.MaxCalls:
		return wire.Errorf(wire.CodeBudgetExceeded, "session %s holds %d calls, the most a transcript may", ss.id, transcript.MaxCalls)
	case ss.totalRows+int64(rows) > s.trLimits.MaxRows || ss.values+nv > s.trLimits.MaxValues:
		return wire.Errorf(wire.CodeBudgetExceeded, "session %s: %d more rows exceed the transcript's limits (%d rows, %d values)", ss.id, rows, s.trLimits.MaxRows, s.trLimits.MaxValues)
	}
	if b := s.cfg.RowBudget; b > 0 && ss.rows[mod.Name]+int64(rows) > b {
		return wire.Errorf(wire.CodeBudgetExceeded, "module %s call %d: %d more rows would exceed this session's row budget of %d rows per module (%d used): each answer reveals x·ΔW, so A limits how many rows one session may see", mod.Name, call, rows, b, ss.rows[mod.Name])
	}
	return nil
}

// readCall reads a recorded call back from the session log (ss.mu held).
func (s *LoRAServer) readCall(ss *session, ref callRef) (*transcript.Call, error) {
	body, err := ss.log.readBody(ref.off, ref.n)
	if err != nil {
		return nil, err
	}
	return decodeCall(body, s.shapes)
}

// answer builds the response to a recorded call. In the replace mode the
// whole output is B's base output plus the dequantized Z (engine/lora).
func (s *LoRAServer) answer(ss *session, mod *Module, req *wire.ForwardRequest, Z []int64) wire.Message {
	resp := &wire.ForwardResponse{Module: mod.Name, Call: req.Call, Z: wire.Int64Rows{Rows: req.X.Rows, Cols: mod.Shape.O, Data: Z}}
	if ss.combine == wire.CombineReplace {
		shift := int(req.ScaleX) + mod.ShiftA + mod.ShiftB
		out := make([]float32, len(Z))
		for i, z := range Z {
			out[i] = lora.Combine(req.Base.Data[i], z, shift, mod.Scaling)
		}
		resp.Out = wire.Float32Rows{Rows: req.X.Rows, Cols: mod.Shape.O, Data: out}
	}
	return resp
}

func (s *LoRAServer) acquireInFlight() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inFlight >= s.cfg.MaxInFlight {
		return false
	}
	s.inFlight++
	return true
}

func (s *LoRAServer) releaseInFlight() {
	s.mu.Lock()
	s.inFlight--
	s.mu.Unlock()
}

// reserveClientRows adds rows of module to every budget key, or to none if
// one would exceed ClientRowBudget.
func (s *LoRAServer) reserveClientRows(keys []string, module string, rows int64) *wire.ErrorMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.cfg.ClientRowBudget; b > 0 {
		for _, k := range keys {
			if used := s.clientRows[k][module]; used+rows > b {
				return wire.Errorf(wire.CodeBudgetExceeded, "module %s: %d more rows would exceed the row budget of client %s, %d rows per module over all sessions (%d used): each answer reveals x·ΔW, so A limits how many rows one client may see", module, rows, k, b, used)
			}
		}
	}
	s.addClientRowsLocked(keys, module, rows)
	return nil
}

func (s *LoRAServer) addClientRowsLocked(keys []string, module string, rows int64) {
	for _, k := range keys {
		m := s.clientRows[k]
		if m == nil {
			m = map[string]int64{}
			s.clientRows[k] = m
		}
		m[module] += rows
	}
}

func (s *LoRAServer) releaseClientRows(keys []string, module string, rows int64) {
	s.mu.Lock()
	s.addClientRowsLocked(keys, module, -rows)
	s.mu.Unlock()
}
