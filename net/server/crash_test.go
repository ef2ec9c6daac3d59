package server_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zklora/zklora/net/client"
	"github.com/zklora/zklora/net/identity"
	"github.com/zklora/zklora/net/server"
	"github.com/zklora/zklora/net/wire"
)

// TestMain doubles as a child server process for the crash test.
func TestMain(m *testing.M) {
	if dir := os.Getenv("ZKLORA_TEST_CHILD_SERVER"); dir != "" {
		os.Exit(childServer(dir))
	}
	os.Exit(m.Run())
}

// childServer serves on 127.0.0.1:0 from dir with a prover that never
// finishes, prints its address, and waits to be killed.
func childServer(dir string) int {
	id, _, err := identity.LoadOrCreate(filepath.Join(dir, "identity.pem"))
	if err != nil {
		fmt.Println("ERR", err)
		return 1
	}
	never := &fakeProver{gate: make(chan struct{})}
	srv, err := server.New(server.Config{Identity: id, Modules: testModules(1), Prove: never.prove, OutDir: dir})
	if err != nil {
		fmt.Println("ERR", err)
		return 1
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		fmt.Println("ERR", err)
		return 1
	}
	fmt.Println("ADDR", srv.Addr().String())
	select {}
}

func TestCrashAfterEndResumesProving(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ZKLORA_TEST_CHILD_SERVER="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ADDR ") {
		t.Fatalf("child: %q %v", line, err)
	}
	addr := strings.TrimSpace(strings.TrimPrefix(line, "ADDR "))
	aid, err := identity.Load(filepath.Join(dir, "identity.pem"))
	if err != nil {
		t.Fatal(err)
	}
	bid, _ := identity.New()
	mods := testModules(1)

	h := &harness{t: t, addr: addr, cfg: server.Config{Modules: mods}}
	ctx := context.Background()
	c := dialAt(t, addr, aid.Fingerprint(), bid)
	s, err := c.Init(ctx, wire.CombineAddDelta)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 6; i++ {
		call(t, s, h.cfg.Modules, i%2, uint32(i/2), 3, rng)
	}
	if _, err := s.End(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := s.Status(ctx)
	if err != nil || st.State == wire.StateDone {
		t.Fatalf("status before the crash: %+v %v", st, err)
	}
	// Kill A hard: no shutdown, no flush.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	killed = true
	c.Close()

	// Restart A on the same --out with a prover that works.
	h2 := &harness{t: t, prover: &fakeProver{}}
	h2.cfg = server.Config{Identity: aid, Modules: mods, OutDir: dir, Prove: h2.prover.prove}
	h2.start()
	c2 := dialAt(t, h2.addr, aid.Fingerprint(), bid)
	resumeAndCheck(t, c2, s)
}

func TestShutdownAfterEndResumesProving(t *testing.T) {
	gate := make(chan struct{})
	h := newHarness(t, func(c *server.Config) {})
	h.prover.gate = gate
	bid, _ := identity.New()
	c := h.dial(bid)
	ctx := context.Background()
	s, err := c.Init(ctx, wire.CombineAddDelta)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(8, 8))
	for i := 0; i < 4; i++ {
		call(t, s, h.cfg.Modules, i%2, uint32(i/2), 2, rng)
	}
	if _, err := s.End(ctx); err != nil {
		t.Fatal(err)
	}
	h.stop() // cancels the proof in progress
	c.Close()
	h.prover = &fakeProver{}
	h.cfg.Prove = h.prover.prove
	h.start()
	resumeAndCheck(t, h.dial(bid), s)
	if h.prover.calls.Load() != 1 {
		t.Fatalf("resumed prover ran %d times", h.prover.calls.Load())
	}
}

// resumeAndCheck points the old session at a new connection, waits for the
// proof and fetches it.
func resumeAndCheck(t *testing.T, c *client.Client, s *client.Session) {
	t.Helper()
	sess := c.Attach(s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sess.Wait(ctx, 10*time.Millisecond, nil); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "art")
	if err := sess.Fetch(ctx, out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "manifest.json")); err != nil {
		t.Fatal(err)
	}
}

func TestRecordingSessionSurvivesRestartAndTornLog(t *testing.T) {
	h := newHarness(t, nil)
	bid, _ := identity.New()
	c := h.dial(bid)
	ctx := context.Background()
	s, err := c.Init(ctx, wire.CombineAddDelta)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 1))
	m := h.cfg.Modules[0]
	X := randRows(rng, 2*m.Shape.D)
	Z, _, err := s.Forward(ctx, m.Name, 0, 2, X, 8, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Record(m.Name, 0, 2, X, Z); err != nil {
		t.Fatal(err)
	}
	call(t, s, h.cfg.Modules, 1, 0, 2, rng)
	h.stop()
	c.Close()
	// A torn record at the end of the log (a crash in the middle of a write).
	logPath := filepath.Join(h.cfg.OutDir, "sessions", s.ID, "log")
	f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.Write([]byte{200, 0, 0, 0, 'C', 1, 2})
	f.Close()
	h.start()
	sess := h.dial(bid).Attach(s)
	// A call answered before the restart is answered again from the log.
	Z2, _, err := sess.Forward(ctx, m.Name, 0, 2, X, 8, nil)
	if err != nil || !equal64(Z, Z2) {
		t.Fatalf("retry after restart: %v", err)
	}
	call(t, sess, h.cfg.Modules, 0, 1, 2, rng)
	if _, err := sess.End(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sess.Wait(ctx, 10*time.Millisecond, nil); err != nil {
		t.Fatal(err)
	}
}
