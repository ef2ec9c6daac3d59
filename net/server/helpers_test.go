package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/transcript"
	"github.com/zklora/zklora/net/client"
	"github.com/zklora/zklora/net/identity"
	"github.com/zklora/zklora/net/server"
)

// testModules returns two small modules with random weights and a fake
// 32-byte commitment (a hash of the weights: proving is faked here).
func testModules(seed uint64) []server.Module {
	rng := rand.New(rand.NewPCG(seed, 1))
	mk := func(name string, s circuits.Shape) server.Module {
		A := make([]int16, s.D*s.R)
		B := make([]int16, s.R*s.O)
		for i := range A {
			A[i] = int16(rng.IntN(65535) - 32767)
		}
		for i := range B {
			B[i] = int16(rng.IntN(65535) - 32767)
		}
		h := sha256.New()
		_ = binary.Write(h, binary.LittleEndian, A)
		_ = binary.Write(h, binary.LittleEndian, B)
		return server.Module{Name: name, Shape: s, A: A, B: B, ShiftA: 10, ShiftB: 12, Scaling: 2,
			Commitment: h.Sum(nil), CircuitID: "fake-" + s.String(), VKFingerprint: "fake", KeyMode: "dev"}
	}
	return []server.Module{
		mk("h.0.attn.c_attn", circuits.Shape{D: 32, R: 4, O: 96}),
		mk("h.0.attn.c_proj", circuits.Shape{D: 32, R: 4, O: 32}),
	}
}

// fakeProver writes a placeholder artifact directory. If gate is not nil,
// proving waits on it (or on ctx).
type fakeProver struct {
	gate  chan struct{}
	calls atomic.Int32
}

func (f *fakeProver) prove(ctx context.Context, dir string, tr *transcript.Transcript, progress func(int, int, string)) error {
	f.calls.Add(1)
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	used := tr.UsedModules()
	for i, m := range used {
		if err := os.MkdirAll(filepath.Join(dir, "proofs"), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "proofs", m+".proof"), []byte("proof of "+m), 0o644); err != nil {
			return err
		}
		progress(i+1, len(used), m)
	}
	root := tr.Root()
	man, _ := json.Marshal(map[string]any{"session_id": tr.SessionID, "root": root[:], "nonce": tr.Nonce})
	return os.WriteFile(filepath.Join(dir, "manifest.json"), man, 0o644)
}

type harness struct {
	t      *testing.T
	srv    *server.LoRAServer
	cfg    server.Config
	prover *fakeProver
	addr   string
}

func newHarness(t *testing.T, mutate func(*server.Config)) *harness {
	t.Helper()
	id, err := identity.New()
	if err != nil {
		t.Fatal(err)
	}
	fp := &fakeProver{}
	cfg := server.Config{
		Identity: id, Modules: testModules(1), Prove: fp.prove, OutDir: t.TempDir(),
		IdleTimeout: 2 * time.Second, ReadTimeout: time.Second, WriteTimeout: 2 * time.Second, HandshakeTimeout: time.Second,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	h := &harness{t: t, cfg: cfg, prover: fp}
	h.start()
	return h
}

func (h *harness) start() {
	h.t.Helper()
	srv, err := server.New(h.cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		h.t.Fatal(err)
	}
	h.srv, h.addr = srv, srv.Addr().String()
	h.t.Cleanup(func() { h.stop() })
}

func (h *harness) stop() {
	if h.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.srv.Shutdown(ctx); err != nil {
		h.t.Errorf("shutdown: %v", err)
	}
	h.srv = nil
}

func (h *harness) dial(id *identity.Identity) *client.Client {
	h.t.Helper()
	c, err := client.Dial(context.Background(), h.addr, client.Options{Pin: h.srv.Fingerprint(), Identity: id, CallTimeout: 5 * time.Second})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	return c
}

func randRows(rng *rand.Rand, n int) []int16 {
	x := make([]int16, n)
	for i := range x {
		x[i] = int16(rng.IntN(65535) - 32767)
	}
	return x
}

// call sends one call and records it, checking Z against the exact product.
func call(t *testing.T, s *client.Session, mods []server.Module, mi int, idx uint32, rows int, rng *rand.Rand) {
	t.Helper()
	m := mods[mi]
	X := randRows(rng, rows*m.Shape.D)
	Z, _, err := s.Forward(context.Background(), m.Name, idx, rows, X, 8, nil)
	if err != nil {
		t.Fatalf("forward %s %d: %v", m.Name, idx, err)
	}
	want, _ := circuits.MatMulExact(m.Shape, X, m.A, m.B)
	for i := range want {
		if Z[i] != want[i] {
			t.Fatalf("%s call %d: Z[%d] = %d, want %d", m.Name, idx, i, Z[i], want[i])
		}
	}
	if err := s.Record(m.Name, idx, rows, X, Z); err != nil {
		t.Fatal(err)
	}
}

// settleGoroutines waits until the goroutine count is at most base.
func settleGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= base {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("goroutines: %d, want ≤ %d\n%s", n, base, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func isCode(err error, code uint16) bool {
	em, ok := client.ServerError(err)
	return ok && uint16(em.Code) == code
}

var errAny = errors.New("any")

func dialAt(t *testing.T, addr, pin string, id *identity.Identity) *client.Client {
	t.Helper()
	c, err := client.Dial(context.Background(), addr, client.Options{Pin: pin, Identity: id, CallTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
