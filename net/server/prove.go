package server

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"

	"github.com/zklora/zklora/engine/artifact"
	"github.com/zklora/zklora/net/wire"
)

// Files inside a session directory.
const (
	artifactsDir = "artifacts"
	// ATranscriptFile is A's own transcript, shipped with the artifacts so
	// that B can name the first call where its record and A's differ. B
	// never takes a public value of the proofs from it.
	ATranscriptFile = "a-transcript.zklt"
)

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
	if n := len(ss.tr.Calls); n == 0 {
		return wire.Errorf(wire.CodeBadRequest, "session %s has no call: nothing to prove", ss.id)
	} else if int(req.Calls) != n {
		return wire.Errorf(wire.CodeConflict, "session %s: A recorded %d calls, B reports %d (a lost answer? retry the missing calls with the same inputs)", ss.id, n, req.Calls)
	}
	if root := ss.tr.Root(); root != req.Root {
		return wire.Errorf(wire.CodeConflict, "session %s: B's transcript root %x differs from A's %x", ss.id, req.Root[:8], root[:8])
	}
	if err := ss.tr.SetNonce(req.Nonce); err != nil {
		return wire.Errorf(wire.CodeBadRequest, "%v", err)
	}
	if err := ss.log.append(encodeEnd(&logEnd{Nonce: req.Nonce, Root: req.Root})); err != nil {
		s.cfg.Logger.Error("session log", "session", ss.id, "err", err)
		return wire.Errorf(wire.CodeInternal, "session %s: cannot record the end of the session", ss.id)
	}
	_ = ss.log.close()
	ss.log = nil
	ss.nonce = append([]byte(nil), req.Nonce...)
	ss.jobID = "prove-" + ss.id
	ss.state = wire.StateQueued
	ss.total = len(ss.tr.UsedModules())
	if ss.live {
		ss.live = false
		s.releaseLive(ss.owner)
	}
	s.cfg.Logger.Info("session ended", "session", ss.id, "calls", len(ss.tr.Calls), "modules", ss.total)
	s.startProof(ss)
	return &wire.EndResponse{SessionID: ss.id, JobID: ss.jobID}
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
	tr := ss.tr
	ss.state = wire.StateProving
	ss.done = 0
	ss.mu.Unlock()

	dir := filepath.Join(ss.dir, artifactsDir)
	err := os.RemoveAll(dir)
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err == nil {
		err = tr.Save(filepath.Join(dir, ATranscriptFile))
	}
	if err == nil {
		err = s.cfg.Prove(s.ctx, dir, tr, func(done, total int, module string) {
			ss.mu.Lock()
			ss.done, ss.module = min(done, ss.total), module
			ss.mu.Unlock()
		})
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
		ss.tr = nil // the artifacts hold it now
		s.cfg.Logger.Info("session proven", "session", ss.id, "modules", ss.total)
	}
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
