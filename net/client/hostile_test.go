package client_test

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zklora/zklora/net/client"
	"github.com/zklora/zklora/net/identity"
	"github.com/zklora/zklora/net/wire"
)

// chunk hand-encodes a FetchChunk frame, bypassing the encoder's checks.
func chunk(path string, size, off uint64, data []byte, final bool) []byte {
	p := binary.BigEndian.AppendUint32(nil, uint32(len(path)))
	p = append(p, path...)
	p = binary.BigEndian.AppendUint64(p, size)
	p = binary.BigEndian.AppendUint64(p, off)
	p = binary.BigEndian.AppendUint32(p, uint32(len(data)))
	p = append(p, data...)
	if final {
		p = append(p, 1)
	} else {
		p = append(p, 0)
	}
	h := []byte{'Z', 'L', wire.Version, byte(wire.TypeFetchChunk), 0, 0, 0, 0}
	binary.BigEndian.PutUint32(h[4:], uint32(len(p)))
	return append(h, p...)
}

// fakeA answers init with a one-module manifest, then answers the fetch
// with the given raw frames.
func fakeA(t *testing.T, frames [][]byte) (addr, pin string) {
	t.Helper()
	id, err := identity.New()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		tc := tls.Server(c, identity.ServerConfig(id))
		defer tc.Close()
		_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
		for {
			m, err := wire.ReadMessage(tc, 0)
			if err != nil {
				return
			}
			switch m.(type) {
			case *wire.InitRequest:
				_ = wire.WriteMessage(tc, &wire.InitResponse{SessionID: "s-1", Combine: wire.CombineAddDelta,
					Modules: []wire.ModuleInfo{{Name: "transformer.h.0.attn.c_attn", D: 32, R: 4, O: 96, Commitment: make([]byte, 32)}}})
			case *wire.FetchRequest:
				for _, f := range frames {
					if _, err := tc.Write(f); err != nil {
						return
					}
				}
			}
		}
	}()
	return l.Addr().String(), id.Fingerprint()
}

func TestFetchRefusesHostileServer(t *testing.T) {
	cases := map[string][][]byte{
		"path traversal":      {chunk("../escape", 1, 0, []byte{1}, false), chunk("", 0, 0, nil, true)},
		"absolute path":       {chunk("/tmp/escape", 1, 0, []byte{1}, false), chunk("", 0, 0, nil, true)},
		"chunk out of order":  {chunk("proofs/a.proof", 4, 2, []byte{1, 2}, false), chunk("", 0, 0, nil, true)},
		"short file":          {chunk("proofs/a.proof", 4, 0, []byte{1, 2}, false), chunk("", 0, 0, nil, true)},
		"file sent twice":     {chunk("a", 1, 0, []byte{1}, false), chunk("b", 1, 0, []byte{1}, false), chunk("a", 1, 0, []byte{1}, false), chunk("", 0, 0, nil, true)},
		"oversized file":      {chunk("a", client.MaxFetchFile+1, 0, []byte{1}, false)},
		"size changes":        {chunk("a", 4, 0, []byte{1, 2}, false), chunk("a", 5, 2, []byte{3, 4}, false), chunk("", 0, 0, nil, true)},
		"stream cut":          {chunk("a", 4, 0, []byte{1, 2}, false)},
		"wrong response type": {{'Z', 'L', wire.Version, byte(wire.TypeEndOK), 0, 0, 0, 0}},
	}
	for name, frames := range cases {
		t.Run(name, func(t *testing.T) {
			addr, pin := fakeA(t, frames)
			c, err := client.Dial(context.Background(), addr, client.Options{Pin: pin, CallTimeout: 2 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			s, err := c.Init(context.Background(), wire.CombineAddDelta)
			if err != nil {
				t.Fatal(err)
			}
			parent := t.TempDir()
			dir := filepath.Join(parent, "art")
			if err := s.Fetch(context.Background(), dir); err == nil {
				t.Fatal("fetch accepted")
			}
			if _, err := os.Stat(dir); err == nil {
				t.Fatal("a failed fetch left the directory")
			}
			if _, err := os.Stat(filepath.Join(parent, "escape")); err == nil {
				t.Fatal("a file escaped the directory")
			}
			ents, _ := os.ReadDir(parent)
			if len(ents) != 0 {
				t.Fatalf("leftovers: %v", ents)
			}
		})
	}
}
