package server

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/ceremony"
	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/engine/transcript"
	"github.com/zklora/zklora/net/wire"
)

// CeremonyConfig lets A take part in key ceremonies that B starts over the
// connection (DESIGN §3, wire.CeremonyRequest): A contributes first to
// each phase, verifies B's contributions, finalizes, and hands the keys to
// Done.
type CeremonyConfig struct {
	// Done stores a finished ceremony (the final transcript and its keys,
	// already checked to belong together) and returns the modules of that
	// shape committed under the new keys; they replace the served ones for
	// sessions opened afterwards. Required.
	Done func(t *ceremony.Transcript, keys *prover.Keys) ([]Module, error)
	// MaxTranscript bounds the transcript B may upload (0: four phase-1
	// contributions' worth for the shape's domain, at least 1 MiB).
	MaxTranscript uint64
}

// ceremonyConn is the state of the ceremony running on one connection.
type ceremonyConn struct {
	party *ceremony.Party
	out   []byte   // A's current transcript, encoded
	hash  [32]byte // its SHA-256
	in    []byte   // B's transcript being uploaded
	inGot uint64   // bytes of it received (in order)
	limit uint64
	// slot is set while this ceremony holds the server's ceremony slot.
	slot bool
}

// ceremony answers one ceremony request; false closes the connection.
func (c *conn) ceremony(req *wire.CeremonyRequest) bool {
	s := c.s
	if s.cfg.Ceremony == nil || s.cfg.Ceremony.Done == nil {
		return c.send(wire.Errorf(wire.CodeBadRequest, "this server does not run key ceremonies")) == nil
	}
	resp, e := c.ceremonyStep(req)
	if e != nil {
		if req.Op != wire.CeremonyPut && req.Op != wire.CeremonyGet {
			c.cer.release(s) // a failed step ends the ceremony
			c.cer = nil
		}
		return c.send(e) == nil
	}
	return c.send(resp) == nil
}

func (c *conn) ceremonyStep(req *wire.CeremonyRequest) (*wire.CeremonyResponse, *wire.ErrorMsg) {
	s := c.s
	if req.Op == wire.CeremonyStart {
		shape := circuits.Shape{D: int(req.D), R: int(req.R), O: int(req.O)}
		c.cer.release(s)
		c.cer = nil
		if !s.servesShape(shape) {
			return nil, wire.Errorf(wire.CodeBadRequest, "no module of shape %s: no ceremony for it", shape)
		}
		// One ceremony at a time per server: its states are large and its
		// steps heavy. The slot is held until the ceremony ends, fails or
		// its connection closes (an idle B is dropped by IdleTimeout).
		select {
		case s.ceremonySem <- struct{}{}:
		default:
			return nil, wire.Errorf(wire.CodeBusy, "another key ceremony is running; retry later")
		}
		cc := &ceremonyConn{slot: true, limit: s.cfg.Ceremony.MaxTranscript}
		c.cer = cc
		p, err := ceremony.NewParty(shape)
		if err == nil {
			_, err = p.Contribute()
		}
		if err != nil {
			return nil, c.ceremonyError(err)
		}
		cc.party = p
		if c.cer.limit == 0 {
			c.cer.limit = max(4*ceremony.Phase1Size(p.Transcript().Domain), 1<<20)
		}
		return c.cer.publish(req.Op)
	}
	cc := c.cer
	if cc == nil {
		return nil, wire.Errorf(wire.CodeBadRequest, "no ceremony in progress on this connection")
	}
	switch req.Op {
	case wire.CeremonyGet:
		if req.Offset > uint64(len(cc.out)) {
			return nil, wire.Errorf(wire.CodeBadRequest, "offset %d past the %d-byte transcript", req.Offset, len(cc.out))
		}
		r := cc.response(req.Op)
		r.Offset = req.Offset
		r.Data = cc.out[req.Offset:min(uint64(len(cc.out)), req.Offset+wire.MaxChunk)]
		return r, nil
	case wire.CeremonyPut:
		if err := cc.put(req, s); err != nil {
			return nil, wire.Errorf(wire.CodeBadRequest, "%v", err)
		}
		return cc.response(req.Op), nil
	case wire.CeremonyPhase2, wire.CeremonyFinish:
		if cc.inGot != uint64(len(cc.in)) || len(cc.in) == 0 {
			return nil, wire.Errorf(wire.CodeBadRequest, "B's transcript is incomplete (%d of %d bytes)", cc.inGot, len(cc.in))
		}
		in := cc.in
		cc.in, cc.inGot = nil, 0
		s.releaseBuffer(int64(len(in)))
		if err := c.advance(req.Op, in); err != nil {
			return nil, c.ceremonyError(err)
		}
		resp, e := cc.publish(req.Op)
		if req.Op == wire.CeremonyFinish {
			cc.release(s) // B may still download the final transcript
		}
		return resp, e
	}
	return nil, wire.Errorf(wire.CodeBadRequest, "unknown ceremony op %d", req.Op)
}

