package jobs

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/engine/session"
)

var testShape = circuits.Shape{D: 8, R: 2, O: 6}

// testCfg acknowledges quickly so that redelivery tests take seconds.
var testCfg = Config{Namespace: "test", AckWait: time.Second, MaxAttempts: 3}

// keyStore returns a store in a fresh directory holding dev keys for
// testShape (a worker process opens the same directory).
func keyStore(t *testing.T) *prover.Store {
	t.Helper()
	st, err := prover.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.LoadOrCreateDev(testShape); err != nil {
		t.Fatal(err)
	}
	return st
}

func synthetic(t testing.TB, ks session.KeySource, seed uint64, modules int) *session.Synthetic {
	t.Helper()
	syn, err := session.NewSynthetic(session.SyntheticOptions{Shape: testShape, Tokens: 5, Modules: modules, Seed: seed, CallRows: 2}, ks)
	if err != nil {
		t.Fatal(err)
	}
	return syn
}

// broker is an embedded server in a temporary directory.
type broker struct {
	t   *testing.T
	dir string
	e   *Embedded
}

func newBroker(t *testing.T, listen string) *broker {
	t.Helper()
	b := &broker{t: t, dir: t.TempDir()}
	b.start(listen)
	t.Cleanup(func() {
		if b.e != nil {
			b.e.Shutdown()
		}
	})
	return b
}

func (b *broker) start(listen string) {
	b.t.Helper()
	tok := ""
	if listen != "" {
		tok = "test-token"
	}
	e, err := StartEmbedded(EmbeddedOptions{StoreDir: b.dir, Listen: listen, Token: tok})
	if err != nil {
		b.t.Fatal(err)
	}
	b.e = e
}

func (b *broker) restart() {
	b.t.Helper()
	b.e.Shutdown()
	b.e = nil
	b.start("")
}

func (b *broker) conn() *nats.Conn {
	b.t.Helper()
	nc, err := b.e.Connect(b.t.Name())
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(nc.Close)
	return nc
}

func (b *broker) client() *Client {
	b.t.Helper()
	c, err := NewClient(context.Background(), b.conn(), testCfg, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return c
}

// runWorker starts a worker on its own connection and stops it at cleanup.
func (b *broker) runWorker(opts WorkerOptions, hook func(*Worker)) *Worker {
	b.t.Helper()
	w, err := NewWorker(context.Background(), b.conn(), testCfg, opts)
	if err != nil {
		b.t.Fatal(err)
	}
	w.fetchWait = 500 * time.Millisecond
	if hook != nil {
		hook(w)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := w.Run(ctx); err != nil {
			b.t.Error(err)
		}
	}()
	b.t.Cleanup(func() { cancel(); wg.Wait() })
	return w
}

func withTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// waitStats waits until ok holds for w's stats (workers count a task after
// storing its result, so the client may see the result first) and
// returns them.
func waitStats(t *testing.T, w *Worker, ok func(WorkerStats) bool) WorkerStats {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok(w.Stats()) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	return w.Stats()
}
