package jobs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/engine/session"
)

// proveVia proves syn's session through c and verifies it as B would.
func proveVia(t *testing.T, ctx context.Context, c *Client, syn *session.Synthetic, ks session.KeySource) error {
	t.Helper()
	dir := t.TempDir()
	var calls atomic.Int32
	_, err := session.ProveSession(ctx, dir, syn.Transcript, syn.Secrets, ks, session.ProveOptions{
		Runner:   c,
		Progress: func(done, total int, _ string) { calls.Add(1) },
	})
	if err != nil {
		return err
	}
	if n := int(calls.Load()); n != len(syn.Secrets) {
		t.Errorf("progress called %d times for %d modules", n, len(syn.Secrets))
	}
	if _, err := session.VerifyDir(dir, syn.Transcript, session.VerifyOptions{AllowDevKeys: true}); err != nil {
		t.Fatalf("B rejects the session proven by workers: %v", err)
	}
	return nil
}

func TestSessionProvenByWorkers(t *testing.T) {
	ks := keyStore(t)
	syn := synthetic(t, ks, 1, 5)
	b := newBroker(t, "")
	w1 := b.runWorker(WorkerOptions{Modules: SyntheticModules(syn), Keys: ks, Name: "w1"}, nil)
	w2 := b.runWorker(WorkerOptions{Modules: SyntheticModules(syn), Keys: ks, Name: "w2"}, nil)
	if err := proveVia(t, withTimeout(t, time.Minute), b.client(), syn, ks); err != nil {
		t.Fatal(err)
	}
	waitStats(t, w1, func(s WorkerStats) bool { return s.Proven+w2.Stats().Proven >= 5 })
	if s1, s2 := w1.Stats(), w2.Stats(); s1.Proven+s2.Proven != 5 || s1.Failed+s2.Failed+s1.Dropped+s2.Dropped != 0 {
		t.Fatalf("workers: %+v %+v", s1, s2)
	}
}

// TestIdempotentAcrossRestart proves a session, restarts the broker on the
// same store, and proves it again with no worker running: the proofs are
// taken from the results stream. A worker started afterwards finds the
// re-queued tasks already proven and proves nothing.
func TestIdempotentAcrossRestart(t *testing.T) {
	ks := keyStore(t)
	syn := synthetic(t, ks, 2, 3)
	b := newBroker(t, "")
	ctx, stop := context.WithCancel(context.Background())
	w, err := NewWorker(ctx, b.conn(), testCfg, WorkerOptions{Modules: SyntheticModules(syn), Keys: ks})
	if err != nil {
		t.Fatal(err)
	}
	w.fetchWait = 200 * time.Millisecond
	ran := make(chan error, 1)
	go func() { ran <- w.Run(ctx) }()
	if err := proveVia(t, withTimeout(t, time.Minute), b.client(), syn, ks); err != nil {
		t.Fatal(err)
	}
	waitStats(t, w, func(s WorkerStats) bool { return s.Proven >= 3 })
	stop()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	if s := w.Stats(); s.Proven != 3 {
		t.Fatalf("first run: %+v", s)
	}

	b.restart()
	if err := proveVia(t, withTimeout(t, 30*time.Second), b.client(), syn, ks); err != nil {
		t.Fatalf("proofs lost across a broker restart: %v", err)
	}
	w2 := b.runWorker(WorkerOptions{Modules: SyntheticModules(syn), Keys: ks}, nil)
	if s := waitStats(t, w2, func(s WorkerStats) bool { return s.Skipped >= 3 }); s.Skipped != 3 || s.Proven != 0 {
		t.Fatalf("re-queued tasks of a proven session were proven again: %+v", s)
	}
}

// TestWorkerKilledMidProof runs a worker in another process, kills it
// (SIGKILL) while it holds a task, and checks that a worker started
// afterwards proves the whole session: the killed worker's task comes back
// after AckWait.
func TestWorkerKilledMidProof(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	ks := keyStore(t)
	const seed, modules = 3, 2
	syn := synthetic(t, ks, seed, modules)
	b := newBroker(t, "127.0.0.1:0")
	c := b.client()

	cmd := exec.Command(os.Args[0], "-test.run=^TestChildWorker$", "-test.v")
	cmd.Env = append(os.Environ(), "ZKLORA_JOBS_CHILD=1", "ZKLORA_JOBS_URL=nats://"+b.e.Addr(),
		"ZKLORA_JOBS_KEYS="+ks.Dir(), "ZKLORA_JOBS_SEED="+strconv.Itoa(seed), "ZKLORA_JOBS_MODULES="+strconv.Itoa(modules))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	proved := make(chan error, 1)
	go func() { proved <- proveVia(t, withTimeout(t, 2*time.Minute), c, syn, ks) }()

	held := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if k, ok := strings.CutPrefix(sc.Text(), "HOLDING "); ok {
				held <- k
				return
			}
		}
		close(held)
	}()
	select {
	case k, ok := <-held:
		if !ok {
			t.Fatal("the child worker exited without taking a task")
		}
		t.Logf("child holds task %s; killing it", k)
	case <-time.After(time.Minute):
		t.Fatal("the child worker took no task")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	t0 := time.Now()
	w := b.runWorker(WorkerOptions{Modules: SyntheticModules(syn), Keys: ks, Name: "survivor"}, nil)
	if err := <-proved; err != nil {
		t.Fatalf("the session was not proven after its worker died: %v", err)
	}
	if s := waitStats(t, w, func(s WorkerStats) bool { return s.Proven >= modules }); s.Proven != modules {
		t.Fatalf("survivor: %+v", s)
	}
	t.Logf("session proven %.2fs after the kill (AckWait %v)", time.Since(t0).Seconds(), testCfg.AckWait)
}

