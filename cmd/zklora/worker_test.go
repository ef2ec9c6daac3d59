package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zklora/zklora/engine/jobs"
)

// startWorker runs 'zklora worker' in process until the test ends and
// returns its final counts (read after the test's own checks, at cleanup).
func startWorker(t *testing.T, args ...string) func() jobs.WorkerStats {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	root := newRootCmd(pw, io.Discard)
	root.SetArgs(append([]string{"worker", "--json"}, args...))
	go func() {
		done <- root.ExecuteContext(ctx)
		pw.Close()
	}()
	rd := bufio.NewReader(pr)
	if line, err := rd.ReadString('\n'); err != nil || !strings.Contains(line, `"started"`) {
		t.Fatalf("worker did not start: %q %v", line, err)
	}
	lines := make(chan string, 1)
	go func() {
		line, _ := rd.ReadString('\n')
		lines <- line
		_, _ = io.Copy(io.Discard, rd)
	}()
	return func() jobs.WorkerStats {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("worker: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("worker did not stop")
		}
		var s jobs.WorkerStats
		if err := json.Unmarshal([]byte(<-lines), &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
}

// TestServeWithRemoteWorker: serve queues its proofs on its embedded NATS
// server and proves nothing itself; a worker connected over TCP with A's
// adapter, salts and keys proves them; B verifies.
func TestServeWithRemoteWorker(t *testing.T) {
	dir := t.TempDir()
	base, adapter := writeTinyFixture(t, dir)
	keys, aOut := filepath.Join(dir, "keys"), filepath.Join(dir, "a")
	info := startServe(t, "--base", base, "--adapter", adapter, "--out", aOut, "--keys", keys,
		"--nats-listen", "127.0.0.1:0", "--workers", "0")
	if !strings.HasPrefix(info.NATS, "nats://127.0.0.1:") || info.NATSTokenFile != filepath.Join(aOut, "secrets", "nats.token") {
		t.Fatalf("serve info %+v", info)
	}
	if st, err := os.Stat(info.NATSTokenFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v", st, err)
	}
	// Without the token the worker cannot connect.
	if code, _, _ := runCLI(t, "worker", "--nats", info.NATS, "--base", base, "--adapter", adapter, "--a-out", aOut, "--keys", keys); code == 0 {
		t.Fatal("a worker without the token connected")
	}
	stats := startWorker(t, "--nats", info.NATS, "--nats-token-file", info.NATSTokenFile,
		"--base", base, "--adapter", adapter, "--a-out", aOut, "--keys", keys, "--name", "remote")

	_, port, _ := net.SplitHostPort(info.Addr)
	out := filepath.Join(dir, "b")
	code, stdout, stderr := runCLI(t, "infer", "--host-a", "127.0.0.1", "--port-a", port, "--base", base,
		"--text", "Proven elsewhere.", "--pin", info.Fingerprint, "--out", out, "--allow-dev-keys", "--json", "--quiet")
	if code != 0 {
		t.Fatalf("infer: exit %d: %s", code, stderr)
	}
	var res inferResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	if res.Verified != 4 || res.Failed != 0 {
		t.Fatalf("infer: %+v", res)
	}
	if s := stats(); s.Proven != 4 || s.Failed != 0 {
		t.Fatalf("the remote worker: %+v", s)
	}
}

// TestWorkerNeedsASecrets: a worker without A's salts file refuses to
// start instead of proving with salts of its own.
func TestWorkerNeedsASecrets(t *testing.T) {
	dir := t.TempDir()
	base, adapter := writeTinyFixture(t, dir)
	keys := filepath.Join(dir, "keys")
	code, _, stderr := runCLI(t, "worker", "--nats", "nats://127.0.0.1:1", "--base", base, "--adapter", adapter, "--a-out", filepath.Join(dir, "empty"), "--keys", keys)
	if code == 0 || !strings.Contains(stderr, "holds no salt") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "empty")); err == nil {
		t.Fatal("the worker wrote into --a-out")
	}
	if code, _, _ := runCLI(t, "worker", "--nats", "nats://127.0.0.1:1", "--base", base); code != exitUsage {
		t.Fatalf("missing --adapter/--a-out: exit %d", code)
	}
}

