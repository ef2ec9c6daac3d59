package server_test

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zklora/zklora/net/identity"
	"github.com/zklora/zklora/net/server"
	"github.com/zklora/zklora/net/wire"
)

// rawConn is a hostile peer: a pinned TLS connection that writes whatever
// bytes the test wants.
func rawConn(t *testing.T, h *harness) *tls.Conn {
	t.Helper()
	cfg, err := identity.ClientConfig(h.srv.Fingerprint(), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", h.addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// expectClosed reads until the server closes the connection, returning the
// error message it sent first, if any. It fails if the connection stays
// open past within.
func expectClosed(t *testing.T, c net.Conn, within time.Duration) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(within))
	msg := ""
	for {
		m, err := wire.ReadMessage(c, 1<<20)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("server kept the connection open for %v", within)
			}
			return msg
		}
		if em, ok := m.(*wire.ErrorMsg); ok {
			msg = em.Message
		}
	}
}

// header builds a frame header.
func header(typ wire.Type, n uint32) []byte {
	b := []byte{'Z', 'L', wire.Version, byte(typ), 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[4:], n)
	return b
}

// busySession keeps a well-behaved session running in the background while
// hostile peers attack; it reports any failure.
func busySession(t *testing.T, h *harness, stop <-chan struct{}) <-chan error {
	errc := make(chan error, 1)
	c := h.dial(nil)
	go func() {
		defer close(errc)
		ctx := context.Background()
		s, err := c.Init(ctx, wire.CombineAddDelta)
		if err != nil {
			errc <- err
			return
		}
		rng := rand.New(rand.NewPCG(9, 9))
		m := h.cfg.Modules[0]
		for i := uint32(0); ; i++ {
			select {
			case <-stop:
				if _, err := s.End(ctx); err != nil {
					errc <- err
				}
				return
			default:
			}
			X := randRows(rng, m.Shape.D)
			Z, _, err := s.Forward(ctx, m.Name, i, 1, X, 8, nil)
			if err != nil {
				errc <- err
				return
			}
			if err := s.Record(m.Name, i, 1, X, Z); err != nil {
				errc <- err
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return errc
}

func TestHostilePeers(t *testing.T) {
	base := runtime.NumGoroutine()
	h := newHarness(t, func(c *server.Config) {
		c.IdleTimeout = 500 * time.Millisecond
		c.ReadTimeout = 300 * time.Millisecond
		c.HandshakeTimeout = 300 * time.Millisecond
	})
	stop := make(chan struct{})
	errc := busySession(t, h, stop)
	time.Sleep(50 * time.Millisecond)
	running := runtime.NumGoroutine()

	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	heapBefore := ms.HeapAlloc

	cases := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"oversized length prefix", func(t *testing.T) {
			c := rawConn(t, h)
			_, _ = c.Write(header(wire.TypeForward, 0xFFFFFFF0))
			if msg := expectClosed(t, c, 2*time.Second); !strings.Contains(msg, "maximum size") {
				t.Fatalf("error %q", msg)
			}
		}},
		{"garbage bytes", func(t *testing.T) {
			c := rawConn(t, h)
			_, _ = c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
			if msg := expectClosed(t, c, 2*time.Second); !strings.Contains(msg, "magic") {
				t.Fatalf("error %q", msg)
			}
		}},
		{"garbage before TLS", func(t *testing.T) {
			c, err := net.Dial("tcp", h.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, _ = c.Write(make([]byte, 4096))
			expectClosed(t, c, 2*time.Second)
		}},
		{"silent before TLS", func(t *testing.T) {
			c, err := net.Dial("tcp", h.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			expectClosed(t, c, 2*time.Second)
		}},
		{"slowloris header", func(t *testing.T) {
			c := rawConn(t, h)
			hdr := header(wire.TypeInit, 100)
			start := time.Now()
			for _, b := range hdr[:6] {
				if _, err := c.Write([]byte{b}); err != nil {
					break
				}
				time.Sleep(150 * time.Millisecond)
			}
			expectClosed(t, c, 2*time.Second)
			if el := time.Since(start); el > 2*time.Second {
				t.Fatalf("cut off after %v", el)
			}
		}},
		{"slowloris payload", func(t *testing.T) {
			c := rawConn(t, h)
			_, _ = c.Write(header(wire.TypeInit, 1000))
			for i := 0; i < 10; i++ {
				if _, err := c.Write([]byte{0}); err != nil {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			expectClosed(t, c, 2*time.Second)
		}},
		{"idle connection", func(t *testing.T) {
			c := rawConn(t, h)
			expectClosed(t, c, 2*time.Second)
		}},
		{"disconnect mid-call", func(t *testing.T) {
			c := rawConn(t, h)
			f, err := wire.Encode(&wire.ForwardRequest{SessionID: "s-x", Module: "m", X: wire.Int16Rows{Rows: 4, Cols: 32, Data: make([]int16, 128)}})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := wire.AppendFrame(nil, f)
			_, _ = c.Write(b[:len(b)/2])
			c.Close()
		}},
		{"unknown message type", func(t *testing.T) {
			c := rawConn(t, h)
			_, _ = c.Write(header(0x7e, 0))
			if msg := expectClosed(t, c, 2*time.Second); !strings.Contains(msg, "unknown message type") {
				t.Fatalf("error %q", msg)
			}
		}},
		{"response type sent as request", func(t *testing.T) {
			c := rawConn(t, h)
			if err := wire.WriteMessage(c, &wire.EndResponse{SessionID: "x", JobID: "y"}); err != nil {
				t.Fatal(err)
			}
			m, err := wire.ReadMessage(c, 1<<20)
			if em, ok := m.(*wire.ErrorMsg); err != nil || !ok || em.Code != wire.CodeBadRequest {
				t.Fatalf("got %v %v", m, err)
			}
		}},
		{"malformed payload keeps the connection", func(t *testing.T) {
			c := rawConn(t, h)
			_, _ = c.Write(append(header(wire.TypeInit, 3), 1, 2, 3))
			m, err := wire.ReadMessage(c, 1<<20)
			if em, ok := m.(*wire.ErrorMsg); err != nil || !ok || em.Code != wire.CodeBadRequest {
				t.Fatalf("got %v %v", m, err)
			}
			// Same connection, a valid request now works.
			if err := wire.WriteMessage(c, &wire.InitRequest{Combine: wire.CombineAddDelta}); err != nil {
				t.Fatal(err)
			}
			if m, err := wire.ReadMessage(c, 1<<20); err != nil || m.Type() != wire.TypeInitOK {
				t.Fatalf("got %v %v", m, err)
			}
		}},
		{"wrong shapes", func(t *testing.T) {
			c := rawConn(t, h)
			if err := wire.WriteMessage(c, &wire.InitRequest{Combine: wire.CombineAddDelta}); err != nil {
				t.Fatal(err)
			}
			m, err := wire.ReadMessage(c, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			sid := m.(*wire.InitResponse).SessionID
			mod := h.cfg.Modules[0]
			bad := []*wire.ForwardRequest{
				{SessionID: sid, Module: mod.Name, X: wire.Int16Rows{Rows: 1, Cols: mod.Shape.D + 1, Data: make([]int16, mod.Shape.D+1)}},
				{SessionID: sid, Module: mod.Name, X: wire.Int16Rows{Rows: 100000, Cols: 1, Data: make([]int16, 100000)}},
				{SessionID: sid, Module: "nope", X: wire.Int16Rows{Rows: 1, Cols: mod.Shape.D, Data: make([]int16, mod.Shape.D)}},
				{SessionID: "s-0", Module: mod.Name, X: wire.Int16Rows{Rows: 1, Cols: mod.Shape.D, Data: make([]int16, mod.Shape.D)}},
			}
			for i, req := range bad {
				if err := wire.WriteMessage(c, req); err != nil {
					t.Fatal(err)
				}
				m, err := wire.ReadMessage(c, 1<<20)
				if _, ok := m.(*wire.ErrorMsg); err != nil || !ok {
					t.Fatalf("bad request %d: got %v %v", i, m, err)
				}
			}
		}},
		{"frame larger than any legitimate request", func(t *testing.T) {
			c := rawConn(t, h)
			_, _ = c.Write(header(wire.TypeForward, h.srv.MaxFrame()+1))
			if msg := expectClosed(t, c, 2*time.Second); !strings.Contains(msg, "maximum size") {
				t.Fatalf("error %q", msg)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, tc.run)
	}
	// Many hostile connections at once.
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", h.addr)
			if err != nil {
				return
			}
			defer c.Close()
			_, _ = io.Copy(io.Discard, c)
		}()
	}
	wg.Wait()
	// Every attacker's goroutine is gone while the server keeps serving.
	settleGoroutines(t, running)

	close(stop)
	if err := <-errc; err != nil {
		t.Fatalf("the well-behaved session failed during the attacks: %v", err)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	if grow := int64(ms.HeapAlloc) - int64(heapBefore); grow > 64<<20 {
		t.Fatalf("heap grew by %d bytes", grow)
	}
	h.stop()
	settleGoroutines(t, base)
}

func TestNoGoroutineLeakAfterShutdown(t *testing.T) {
	base := runtime.NumGoroutine()
	h := newHarness(t, nil)
	c := h.dial(nil)
	runSession(t, h, c, 20, 4)
	c.Close()
	h.stop()
	settleGoroutines(t, base)
}