// TestChildWorker is the worker process of TestWorkerKilledMidProof: it
// takes one task, says so and hangs while holding it, until killed.
func TestChildWorker(t *testing.T) {
	if os.Getenv("ZKLORA_JOBS_CHILD") != "1" {
		t.Skip("the child of TestWorkerKilledMidProof")
	}
	nc, err := Connect(os.Getenv("ZKLORA_JOBS_URL"), ConnectOptions{Name: "child", Token: "test-token"})
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
	w, err := NewWorker(context.Background(), nc, testCfg, WorkerOptions{Modules: SyntheticModules(syn), Keys: st, Name: "child"})
	if err != nil {
		t.Fatal(err)
	}
	w.prove = func(*prover.Keys, circuits.Statement, []int16, []int16, prover.Salt) (*prover.Proof, error) {
		os.Stdout.WriteString("HOLDING task\n")
		select {} // hang, heartbeating, until killed
	}
	_ = w.Run(context.Background())
}

// TestUnheldModuleFails: a task that no worker can prove (no worker holds
// its module) fails the session after MaxAttempts with the reason, instead
// of waiting forever.
func TestUnheldModuleFails(t *testing.T) {
	ks := keyStore(t)
	syn := synthetic(t, ks, 4, 2)
	other := synthetic(t, ks, 5, 2) // same module names, other weights and commitments
	b := newBroker(t, "")
	b.runWorker(WorkerOptions{Modules: SyntheticModules(other), Keys: ks}, nil)
	err := proveVia(t, withTimeout(t, time.Minute), b.client(), syn, ks)
	if err == nil || !strings.Contains(err.Error(), "no worker holds module") {
		t.Fatalf("want a failure naming the unheld module, got %v", err)
	}
}

// TestUnsatisfiedFailsAtOnce: a statement the weights do not satisfy fails
// on the first attempt.
func TestUnsatisfiedFailsAtOnce(t *testing.T) {
	ks := keyStore(t)
	syn := synthetic(t, ks, 6, 1)
	b := newBroker(t, "")
	w := b.runWorker(WorkerOptions{Modules: SyntheticModules(syn), Keys: ks}, nil)
	job := jobOf(t, syn, ks)
	job.Statement.Zbar.SetUint64(12345)
	_, err := b.client().ProveJobs(withTimeout(t, time.Minute), []prover.Job{job}, prover.ManyOptions{})
	if err == nil || !strings.Contains(err.Error(), "do not satisfy") {
		t.Fatalf("unsatisfied statement: %v", err)
	}
	if s := waitStats(t, w, func(s WorkerStats) bool { return s.Failed >= 1 }); s.Failed != 1 || s.Retried != 0 {
		t.Fatalf("worker: %+v", s)
	}
}

// jobOf is the prover job of syn's first module.
func jobOf(t *testing.T, syn *session.Synthetic, ks session.KeySource) prover.Job {
	t.Helper()
	name := syn.Transcript.UsedModules()[0]
	m, _ := syn.Transcript.Module(name)
	keys, err := ks.Keys(m.Shape)
	if err != nil {
		t.Fatal(err)
	}
	beta, gamma := session.Challenges(syn.Transcript, m, syn.Transcript.Root())
	X, Z, _ := syn.Transcript.ModuleRows(name)
	st, err := circuits.ComputeStatement(m.Shape, X, Z, beta, gamma)
	if err != nil {
		t.Fatal(err)
	}
	sec := syn.Secrets[name]
	return prover.Job{Name: name, Keys: keys, Statement: st, A: sec.A, B: sec.B, Salt: sec.Salt, Commitment: m.Commitment}
}