func TestProveSyntheticThroughNATS(t *testing.T) {
	dir := t.TempDir()
	keys, out, tr := filepath.Join(dir, "keys"), filepath.Join(dir, "proofs"), filepath.Join(dir, "b.zklt")
	code, _, stderr := runCLI(t, "prove", "--synthetic", "--shape", "8x2x6", "--modules", "3", "--tokens", "5",
		"--out", out, "--transcript-out", tr, "--keys", keys, "--nats", "embedded", "--local-provers", "2", "--quiet")
	if code != 0 {
		t.Fatalf("prove: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "verify", "--proof-dir", out, "--transcript", tr, "--allow-dev-keys"); code != 0 {
		t.Fatalf("verify: exit %d: %s", code, stderr)
	}
	// --nats-listen without --nats embedded is a usage error.
	if code, _, _ := runCLI(t, "prove", "--synthetic", "--shape", "8x2x6", "--out", out, "--transcript-out", tr, "--keys", keys,
		"--nats", "nats://127.0.0.1:1", "--nats-listen", "127.0.0.1:0", "--quiet"); code != exitUsage {
		t.Fatalf("--nats-listen with a URL: exit %d", code)
	}
}

// TestServeDeadLetter: the only worker cannot prove A's tasks (it holds
// other modules), so each task is dead-lettered after --nats-max-attempts
// deliveries; proof_status reports it and B's infer exits non-zero with
// that one-line reason.
func TestServeDeadLetter(t *testing.T) {
	dir := t.TempDir()
	base, adapter := writeTinyFixture(t, dir)
	keys, aOut, wKeys := filepath.Join(dir, "keys"), filepath.Join(dir, "a"), filepath.Join(dir, "wkeys")
	queue := []string{"--nats-ack-wait", "1s", "--nats-max-attempts", "2"}
	info := startServe(t, append([]string{"--base", base, "--adapter", adapter, "--out", aOut, "--keys", keys,
		"--nats-listen", "127.0.0.1:0", "--workers", "0"}, queue...)...)
	// A worker with a synthetic module of its own (its keys made by prove).
	if code, _, stderr := runCLI(t, "prove", "--synthetic", "--shape", "8x2x6", "--tokens", "2", "--out", filepath.Join(dir, "p"),
		"--transcript-out", filepath.Join(dir, "p.zklt"), "--keys", wKeys, "--quiet"); code != 0 {
		t.Fatalf("prove: exit %d: %s", code, stderr)
	}
	stats := startWorker(t, append([]string{"--nats", info.NATS, "--nats-token-file", info.NATSTokenFile,
		"--synthetic", "--shape", "8x2x6", "--keys", wKeys, "--name", "stranger"}, queue...)...)

	_, port, _ := net.SplitHostPort(info.Addr)
	code, _, stderr := runCLI(t, "infer", "--host-a", "127.0.0.1", "--port-a", port, "--base", base,
		"--text", "Nobody proves this.", "--pin", info.Fingerprint, "--out", filepath.Join(dir, "b"), "--allow-dev-keys", "--quiet")
	if code != exitFailure {
		t.Fatalf("infer with no worker able to prove: exit %d, want %d", code, exitFailure)
	}
	msg := strings.TrimSpace(stderr)
	if !strings.Contains(msg, "dead-lettered after 2 deliveries") || !strings.Contains(msg, "worker stranger") ||
		!strings.Contains(msg, "no worker holds module") || strings.Count(msg, "\n") != 0 {
		t.Fatalf("infer's error %q: want one line naming the dead letter, the worker and the reason", msg)
	}
	t.Logf("infer: %s", msg)
	if s := stats(); s.Failed < 1 || s.Proven != 0 {
		t.Fatalf("the worker: %+v", s)
	}
}

// TestDemoThroughQueue: demo --workers N proves through an embedded NATS
// JetStream server with N local workers, loopback (with the key
// ceremonies, which run before the queue opens, and with dev keys) and
// synthetic.
func TestDemoThroughQueue(t *testing.T) {
	m := checkDemoJSON(t, 6, "demo", "--workers", "2", "--keys", t.TempDir(), "--json")
	if m["mode"] != "loopback" || m["workers"] != float64(2) || m["key_mode"] != "ceremony" {
		t.Fatalf("demo: %v", m)
	}
	keys := t.TempDir()
	m = checkDemoJSON(t, 6, "demo", "--dev-keys", "--workers", "2", "--keys", keys, "--json")
	if m["mode"] != "loopback" || m["workers"] != float64(2) || m["key_mode"] != "dev" {
		t.Fatalf("demo: %v", m)
	}
	m = checkDemoJSON(t, 3, "demo", "--synthetic", "--shape", "8x2x6", "--tokens", "4", "--modules", "3", "--workers", "2", "--keys", keys, "--json")
	if m["mode"] != "synthetic" || m["workers"] != float64(2) {
		t.Fatalf("demo: %v", m)
	}
	if code, _, _ := runCLI(t, "demo", "--workers", "-1", "--keys", keys); code != exitUsage {
		t.Fatalf("--workers -1: exit %d", code)
	}
}

// TestServeQueueByDefault: serve with no NATS flag proves through its
// embedded JetStream server, storing under --data; --nats none proves in
// the process and takes no --data.
func TestServeQueueByDefault(t *testing.T) {
	dir := t.TempDir()
	base, adapter := writeTinyFixture(t, dir)
	keys, data := filepath.Join(dir, "keys"), filepath.Join(dir, "js")
	info := startServe(t, "--base", base, "--adapter", adapter, "--out", filepath.Join(dir, "a"), "--keys", keys, "--data", data, "--workers", "2")
	_, port, _ := net.SplitHostPort(info.Addr)
	if code, _, stderr := runCLI(t, "infer", "--host-a", "127.0.0.1", "--port-a", port, "--base", base,
		"--text", "Queued by default.", "--pin", info.Fingerprint, "--out", filepath.Join(dir, "b"), "--allow-dev-keys", "--quiet"); code != 0 {
		t.Fatalf("infer: exit %d: %s", code, stderr)
	}
	if ents, err := os.ReadDir(filepath.Join(data, "jetstream")); err != nil || len(ents) == 0 {
		t.Fatalf("no JetStream store under --data: %v %v", ents, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a", "jetstream")); err == nil {
		t.Fatal("the store went to --out/jetstream despite --data")
	}
	if code, _, _ := runCLI(t, "serve", "--base", base, "--adapter", adapter, "--out", filepath.Join(dir, "a2"), "--keys", keys,
		"--nats", "none", "--data", data); code != exitUsage {
		t.Fatalf("--nats none --data: exit %d", code)
	}
}
