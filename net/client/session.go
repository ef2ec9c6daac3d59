package client

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/transcript"
	"github.com/zklora/zklora/net/wire"
)

// Session is one inference session with A, seen from B.
type Session struct {
	c *Client
	// ID is the session id A assigned.
	ID string
	// Combine is the combine mode of the session.
	Combine string
	// Manifest is what A announced at init, before any call.
	Manifest *wire.InitResponse
	// Transcript is B's own record: the rows B sent and the answers it
	// received, appended by Record.
	Transcript *transcript.Transcript

	modules map[string]wire.ModuleInfo
	nonce   []byte
}

// Init opens a session in the given combine mode and starts B's transcript
// over the modules A announced.
func (c *Client) Init(ctx context.Context, combine string) (*Session, error) {
	resp, err := expect[*wire.InitResponse](c.roundTrip(ctx, &wire.InitRequest{Combine: combine, Client: "zklora"}, false))
	if err != nil {
		return nil, fmt.Errorf("client: init: %w", err)
	}
	if resp.Combine != combine {
		return nil, fmt.Errorf("%w: asked for combine mode %s, A answered %s", ErrProtocol, combine, resp.Combine)
	}
	s := &Session{c: c, ID: resp.SessionID, Combine: resp.Combine, Manifest: resp, modules: map[string]wire.ModuleInfo{}}
	mods := make([]transcript.Module, 0, len(resp.Modules))
	for _, m := range resp.Modules {
		sh := circuits.Shape{D: m.D, R: m.R, O: m.O}
		if err := sh.Validate(); err != nil {
			return nil, fmt.Errorf("%w: module %s: %v", ErrProtocol, m.Name, err)
		}
		s.modules[m.Name] = m
		mods = append(mods, transcript.Module{Name: m.Name, Shape: sh, Commitment: m.Commitment, VKFingerprint: m.VKFingerprint, KeyMode: m.KeyMode})
	}
	if s.Transcript, err = transcript.New(resp.SessionID, mods); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	if err := s.Transcript.SetLimits(transcript.Limits{MaxRows: 1 << 40, MaxValues: 1 << 40}); err != nil {
		return nil, err
	}
	return s, nil
}

// Module returns what A announced for module name.
func (s *Session) Module(name string) (wire.ModuleInfo, bool) {
	m, ok := s.modules[name]
	return m, ok
}

// Forward sends one lora_forward call: rows int16 input rows X (rows×d) of
// module, quantized with scale 2^-sX, and, in the replace mode, B's base
// output of the module (rows×o). It returns Z (rows×o) and, in the replace
// mode, A's whole output. The answer's shape is checked, nothing else:
// engine/lora checks the replace output against Z, and Record keeps it.
func (s *Session) Forward(ctx context.Context, module string, call uint32, rows int, X []int16, sX int32, base []float32) (Z []int64, out []float32, err error) {
	m, ok := s.modules[module]
	if !ok {
		return nil, nil, fmt.Errorf("client: module %q was not announced by A", module)
	}
	if rows < 1 || len(X) != rows*m.D {
		return nil, nil, fmt.Errorf("client: module %s: %d values for %d rows of width %d", module, len(X), rows, m.D)
	}
	req := &wire.ForwardRequest{SessionID: s.ID, Module: module, Call: call, ScaleX: sX, X: wire.Int16Rows{Rows: rows, Cols: m.D, Data: X}}
	if s.Combine == wire.CombineReplace {
		if len(base) != rows*m.O {
			return nil, nil, fmt.Errorf("client: module %s: the replace mode needs %d base output values, got %d", module, rows*m.O, len(base))
		}
		req.Base = wire.Float32Rows{Rows: rows, Cols: m.O, Data: base}
	}
	resp, err := expect[*wire.ForwardResponse](s.c.roundTrip(ctx, req, true))
	if err != nil {
		return nil, nil, fmt.Errorf("client: lora_forward %s call %d: %w", module, call, err)
	}
	if resp.Module != module || resp.Call != call {
		return nil, nil, fmt.Errorf("%w: asked for %s call %d, got %s call %d", ErrProtocol, module, call, resp.Module, resp.Call)
	}
	if resp.Z.Rows != rows || resp.Z.Cols != m.O {
		return nil, nil, fmt.Errorf("%w: %s call %d: Z is %dx%d, want %dx%d", ErrProtocol, module, call, resp.Z.Rows, resp.Z.Cols, rows, m.O)
	}
	if s.Combine == wire.CombineReplace {
		if resp.Out.Rows != rows || resp.Out.Cols != m.O {
			return nil, nil, fmt.Errorf("%w: %s call %d: output is %dx%d, want %dx%d", ErrProtocol, module, call, resp.Out.Rows, resp.Out.Cols, rows, m.O)
		}
	} else if len(resp.Out.Data) != 0 {
		return nil, nil, fmt.Errorf("%w: %s call %d: whole output in add_delta mode", ErrProtocol, module, call)
	}
	return resp.Z.Data, resp.Out.Data, nil
}

