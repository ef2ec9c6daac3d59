package jobs

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/artifact"
	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/engine/session"
)

// chaosCfg redelivers a killed worker's task after a second and allows
// enough deliveries that repeated kills of the same task do not dead-letter
// it.
var chaosCfg = Config{Namespace: "chaos", AckWait: time.Second, MaxAttempts: 20}

// chaosWorkers is the number of worker processes of TestChaos.
const chaosWorkers = 2

// chaosProc is one worker process of TestChaos and whether it is proving.
type chaosProc struct {
	cmd    *exec.Cmd
	busy   atomic.Bool
	exited chan struct{}
}

// TestChaos proves a session of 200 small modules (40 with -short) on
// worker processes that are killed with SIGKILL at random while they prove
// and started again, and restarts A (its client and its embedded NATS
// server, on the same store and port) once in the middle. It passes when
// every module has exactly one proof in the artifact directory, every proof
// verifies, and it ends within its deadline.
func TestChaos(t *testing.T) {
	n := 200
	if testing.Short() {
		n = 40
	}
	const deadline = 3 * time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	t0 := time.Now()

	ks := keyStore(t)
	const seed = 42
	syn := synthetic(t, ks, seed, n)

	// A's embedded server, listening on loopback for the worker processes.
	storeDir := t.TempDir()
	start := func(listen string) *Embedded {
		e, err := StartEmbedded(EmbeddedOptions{StoreDir: storeDir, Listen: listen, Token: "chaos-token"})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	e := start("127.0.0.1:0")
	addr := e.Addr()
	defer func() { e.Shutdown() }()
	_, port, _ := net.SplitHostPort(addr)

	// The worker processes, started again whenever they die.
	var mu sync.Mutex
	procs := make([]*chaosProc, chaosWorkers)
	spawn := func(i int) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestChaosChild$")
		cmd.Env = append(os.Environ(), "ZKLORA_CHAOS_CHILD=1", "ZKLORA_JOBS_URL=nats://"+addr,
			"ZKLORA_JOBS_KEYS="+ks.Dir(), "ZKLORA_JOBS_SEED="+strconv.Itoa(seed), "ZKLORA_JOBS_MODULES="+strconv.Itoa(n),
			"ZKLORA_CHAOS_NAME=w"+strconv.Itoa(i))
		out, err := cmd.StdoutPipe()
		if err == nil {
			err = cmd.Start()
		}
		if err != nil {
			// Called from the chaos goroutines too: no t.Fatal here.
			t.Errorf("start worker %d: %v", i, err)
			return
		}
		p := &chaosProc{cmd: cmd, exited: make(chan struct{})}
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				switch sc.Text() {
				case "PROVING":
					p.busy.Store(true)
				case "PROVEN":
					p.busy.Store(false)
				}
			}
			_ = cmd.Wait()
			p.busy.Store(false)
			close(p.exited)
		}()
		procs[i] = p
	}
	for i := range procs {
		spawn(i)
	}
	if t.Failed() {
		for _, p := range procs {
			if p != nil {
				_ = p.cmd.Process.Kill()
				<-p.exited
			}
		}
		t.FailNow()
	}
	stopChaos := make(chan struct{})
	var kills, respawns atomic.Int64
	var chaos sync.WaitGroup
	chaos.Add(1)
	go func() { // the killer: SIGKILL a worker while it proves, then start it again
		defer chaos.Done()
		rng := rand.New(rand.NewPCG(seed, 1))
		for {
			select {
			case <-stopChaos:
				return
			case <-time.After(time.Duration(200+rng.IntN(600)) * time.Millisecond):
			}
			mu.Lock()
			i := rng.IntN(len(procs))
			if p := procs[i]; p.busy.Load() {
				_ = p.cmd.Process.Signal(syscall.SIGKILL)
				<-p.exited
				kills.Add(1)
				spawn(i)
			}
			mu.Unlock()
		}
	}()
	chaos.Add(1)
	go func() { // the supervisor: start again a worker that exited by itself (A was down)
		defer chaos.Done()
		for {
			select {
			case <-stopChaos:
				return
			case <-time.After(200 * time.Millisecond):
			}
			mu.Lock()
			for i, p := range procs {
				select {
				case <-p.exited:
					respawns.Add(1)
					spawn(i)
				default:
				}
			}
			mu.Unlock()
		}
	}()
	defer func() {
		close(stopChaos)
		chaos.Wait()
		for _, p := range procs {
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	}()

	// A's first life: prove until a third of the proofs are in, then die.
	dir := filepath.Join(t.TempDir(), "artifacts")
	client := func() *Client {
		nc, err := e.Connect("chaos-A")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		c, err := NewClient(ctx, nc, chaosCfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	actx, die := context.WithCancel(ctx)
	var before atomic.Int32
	_, err := session.ProveSession(actx, dir, syn.Transcript, syn.Secrets, ks, session.ProveOptions{
		Runner: client(),
		Progress: func(done, total int, _ string) {
			before.Store(int32(done))
			if done >= total/3 {
				die()
			}
		},
	})
	die()
	if err == nil {
		t.Fatal("A's first life proved the whole session: nothing was left for the restart")
	}
	if ctx.Err() != nil {
		t.Fatalf("no third of %d proofs within %v: %v", n, deadline, err)
	}
	// A restarts: its embedded server on the same store and port.
	e.Shutdown()
	time.Sleep(300 * time.Millisecond) // workers see the server go
	e = start("127.0.0.1:" + port)
	tRestart := time.Now()
	man, err := session.ProveSession(ctx, dir, syn.Transcript, syn.Secrets, ks, session.ProveOptions{Runner: client()})
	if err != nil {
		t.Fatalf("after %v, %d kills: %v", time.Since(t0).Round(time.Millisecond), kills.Load(), err)
	}
	elapsed := time.Since(t0)

	// 0 lost, 0 duplicated: exactly one proof per module.
	if len(man.Modules) != n {
		t.Fatalf("manifest holds %d modules, want %d", len(man.Modules), n)
	}
	seen := map[string]bool{}
	for _, m := range man.Modules {
		if seen[m.Name] {
			t.Fatalf("module %s twice in the manifest", m.Name)
		}
		seen[m.Name] = true
	}
	proofs, err := filepath.Glob(filepath.Join(dir, filepath.Dir(artifact.ProofPath("x")), "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(proofs) != n {
		t.Fatalf("%d proof files for %d modules", len(proofs), n)
	}
	// Every proof verifies (B's check, batched).
	if _, err := session.VerifyDir(dir, syn.Transcript, session.VerifyOptions{AllowDevKeys: true}); err != nil {
		t.Fatalf("B rejects the session: %v", err)
	}
	// Duplicate completions (a worker killed after storing its proof and
	// before its ack, or a task queued again by A's second life) are
	// absorbed: count them in the results stream.
	nc, err := e.Connect("chaos-count")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	st, err := js.Stream(ctx, "CHAOS_RESULTS")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if int(info.State.Msgs) < n {
		t.Fatalf("%d results stored for %d tasks", info.State.Msgs, n)
	}
	if kills.Load() < 2 && !testing.Short() {
		t.Errorf("only %d workers were killed while proving: the test did not exercise redelivery", kills.Load())
	}
	t.Logf("%d modules proven by %d worker processes in %.1fs: %d SIGKILLs mid-proof, %d workers started again after A's restart, A restarted after %d proofs (%.1fs before the end), %d results stored for %d tasks (duplicates absorbed)",
		n, chaosWorkers, elapsed.Seconds(), kills.Load(), respawns.Load(), before.Load(), time.Since(tRestart).Seconds(), info.State.Msgs, n)
	if elapsed > deadline {
		t.Fatalf("took %v, over the %v deadline", elapsed, deadline)
	}
}

// TestChaosChild is a worker process of TestChaos: it proves for real,
// saying on stdout when it starts and ends each proof, until killed.
func TestChaosChild(t *testing.T) {
	if os.Getenv("ZKLORA_CHAOS_CHILD") != "1" {
		t.Skip("a worker process of TestChaos")
	}
	go func() { // never outlive the test process
		parent := os.Getppid()
		for range time.Tick(500 * time.Millisecond) {
			if os.Getppid() != parent {
				os.Exit(1)
			}
		}
	}()
	nc, err := Connect(os.Getenv("ZKLORA_JOBS_URL"), ConnectOptions{Name: "chaos-child", Token: "chaos-token"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := prover.OpenStore(os.Getenv("ZKLORA_JOBS_KEYS"))
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := strconv.Atoi(os.Getenv("ZKLORA_JOBS_SEED"))
	n, _ := strconv.Atoi(os.Getenv("ZKLORA_JOBS_MODULES"))
	syn := synthetic(t, st, uint64(seed), n)
	name := fmt.Sprintf("%s/%d", os.Getenv("ZKLORA_CHAOS_NAME"), os.Getpid())
	w, err := NewWorker(context.Background(), nc, chaosCfg, WorkerOptions{Modules: SyntheticModules(syn), Keys: st, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	w.fetchWait = 500 * time.Millisecond
	w.prove = func(keys *prover.Keys, s circuits.Statement, A, B []int16, salt prover.Salt) (*prover.Proof, error) {
		os.Stdout.WriteString("PROVING\n")
		time.Sleep(40 * time.Millisecond) // a window to be killed in
		p, err := prover.Prove(keys, s, A, B, salt)
		os.Stdout.WriteString("PROVEN\n")
		return p, err
	}
	_ = w.Run(context.Background())
}
