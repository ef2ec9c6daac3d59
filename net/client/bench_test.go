package client_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/transcript"
	"github.com/zklora/zklora/net/client"
	"github.com/zklora/zklora/net/server"
	"github.com/zklora/zklora/net/wire"
)

// benchShapes: the tiny fixture's c_attn and distilgpt2's c_attn.
var benchShapes = []circuits.Shape{{D: 32, R: 4, O: 96}, {D: 768, R: 8, O: 2304}}

func randInt16(rng *rand.Rand, n int) []int16 {
	v := make([]int16, n)
	for i := range v {
		v[i] = int16(rng.IntN(65535) - 32767)
	}
	return v
}

// BenchmarkLoRACall compares one LoRA call answered in process
// (circuits.MatMulExact, what lora.LocalIntProvider does) with the same
// call answered remotely: TLS 1.3 on loopback, the server's validation,
// its fsync'd session log and the exact product, round trip.
func BenchmarkLoRACall(b *testing.B) {
	for _, s := range benchShapes {
		for _, rows := range []int{1, 128} {
			rng := rand.New(rand.NewPCG(1, 1))
			A, B := randInt16(rng, s.D*s.R), randInt16(rng, s.R*s.O)
			X := randInt16(rng, rows*s.D)
			b.Run(fmt.Sprintf("local/%s/rows=%d", s, rows), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if _, err := circuits.MatMulExact(s, X, A, B); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(fmt.Sprintf("remote/%s/rows=%d", s, rows), func(b *testing.B) {
				cm := sha256.Sum256([]byte(s.String()))
				srv, err := server.New(server.Config{
					Modules: []server.Module{{Name: "m", Shape: s, A: A, B: B, ShiftA: 10, ShiftB: 10, Scaling: 1, Commitment: cm[:], KeyMode: "dev"}},
					OutDir:  b.TempDir(), RowBudget: -1, MaxSessions: 4,
					Prove: func(context.Context, string, *transcript.Transcript, func(int, int, string)) error { return nil },
				})
				if err != nil {
					b.Fatal(err)
				}
				if err := srv.Start("127.0.0.1:0"); err != nil {
					b.Fatal(err)
				}
				defer func() {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					_ = srv.Shutdown(ctx)
				}()
				c, err := client.Dial(context.Background(), srv.Addr().String(), client.Options{Pin: srv.Fingerprint()})
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				sess, err := c.Init(context.Background(), wire.CombineAddDelta)
				if err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, _, err := sess.Forward(context.Background(), "m", uint32(i), rows, X, 0, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
