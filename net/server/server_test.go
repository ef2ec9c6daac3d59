package server_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/zklora/zklora/engine/lora"
	"github.com/zklora/zklora/net/client"
	"github.com/zklora/zklora/net/identity"
	"github.com/zklora/zklora/net/record"
	"github.com/zklora/zklora/net/server"
	"github.com/zklora/zklora/net/wire"
)

// runSession plays a whole session: calls, end, wait, fetch; it checks that
// A's transcript equals B's.
func runSession(t *testing.T, h *harness, c *client.Client, seed uint64, calls int) *client.Session {
	t.Helper()
	ctx := context.Background()
	s, err := c.Init(ctx, wire.CombineAddDelta)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	for i := 0; i < calls; i++ {
		call(t, s, h.cfg.Modules, i%2, uint32(i/2), 1+rng.IntN(5), rng)
	}
	if _, err := s.End(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Wait(ctx, 10*time.Millisecond, nil); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "art")
	if err := s.Fetch(ctx, dir); err != nil {
		t.Fatal(err)
	}
	a, err := record.Load(filepath.Join(dir, record.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if d := record.Diff(a, s.Transcript); d != "" {
		t.Fatal(d)
	}
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSessionRoundTrip(t *testing.T) {
	h := newHarness(t, nil)
	c := h.dial(nil)
	runSession(t, h, c, 1, 6)
}

func TestInterleavedSessions(t *testing.T) {
	h := newHarness(t, nil)
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := h.dial(nil)
			runSession(t, h, c, uint64(10+i), 8)
		}(i)
	}
	wg.Wait()
}

func TestRetryIsIdempotentAndConflictsRefused(t *testing.T) {
	h := newHarness(t, nil)
	c := h.dial(nil)
	ctx := context.Background()
	s, err := c.Init(ctx, wire.CombineAddDelta)
	if err != nil {
		t.Fatal(err)
	}
	m := h.cfg.Modules[0]
	rng := rand.New(rand.NewPCG(3, 3))
	X := randRows(rng, 2*m.Shape.D)
	Z1, _, err := s.Forward(ctx, m.Name, 0, 2, X, 8, nil)
	if err != nil {
		t.Fatal(err)
	}
	Z2, _, err := s.Forward(ctx, m.Name, 0, 2, X, 8, nil)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if !equal64(Z1, Z2) {
		t.Fatal("retry answered differently")
	}
	X2 := append([]int16(nil), X...)
	X2[0]++
	if _, _, err := s.Forward(ctx, m.Name, 0, 2, X2, 8, nil); !isCode(err, uint16(wire.CodeConflict)) {
		t.Fatalf("reused call index with other rows: %v", err)
	}
	if err := s.Record(m.Name, 0, 2, X, Z1); err != nil {
		t.Fatal(err)
	}
	// The retry was recorded once: ending succeeds with B's single record.
	if _, err := s.End(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.End(ctx); err != nil {
		t.Fatalf("end retried with the same nonce: %v", err)
	}
	if _, _, err := s.Forward(ctx, m.Name, 1, 2, X, 8, nil); !isCode(err, uint16(wire.CodeEnded)) {
		t.Fatalf("call after end: %v", err)
	}
}

func equal64(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestEndWithDivergentTranscriptRefused(t *testing.T) {
	h := newHarness(t, nil)
	c := h.dial(nil)
	ctx := context.Background()
	s, err := c.Init(ctx, wire.CombineAddDelta)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(4, 4))
	m := h.cfg.Modules[1]
	X := randRows(rng, m.Shape.D)
	Z, _, err := s.Forward(ctx, m.Name, 0, 1, X, 8, nil)
	if err != nil {
		t.Fatal(err)
	}
	Z[0]++ // B records something other than what A answered
	if err := s.Record(m.Name, 0, 1, X, Z); err != nil {
		t.Fatal(err)
	}
	if _, err := s.End(ctx); !isCode(err, uint16(wire.CodeConflict)) {
		t.Fatalf("end with a divergent root: %v", err)
	}
}

func TestRowBudgets(t *testing.T) {
	h := newHarness(t, func(c *server.Config) { c.RowBudget = 10; c.ClientRowBudget = 15 })
	id, _ := identity.New()
	c := h.dial(id)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 5))
	m := h.cfg.Modules[0]
	s1, err := c.Init(ctx, wire.CombineAddDelta)
	if err != nil {
		t.Fatal(err)
	}
	if s1.Manifest.RowBudget != 10 {
		t.Fatalf("announced budget %d", s1.Manifest.RowBudget)
	}
	call(t, s1, h.cfg.Modules, 0, 0, 8, rng)
	_, _, err = s1.Forward(ctx, m.Name, 1, 3, randRows(rng, 3*m.Shape.D), 8, nil)
	if !isCode(err, uint16(wire.CodeBudgetExceeded)) {
		t.Fatalf("over the session budget: %v", err)
	}
	call(t, s1, h.cfg.Modules, 0, 1, 2, rng)  // exactly at the budget
	call(t, s1, h.cfg.Modules, 1, 0, 10, rng) // budgets are per module
	// A second session of the same client: 10 rows used of 15.
	s2, err := c.Init(ctx, wire.CombineAddDelta)
	if err != nil {
		t.Fatal(err)
	}
	call(t, s2, h.cfg.Modules, 0, 0, 5, rng)
	if _, _, err = s2.Forward(ctx, m.Name, 1, 1, randRows(rng, m.Shape.D), 8, nil); !isCode(err, uint16(wire.CodeBudgetExceeded)) {
		t.Fatalf("over the client budget: %v", err)
	}
	// Refused calls were not recorded: both sessions end cleanly.
	for _, s := range []*client.Session{s1, s2} {
		if _, err := s.End(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// The client budget survives a restart (rebuilt from the logs).
	h.stop()
	h.start()
	c = h.dial(id)
	s3, err := c.Init(ctx, wire.CombineAddDelta)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err = s3.Forward(ctx, m.Name, 0, 1, randRows(rng, m.Shape.D), 8, nil); !isCode(err, uint16(wire.CodeBudgetExceeded)) {
		t.Fatalf("client budget after restart: %v", err)
	}
}

func TestSessionsBoundToClient(t *testing.T) {
	h := newHarness(t, nil)
	a, b := h.dial(nil), h.dial(nil)
	ctx := context.Background()
	s, err := a.Init(ctx, wire.CombineAddDelta)
	if err != nil {
		t.Fatal(err)
	}
	other, err := b.Init(ctx, wire.CombineAddDelta)
	if err != nil {
		t.Fatal(err)
	}
	// b uses a's session id through its own session object.
	other.ID = s.ID
	m := h.cfg.Modules[0]
	if _, _, err := other.Forward(ctx, m.Name, 0, 1, make([]int16, m.Shape.D), 8, nil); !isCode(err, uint16(wire.CodeUnknownSession)) {
		t.Fatalf("another client's session: %v", err)
	}
}

func TestSessionCaps(t *testing.T) {
	h := newHarness(t, func(c *server.Config) { c.MaxSessionsPerClient = 2; c.MaxSessions = 3 })
	ctx := context.Background()
	c := h.dial(nil)
	for i := 0; i < 2; i++ {
		if _, err := c.Init(ctx, wire.CombineAddDelta); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Init(ctx, wire.CombineAddDelta); !isCode(err, uint16(wire.CodeBusy)) {
		t.Fatalf("third session of one client: %v", err)
	}
	c2 := h.dial(nil)
	if _, err := c2.Init(ctx, wire.CombineAddDelta); err != nil {
		t.Fatal(err)
	}
	c3 := h.dial(nil)
	if _, err := c3.Init(ctx, wire.CombineAddDelta); !isCode(err, uint16(wire.CodeBusy)) {
		t.Fatalf("fourth session: %v", err)
	}
}

func TestReplaceMode(t *testing.T) {
	h := newHarness(t, nil)
	c := h.dial(nil)
	ctx := context.Background()
	s, err := c.Init(ctx, wire.CombineReplace)
	if err != nil {
		t.Fatal(err)
	}
	m := h.cfg.Modules[1]
	rng := rand.New(rand.NewPCG(6, 6))
	X := randRows(rng, m.Shape.D)
	base := make([]float32, m.Shape.O)
	for i := range base {
		base[i] = float32(i) / 4
	}
	if _, _, err := s.Forward(ctx, m.Name, 0, 1, X, 8, nil); err == nil {
		t.Fatal("a replace call without the base output was sent")
	}
	Z, out, err := s.Forward(ctx, m.Name, 0, 1, X, 8, base)
	if err != nil {
		t.Fatal(err)
	}
	for i, z := range Z {
		if want := lora.Combine(base[i], z, 8+m.ShiftA+m.ShiftB, m.Scaling); out[i] != want {
			t.Fatalf("out[%d] = %v, want %v", i, out[i], want)
		}
	}
}

func TestIdleSessionsEvictedAtCap(t *testing.T) {
	h := newHarness(t, func(c *server.Config) { c.MaxSessions = 1; c.SessionIdle = 50 * time.Millisecond })
	ctx := context.Background()
	a := h.dial(nil)
	old, err := a.Init(ctx, wire.CombineAddDelta)
	if err != nil {
		t.Fatal(err)
	}
	b := h.dial(nil)
	if _, err := b.Init(ctx, wire.CombineAddDelta); !isCode(err, uint16(wire.CodeBusy)) {
		t.Fatalf("second session at the cap: %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := b.Init(ctx, wire.CombineAddDelta); err != nil {
		t.Fatalf("after the first went idle: %v", err)
	}
	m := h.cfg.Modules[0]
	if _, _, err := old.Forward(ctx, m.Name, 0, 1, make([]int16, m.Shape.D), 8, nil); !isCode(err, uint16(wire.CodeEnded)) {
		t.Fatalf("evicted session still answers: %v", err)
	}
}

func TestConnectionCapPerHost(t *testing.T) {
	h := newHarness(t, func(c *server.Config) { c.MaxConnsPerHost = 2 })
	a := h.dial(nil)
	h.dial(nil)
	if _, err := client.Dial(context.Background(), h.addr, client.Options{Pin: h.srv.Fingerprint(), DialTimeout: 2 * time.Second}); err == nil {
		t.Fatal("a third connection from one host was accepted")
	}
	a.Close()
	deadline := time.Now().Add(2 * time.Second)
	for {
		c, err := client.Dial(context.Background(), h.addr, client.Options{Pin: h.srv.Fingerprint(), DialTimeout: 2 * time.Second})
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection after one closed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