// TestForgedTaskDropped: a task whose MAC was not made with the module's
// salt is removed unproven.
func TestForgedTaskDropped(t *testing.T) {
	ks := keyStore(t)
	syn := synthetic(t, ks, 7, 1)
	b := newBroker(t, "")
	job := jobOf(t, syn, ks)
	job.Salt[31] ^= 1
	raw, key, err := encodeTask(job)
	if err != nil {
		t.Fatal(err)
	}
	c := b.client() // creates the streams
	if _, err := c.q.js.Publish(context.Background(), c.q.jobsSubject, raw); err != nil {
		t.Fatal(err)
	}
	w := b.runWorker(WorkerOptions{Modules: SyntheticModules(syn), Keys: ks}, nil)
	if s := waitStats(t, w, func(s WorkerStats) bool { return s.Dropped >= 1 }); s.Dropped != 1 || s.Proven != 0 {
		t.Fatalf("forged task: %+v", s)
	}
	if ok, err := c.q.hasProof(context.Background(), key); ok || err != nil {
		t.Fatalf("a proof was stored for a forged task: %v %v", ok, err)
	}
}

// TestInvalidResultRefused: a proof stored under a task's key that does
// not verify for that task (here, another module's valid proof) fails the
// call: results are verified, not trusted.
func TestInvalidResultRefused(t *testing.T) {
	ks := keyStore(t)
	syn := synthetic(t, ks, 8, 2)
	b := newBroker(t, "")
	c := b.client()
	job := jobOf(t, syn, ks)
	_, key, err := encodeTask(job)
	if err != nil {
		t.Fatal(err)
	}
	other := jobOf(t, synthetic(t, ks, 9, 1), ks)
	p, err := prover.Prove(other.Keys, other.Statement, other.A, other.B, other.Salt)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := p.MarshalBinary()
	body, _ := json.Marshal(resultWire{Version: resultVersion, Key: key, Proof: raw, Worker: "liar", Attempt: 1})
	if _, err := c.q.js.Publish(context.Background(), c.q.resultSubject(key), body); err != nil {
		t.Fatal(err)
	}
	_, err = c.ProveJobs(withTimeout(t, 30*time.Second), []prover.Job{job}, prover.ManyOptions{})
	if !errors.Is(err, prover.ErrCommitmentMismatch) || !strings.Contains(err.Error(), "liar") {
		t.Fatalf("another module's proof was accepted: %v", err)
	}
}

func TestTaskEncoding(t *testing.T) {
	ks := keyStore(t)
	syn := synthetic(t, ks, 10, 1)
	job := jobOf(t, syn, ks)
	raw, key, err := encodeTask(job)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := decodeTask(raw)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Key != key || tk.Module != job.Name || !tk.Statement.Equal(job.Statement) || hex.EncodeToString(tk.Commitment) != hex.EncodeToString(job.Commitment) {
		t.Fatalf("round trip: %+v", tk)
	}
	// The key is the same for the same job (idempotent) and differs for
	// any other statement.
	if _, k2, _ := encodeTask(job); k2 != key {
		t.Fatal("the key of a job is not deterministic")
	}
	j2 := job
	j2.Statement.Gamma.SetUint64(7)
	if _, k3, _ := encodeTask(j2); k3 == key {
		t.Fatal("two statements share a key")
	}
	// A task whose contents no longer hash to its key is refused.
	var w taskWire
	if err := json.Unmarshal(raw, &w); err != nil {
		t.Fatal(err)
	}
	w.Module = "synthetic.m001"
	bad, _ := json.Marshal(w)
	if _, err := decodeTask(bad); err == nil || !strings.Contains(err.Error(), "not the hash") {
		t.Fatalf("tampered task accepted: %v", err)
	}
	// Unknown fields, trailing data, other versions.
	for _, b := range [][]byte{
		[]byte(strings.Replace(string(raw), `"version":1`, `"version":1,"extra":1`, 1)),
		append(append([]byte{}, raw...), []byte(" {}")...),
		[]byte(strings.Replace(string(raw), `"version":1`, `"version":2`, 1)),
	} {
		if _, err := decodeTask(b); err == nil {
			t.Fatalf("accepted %.60s…", b)
		}
	}
	// A task needs the announced commitment.
	j3 := job
	j3.Commitment = nil
	if _, _, err := encodeTask(j3); err == nil {
		t.Fatal("a job without commitment was encoded")
	}
	// A MAC under another salt differs.
	s2 := job.Salt
	s2[31] ^= 1
	if hex.EncodeToString(taskMAC(s2, key)) == hex.EncodeToString(taskMAC(job.Salt, key)) {
		t.Fatal("the MAC ignores the salt")
	}
}

