package server

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/zklora/zklora/engine/artifact"
	"github.com/zklora/zklora/engine/transcript"
	"github.com/zklora/zklora/net/record"
	"github.com/zklora/zklora/net/wire"
)

// artifactsDir is the artifact directory inside a session directory. Next
// to the prover's files it holds A's record (net/record), so that B can
// name the first call where its transcript and A's differ.
const artifactsDir = "artifacts"

func (s *LoRAServer) handleEnd(cl client, req *wire.EndRequest) wire.Message {
	ss, e := s.lookup(req.SessionID, cl)
	if e != nil {
		return e
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.state != wire.StateRecording {
		if ss.nonce != nil && bytes.Equal(ss.nonce, req.Nonce) {
			return &wire.EndResponse{SessionID: ss.id, JobID: ss.jobID} // a retry
		}
		if ss.state == wire.StateFailed && ss.nonce == nil {
			return wire.Errorf(wire.CodeEnded, "session %s cannot end: %s", ss.id, ss.errMsg)
		}
		return wire.Errorf(wire.CodeEnded, "session %s has already ended", ss.id)
	}
	if len(ss.pending) > 0 {
		return wire.Errorf(wire.CodeBusy, "session %s still has %d calls being answered", ss.id, len(ss.pending))
	}
	if n := len(ss.calls); n == 0 {
		return wire.Errorf(wire.CodeBadRequest, "session %s has no call: nothing to prove", ss.id)
	} else if int(req.Calls) != n {
		return wire.Errorf(wire.CodeConflict, "session %s: A recorded %d calls, B reports %d (a lost answer? retry the missing calls with the same inputs)", ss.id, n, req.Calls)
	}
	if !s.acquireLoad() {
		return wire.Errorf(wire.CodeBusy, "the server is busy ending other sessions; retry")
	}
	tr, err := loadTranscript(ss.dir)
	s.releaseLoad()
	if err != nil {
		s.cfg.Logger.Error("reload session", "session", ss.id, "err", err)
		return wire.Errorf(wire.CodeInternal, "session %s: cannot read its record back", ss.id)
	}
	if len(tr.Calls) != len(ss.calls) {
		return wire.Errorf(wire.CodeInternal, "session %s: its record holds %d calls, %d expected", ss.id, len(tr.Calls), len(ss.calls))
	}
	if root := tr.Root(); root != req.Root {
		return wire.Errorf(wire.CodeConflict, "session %s: B's transcript root %x differs from A's %x", ss.id, req.Root[:8], root[:8])
	}
	if _, err := ss.log.append(encodeEnd(&logEnd{Nonce: req.Nonce, Root: req.Root})); err != nil {
		s.cfg.Logger.Error("session log", "session", ss.id, "err", err)
		return wire.Errorf(wire.CodeInternal, "session %s: cannot record the end of the session", ss.id)
	}
	_ = ss.log.close()
	ss.log = nil
	ss.nonce = append([]byte(nil), req.Nonce...)
	ss.jobID = "prove-" + ss.id
	ss.state = wire.StateQueued
	ss.total = len(tr.UsedModules())
	if ss.live {
		ss.live = false
		s.releaseLive(ss.owner)
	}
	s.cfg.Logger.Info("session ended", "session", ss.id, "calls", len(tr.Calls), "modules", ss.total)
	s.startProof(ss)
	return &wire.EndResponse{SessionID: ss.id, JobID: ss.jobID}
}

// acquireLoad bounds how many session records are loaded into memory at
// once by end_inference (each holds all of a session's rows).
func (s *LoRAServer) acquireLoad() bool {
	select {
	case s.loadSem <- struct{}{}:
		return true
	case <-time.After(s.cfg.WriteTimeout):
		return false
	}
}

func (s *LoRAServer) releaseLoad() { <-s.loadSem }

// loadTranscript rebuilds a session's transcript from its log, with B's
// nonce set if the session has ended.
func loadTranscript(dir string) (*transcript.Transcript, error) {
	ls, err := readLog(dir)
	if err != nil {
		return nil, err
	}
	tr, err := transcript.New(ls.Header.SessionID, ls.Header.Modules)
	if err != nil {
		return nil, err
	}
	if err := tr.SetLimits(transcript.Limits{MaxRows: 1 << 40, MaxValues: 1 << 62}); err != nil {
		return nil, err
	}
	for _, c := range ls.Calls {
		if err := tr.Append(c); err != nil {
			return nil, err
		}
	}
	if ls.End != nil {
		if err := tr.SetNonce(ls.End.Nonce); err != nil {
			return nil, err
		}
		if tr.Root() != ls.End.Root {
			return nil, errors.New("the recorded transcript's root differs from the one B announced at its end")
		}
	}
	return tr, nil
}

// startProof proves ss in the background (ss.mu may be held: the goroutine
// takes it itself).
func (s *LoRAServer) startProof(ss *session) {
	s.goTracked(func() { s.prove(ss) })
}

func (s *LoRAServer) prove(ss *session) {
	select {
	case s.proveSem <- struct{}{}:
	case <-s.ctx.Done():
		return
	}
	defer func() { <-s.proveSem }()

	ss.mu.Lock()
	ss.state = wire.StateProving
	ss.done = 0
	ss.mu.Unlock()

	dir := filepath.Join(ss.dir, artifactsDir)
	tr, err := loadTranscript(ss.dir)
	if err == nil {
		err = os.RemoveAll(dir)
	}
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err == nil {
		err = record.Of(tr).Save(filepath.Join(dir, record.FileName))
	}
	if err == nil {
		err = s.callProve(ss, dir, tr)
	}
	if err == nil {
		if _, serr := os.Stat(filepath.Join(dir, artifact.ManifestFile)); serr != nil {
			err = errors.New("the prover wrote no manifest")
		}
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	switch {
	case s.ctx.Err() != nil:
		// Shutdown: the session stays ended and unproven on disk, and the
		// next server on this OutDir resumes it.
		ss.state = wire.StateQueued
	case err != nil:
		ss.state, ss.errMsg = wire.StateFailed, "proving failed: "+err.Error()
		s.cfg.Logger.Error("proving failed", "session", ss.id, "err", err)
	default:
		ss.state, ss.done = wire.StateDone, ss.total
		s.cfg.Logger.Info("session proven", "session", ss.id, "modules", ss.total)
	}
}

// callProve runs Config.Prove, turning a panic into an error.
func (s *LoRAServer) callProve(ss *session, dir string, tr *transcript.Transcript) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("prover panicked: %v", r)
		}
	}()
	return s.cfg.Prove(s.ctx, dir, tr, func(done, total int, module string) {
		ss.mu.Lock()
		ss.done, ss.module = min(done, ss.total), module
		ss.mu.Unlock()
	})
}

func (s *LoRAServer) handleStatus(cl client, req *wire.StatusRequest) wire.Message {
	ss, e := s.lookup(req.SessionID, cl)
	if e != nil {
		return e
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	r := &wire.StatusResponse{SessionID: ss.id, State: ss.state, Done: uint32(ss.done), Total: uint32(ss.total), Module: ss.module}
	if ss.state == wire.StateFailed {
		r.Error = ss.errMsg
		if len(r.Error) > wire.MaxStringLen {
			r.Error = r.Error[:wire.MaxStringLen]
		}
	}
	return r
}