// advance accepts B's transcript and takes A's next step.
func (c *conn) advance(op uint8, in []byte) error {
	cc := c.cer
	t, err := ceremony.Decode(in)
	if err != nil {
		return fmt.Errorf("%w: %v", ceremony.ErrInvalid, err)
	}
	want := ceremony.Phase1
	if op == wire.CeremonyFinish {
		want = ceremony.Phase2
	}
	if t.Phase != want {
		return fmt.Errorf("%w: B sent a %s transcript, this step wants %s", ceremony.ErrInvalid, t.Phase, want)
	}
	p := cc.party
	if err := p.Accept(t); err != nil {
		return err
	}
	if op == wire.CeremonyPhase2 {
		if err := p.StartPhase2(nil); err != nil {
			return err
		}
		_, err := p.Contribute()
		return err
	}
	keys, err := p.Finalize(nil)
	if err != nil {
		return err
	}
	mods, err := c.s.cfg.Ceremony.Done(p.Transcript(), keys)
	if err != nil {
		return fmt.Errorf("ceremony: storing the keys: %w", err)
	}
	if err := c.s.rekey(keys, mods); err != nil {
		return err
	}
	c.s.cfg.Logger.Info("key ceremony finished", "shape", keys.Shape, "ceremony", keys.Ceremony, "client", c.cl.owner)
	return nil
}

// ceremonyError turns a step's error into an error response.
func (c *conn) ceremonyError(err error) *wire.ErrorMsg {
	if errors.Is(err, ceremony.ErrInvalid) {
		return wire.Errorf(wire.CodeBadRequest, "%v", err)
	}
	c.s.cfg.Logger.Error("key ceremony", "client", c.cl.owner, "err", err)
	return wire.Errorf(wire.CodeInternal, "ceremony: %v", err)
}

// publish encodes A's current transcript for B to download.
func (cc *ceremonyConn) publish(op uint8) (*wire.CeremonyResponse, *wire.ErrorMsg) {
	b, err := cc.party.Transcript().Encode()
	if err != nil {
		return nil, wire.Errorf(wire.CodeInternal, "ceremony: %v", err)
	}
	cc.out, cc.hash = b, sha256.Sum256(b)
	return cc.response(op), nil
}

func (cc *ceremonyConn) response(op uint8) *wire.CeremonyResponse {
	return &wire.CeremonyResponse{Op: op, Total: uint64(len(cc.out)), Hash: bytes.Clone(cc.hash[:])}
}

// put appends one chunk of B's transcript; chunks come in order.
func (cc *ceremonyConn) put(req *wire.CeremonyRequest, s *LoRAServer) error {
	if req.Offset == 0 && cc.in == nil {
		if req.Total > cc.limit {
			return fmt.Errorf("transcript of %d bytes, over the %d this ceremony allows", req.Total, cc.limit)
		}
		if !s.reserveBuffer(int64(req.Total)) {
			return errors.New("server memory for requests is exhausted; retry later")
		}
		cc.in, cc.inGot = make([]byte, req.Total), 0
	}
	if req.Total != uint64(len(cc.in)) || req.Offset != cc.inGot {
		return fmt.Errorf("chunk at %d of a %d-byte transcript; expected offset %d of %d", req.Offset, req.Total, cc.inGot, len(cc.in))
	}
	copy(cc.in[cc.inGot:], req.Data)
	cc.inGot += uint64(len(req.Data))
	return nil
}

// release frees what the connection's ceremony holds: the upload buffer
// and the server's ceremony slot.
func (cc *ceremonyConn) release(s *LoRAServer) {
	if cc == nil {
		return
	}
	if cc.in != nil {
		s.releaseBuffer(int64(len(cc.in)))
		cc.in = nil
	}
	if cc.slot {
		cc.slot = false
		<-s.ceremonySem
	}
}

// servesShape reports whether A serves a module of shape.
func (s *LoRAServer) servesShape(shape circuits.Shape) bool {
	for _, sh := range s.shapes {
		if sh == shape {
			return true
		}
	}
	return false
}

// rekey replaces, for sessions opened from now on, the announcement of the
// modules of the keys' shape with mods, committed under those keys.
func (s *LoRAServer) rekey(keys *prover.Keys, mods []Module) error {
	byName := map[string]Module{}
	for _, m := range mods {
		if m.Shape != keys.Shape || m.CircuitID != keys.CircuitID || m.VKFingerprint != prover.VKFingerprint(keys.VK) || m.KeyMode != string(keys.Mode) {
			return fmt.Errorf("ceremony: module %q is not committed under the ceremony's keys", m.Name)
		}
		byName[m.Name] = m
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	info := append([]wire.ModuleInfo(nil), s.info...)
	trMods := append([]transcript.Module(nil), s.trMods...)
	for i := range info {
		m, ok := byName[info[i].Name]
		if !ok {
			if s.shapes[info[i].Name] == keys.Shape {
				return fmt.Errorf("ceremony: module %q of shape %s was not recommitted", info[i].Name, keys.Shape)
			}
			continue
		}
		if s.shapes[m.Name] != m.Shape || len(m.Commitment) == 0 {
			return fmt.Errorf("ceremony: module %q changed shape or has no commitment", m.Name)
		}
		info[i].Commitment, info[i].CircuitID, info[i].VKFingerprint, info[i].KeyMode = m.Commitment, m.CircuitID, m.VKFingerprint, m.KeyMode
		trMods[i].Commitment, trMods[i].VKFingerprint, trMods[i].KeyMode = m.Commitment, m.VKFingerprint, m.KeyMode
		delete(byName, m.Name)
	}
	if len(byName) != 0 {
		return errors.New("ceremony: recommitted modules this server does not serve")
	}
	s.info, s.trMods = info, trMods
	return nil
}