func TestConfigValidation(t *testing.T) {
	for _, ns := range []string{"UPPER", "a.b", "a>", strings.Repeat("a", 33), "-x"} {
		if _, err := (Config{Namespace: ns}).withDefaults(); err == nil {
			t.Errorf("namespace %q accepted", ns)
		}
	}
	c, err := Config{}.withDefaults()
	if err != nil || c.Namespace != DefaultNamespace || c.AckWait != DefaultAckWait || c.MaxAttempts != DefaultMaxAttempts {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	if _, err := StartEmbedded(EmbeddedOptions{StoreDir: t.TempDir(), Listen: "127.0.0.1:0"}); err == nil {
		t.Fatal("a listening embedded server without a token started")
	}
}

// TestListenerNeedsToken: a client without the token cannot connect to an
// embedded server that listens.
func TestListenerNeedsToken(t *testing.T) {
	b := newBroker(t, "127.0.0.1:0")
	if nc, err := nats.Connect("nats://"+b.e.Addr(), nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Fatal("connected without the token")
	}
	nc, err := Connect("nats://"+b.e.Addr(), ConnectOptions{Token: "test-token"})
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
}

// TestAlwaysFailingDeadLetters: a task whose every attempt fails with an
// error worth retrying (here the prover always reports one) is delivered
// MaxAttempts times, then dead-lettered: the call fails with a
// DeadLetterError whose one-line message names the module, the count and
// the reason, and the task leaves the work queue.
func TestAlwaysFailingDeadLetters(t *testing.T) {
	ks := keyStore(t)
	syn := synthetic(t, ks, 11, 1)
	b := newBroker(t, "")
	w := b.runWorker(WorkerOptions{Modules: SyntheticModules(syn), Keys: ks, Name: "flaky"}, func(w *Worker) {
		w.prove = func(*prover.Keys, circuits.Statement, []int16, []int16, prover.Salt) (*prover.Proof, error) {
			return nil, errors.New("out of GPU memory\n(simulated)")
		}
	})
	c := b.client()
	job := jobOf(t, syn, ks)
	_, err := c.ProveJobs(withTimeout(t, time.Minute), []prover.Job{job}, prover.ManyOptions{})
	var dl *DeadLetterError
	if !errors.As(err, &dl) {
		t.Fatalf("want a dead-letter error, got %v", err)
	}
	want := fmt.Sprintf("module %s: dead-lettered after %d deliveries", job.Name, testCfg.MaxAttempts)
	if msg := err.Error(); !strings.HasPrefix(msg, want) || !strings.Contains(msg, "worker flaky): out of GPU memory (simulated)") || strings.Contains(msg, "\n") {
		t.Fatalf("dead-letter message %q, want %q… naming the worker and the reason on one line", msg, want)
	}
	if s := waitStats(t, w, func(s WorkerStats) bool { return s.Failed >= 1 }); s.Failed != 1 || s.Retried != int64(testCfg.MaxAttempts-1) || s.Proven != 0 {
		t.Fatalf("worker: %+v", s)
	}
	// The dead task is no longer queued.
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := c.q.jobs.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Msgs == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d tasks still queued after the dead letter", info.State.Msgs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDuplicateCompletions: two workers completing the same task (each
// storing a valid proof under its key) give the call one proof, the first
// stored, and a session directory with one proof per module.
func TestDuplicateCompletions(t *testing.T) {
	ks := keyStore(t)
	syn := synthetic(t, ks, 12, 1)
	b := newBroker(t, "")
	c := b.client()
	job := jobOf(t, syn, ks)
	_, key, err := encodeTask(job)
	if err != nil {
		t.Fatal(err)
	}
	var raws [][]byte
	for i, w := range []string{"first", "second"} {
		p, err := prover.Prove(job.Keys, job.Statement, job.A, job.B, job.Salt)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := p.MarshalBinary()
		raws = append(raws, raw)
		body, _ := json.Marshal(resultWire{Version: resultVersion, Key: key, Proof: raw, Worker: w, Attempt: uint64(i + 1)})
		if _, err := c.q.js.Publish(context.Background(), c.q.resultSubject(key), body); err != nil {
			t.Fatal(err)
		}
	}
	if bytes.Equal(raws[0], raws[1]) {
		t.Fatal("two proofs of the same job are equal: the test needs distinct completions")
	}
	proofs, err := c.ProveJobs(withTimeout(t, 30*time.Second), []prover.Job{job, job}, prover.ManyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range proofs {
		raw, _ := p.MarshalBinary()
		if !bytes.Equal(raw, raws[0]) {
			t.Fatalf("job %d: not the first stored proof", i)
		}
	}
	dir := t.TempDir()
	if _, err := session.ProveSession(withTimeout(t, 30*time.Second), dir, syn.Transcript, syn.Secrets, ks, session.ProveOptions{Runner: c}); err != nil {
		t.Fatal(err)
	}
	files, _ := os.ReadDir(filepath.Join(dir, "proofs"))
	if len(files) != 1 {
		t.Fatalf("%d proof files for one module", len(files))
	}
	if _, err := session.VerifyDir(dir, syn.Transcript, session.VerifyOptions{AllowDevKeys: true}); err != nil {
		t.Fatal(err)
	}
}
