package server_test

import (
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zklora/zklora/engine/ceremony"
	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/net/server"
	"github.com/zklora/zklora/net/wire"
)

// ask sends one ceremony request on a raw connection and reads the answer.
func ask(t *testing.T, c *tls.Conn, req *wire.CeremonyRequest) (*wire.CeremonyResponse, *wire.ErrorMsg) {
	t.Helper()
	b, err := wire.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	m, err := wire.ReadMessage(c, 4<<20)
	if err != nil {
		t.Fatal(err)
	}
	switch m := m.(type) {
	case *wire.CeremonyResponse:
		return m, nil
	case *wire.ErrorMsg:
		return nil, m
	}
	t.Fatalf("unexpected %s", m.Type())
	return nil, nil
}

func wantError(t *testing.T, e *wire.ErrorMsg, code wire.ErrorCode, substr string) {
	t.Helper()
	if e == nil || e.Code != code || !strings.Contains(e.Message, substr) {
		t.Fatalf("got %v, want %s error containing %q", e, code, substr)
	}
}

// TestCeremonyRequestsRefused checks A's answers to ceremony requests it
// must refuse: no ceremony support, steps without a start, a shape A does
// not serve, a second ceremony while one runs, an upload over the bound, and
// a garbage transcript (which ends the ceremony and frees the slot). The
// connection survives every refusal.
func TestCeremonyRequestsRefused(t *testing.T) {
	plain := newHarness(t, nil)
	c := rawConn(t, plain)
	_, e := ask(t, c, &wire.CeremonyRequest{Op: wire.CeremonyStart, D: 32, R: 4, O: 96})
	wantError(t, e, wire.CodeBadRequest, "does not run key ceremonies")

	done := func(*ceremony.Transcript, *prover.Keys) ([]server.Module, error) {
		return nil, errors.New("not in this test")
	}
	h := newHarness(t, func(cfg *server.Config) {
		cfg.Ceremony = &server.CeremonyConfig{Done: done}
		cfg.IdleTimeout = 30 * time.Second
	})
	c1, c2 := rawConn(t, h), rawConn(t, h)
	_, e = ask(t, c1, &wire.CeremonyRequest{Op: wire.CeremonyPhase2})
	wantError(t, e, wire.CodeBadRequest, "no ceremony in progress")
	_, e = ask(t, c1, &wire.CeremonyRequest{Op: wire.CeremonyStart, D: 32, R: 4, O: 8})
	wantError(t, e, wire.CodeBadRequest, "no module of shape")

	r, e := ask(t, c1, &wire.CeremonyRequest{Op: wire.CeremonyStart, D: 32, R: 4, O: 96})
	if e != nil || r.Total == 0 {
		t.Fatalf("start: %v %v", r, e)
	}
	got, e := ask(t, c1, &wire.CeremonyRequest{Op: wire.CeremonyGet, Offset: r.Total - 10})
	if e != nil || len(got.Data) != 10 {
		t.Fatalf("get: %v %v", got, e)
	}
	_, e = ask(t, c2, &wire.CeremonyRequest{Op: wire.CeremonyStart, D: 32, R: 4, O: 32})
	wantError(t, e, wire.CodeBusy, "another key ceremony")

	_, e = ask(t, c1, &wire.CeremonyRequest{Op: wire.CeremonyPut, Total: 1 << 31, Data: []byte{1}})
	wantError(t, e, wire.CodeBadRequest, "over the")
	if _, e = ask(t, c1, &wire.CeremonyRequest{Op: wire.CeremonyPut, Total: 3, Data: []byte("abc")}); e != nil {
		t.Fatal(e)
	}
	_, e = ask(t, c1, &wire.CeremonyRequest{Op: wire.CeremonyPhase2})
	wantError(t, e, wire.CodeBadRequest, "invalid ceremony transcript")

	// The failed step ended c1's ceremony and freed the slot.
	if r, e := ask(t, c2, &wire.CeremonyRequest{Op: wire.CeremonyStart, D: 32, R: 4, O: 32}); e != nil || r.Total == 0 {
		t.Fatalf("start after the failure: %v %v", r, e)
	}
	_, e = ask(t, c1, &wire.CeremonyRequest{Op: wire.CeremonyGet})
	wantError(t, e, wire.CodeBadRequest, "no ceremony in progress")
}