// Record appends one answered call to B's transcript.
func (s *Session) Record(module string, call uint32, rows int, X []int16, Z []int64) error {
	return s.Transcript.Append(transcript.Call{Module: module, Index: call, Rows: rows, X: X, Z: Z})
}

// End ends inference: B draws a fresh 32-byte nonce from crypto/rand,
// records it in its transcript, and sends it with its call count and
// transcript root. It returns A's proof job id. Calling End again resends
// the same nonce.
func (s *Session) End(ctx context.Context) (string, error) {
	if s.nonce == nil {
		n := make([]byte, 32)
		if _, err := rand.Read(n); err != nil {
			return "", err
		}
		if err := s.Transcript.SetNonce(n); err != nil {
			return "", err
		}
		s.nonce = n
	}
	req := &wire.EndRequest{SessionID: s.ID, Nonce: s.nonce, Calls: uint32(len(s.Transcript.Calls)), Root: s.Transcript.Root()}
	resp, err := expect[*wire.EndResponse](s.c.roundTrip(ctx, req, true))
	if err != nil {
		return "", fmt.Errorf("client: end_inference: %w", err)
	}
	if resp.SessionID != s.ID {
		return "", fmt.Errorf("%w: end_inference answered for session %s", ErrProtocol, resp.SessionID)
	}
	return resp.JobID, nil
}

// Status asks for the proving progress.
func (s *Session) Status(ctx context.Context) (*wire.StatusResponse, error) {
	resp, err := expect[*wire.StatusResponse](s.c.roundTrip(ctx, &wire.StatusRequest{SessionID: s.ID}, true))
	if err != nil {
		return nil, fmt.Errorf("client: proof_status: %w", err)
	}
	if resp.SessionID != s.ID {
		return nil, fmt.Errorf("%w: proof_status answered for session %s", ErrProtocol, resp.SessionID)
	}
	return resp, nil
}

// Wait polls proof_status every poll until the session is proven, calling
// progress on every change. It fails if proving failed or ctx ends.
func (s *Session) Wait(ctx context.Context, poll time.Duration, progress func(done, total int, module string)) error {
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	last := -1
	for {
		st, err := s.Status(ctx)
		if err != nil {
			return err
		}
		if progress != nil && int(st.Done) != last {
			last = int(st.Done)
			progress(int(st.Done), int(st.Total), st.Module)
		}
		switch st.State {
		case wire.StateDone:
			return nil
		case wire.StateFailed:
			return fmt.Errorf("client: A failed to prove session %s: %s", s.ID, st.Error)
		case wire.StateRecording:
			return fmt.Errorf("client: session %s has not ended", s.ID)
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// SaveTranscript writes B's transcript to path (crash-safe).
func (s *Session) SaveTranscript(path string) error { return s.Transcript.Save(path) }

// Attach continues session s over client c, for example after A restarted
// or s's client was closed. c must present the same client identity as the
// client that opened s: A binds sessions to it. s and the result share B's
// transcript; use only one of them afterwards.
func (c *Client) Attach(s *Session) *Session {
	n := *s
	n.c = c
	return &n
}
