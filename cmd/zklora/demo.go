package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/jobs"
	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/engine/session"
)

type demoOptions struct {
	backend   backendFlag
	preset    string
	text      string
	combine   string
	synthetic bool
	shape     string
	tokens    int
	modules   int
	seed      uint64
	keyDir    string
	keep      string
	asJSON    bool
	devKeys   bool
	workers   int
}

func newCmdDemo() *cobra.Command {
	o := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a whole A/B session on loopback: fixture, A serving on 127.0.0.1:0, B inferring, prove, fetch, verify",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return demoRun(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.preset, "preset", "tiny", "fixture model: tiny or distilgpt2 (generated, seeded random weights)")
	f.StringVar(&o.text, "text", demoText, "text B runs the model on")
	f.StringVar(&o.combine, "combine", "add_delta", "combine mode: add_delta or replace")
	f.BoolVar(&o.devKeys, "dev-keys", false, "skip the key ceremonies: use the keys in the store, dev keys made on first use (fast; for testing only)")
	f.BoolVar(&o.synthetic, "synthetic", false, "instead: one process plays both parties of a synthetic session (no model, no network)")
	f.StringVar(&o.shape, "shape", "768x8x2304", "with --synthetic: module shape DxRxO")
	f.IntVar(&o.tokens, "tokens", 64, "with --synthetic: rows per module")
	f.IntVar(&o.modules, "modules", 4, "with --synthetic: modules")
	f.Uint64Var(&o.seed, "seed", 1, "random seed")
	f.StringVar(&o.keyDir, "keys", defaultKeyDir(), "key store directory")
	f.IntVar(&o.workers, "workers", 0, "prove through a NATS JetStream queue (an embedded server) with this many local workers; 0: prove in this process")
	f.StringVar(&o.keep, "out", "", "keep the artifacts and transcript in this directory (default: a temporary one, removed)")
	f.BoolVar(&o.asJSON, "json", false, "print a JSON summary")
	o.backend.add(f)
	return cmd
}

// demoResult is the demo's JSON summary.
type demoResult struct {
	Mode       string   `json:"mode"`
	Loss       *float64 `json:"loss"`
	Proofs     int      `json:"proofs"`
	Verified   int      `json:"verified"`
	Failed     int      `json:"failed"`
	KeyMode    string   `json:"key_mode"`
	SessionID  string   `json:"session_id"`
	InferenceS float64  `json:"inference_s"`
	ProveS     float64  `json:"prove_s"`
	VerifyS    float64  `json:"verify_s"`
	Out        string   `json:"out,omitempty"`
	Preset     string   `json:"preset,omitempty"`
	Combine    string   `json:"combine,omitempty"`
	Tokens     int      `json:"tokens,omitempty"`
	Calls      int      `json:"calls,omitempty"`
	CallMeanMS float64  `json:"call_mean_ms,omitempty"`
	FetchS     float64  `json:"fetch_s,omitempty"`
	// Workers is the number of queue workers that proved (--workers).
	Workers int `json:"workers,omitempty"`
}

// demoText is the demo's default input.
const demoText = "Zero-knowledge proofs let a LoRA contributor show that every answer it gave came from the adapter it committed to."

func demoRun(cmd *cobra.Command, o *demoOptions) error {
	if o.workers < 0 {
		return usageError{fmt.Errorf("--workers %d", o.workers)}
	}
	if o.synthetic {
		return demoSyntheticRun(cmd, o)
	}
	return demoLoopbackRun(cmd, o)
}

func demoSyntheticRun(cmd *cobra.Command, o *demoOptions) error {
	shape, err := circuits.ParseShape(o.shape)
	if err != nil {
		return usageError{err}
	}
	dir := o.keep
	if dir == "" {
		if dir, err = os.MkdirTemp("", "zklora-demo-*"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	store, err := prover.OpenStore(o.keyDir)
	if err != nil {
		return err
	}
	ks := devKeySource{store}
	errw := cmd.ErrOrStderr()
	quiet := o.asJSON
	if !quiet {
		fmt.Fprintf(errw, "demo: %d modules of %s, %d rows each; dev keys in %s\n", o.modules, shape, o.tokens, o.keyDir)
	}
	if _, err := ks.Keys(shape); err != nil {
		return err
	}
	t0 := time.Now()
	syn, err := session.NewSynthetic(session.SyntheticOptions{Shape: shape, Tokens: o.tokens, Modules: o.modules, Seed: o.seed}, ks)
	if err != nil {
		return err
	}
	trPath := dir + "/transcript.bin"
	if err := syn.Transcript.Save(trPath); err != nil {
		return err
	}
	res := &demoResult{Mode: "synthetic", SessionID: syn.Transcript.SessionID, InferenceS: time.Since(t0).Seconds()}
	bar := newProgressBar(errw, "proving", o.modules, quiet)
	t1 := time.Now()
	eng, freeEngine, err := o.backend.engine(errw, quiet)
	if err != nil {
		return err
	}
	defer freeEngine()
	proveOpts := session.ProveOptions{
		Progress: func(done, total int, module string) { bar.Set(done, module) },
		Engine:   eng,
	}
	if o.workers > 0 {
		pq, err := demoQueue(cmd, o, filepath.Join(dir, "jetstream"), jobs.SyntheticModules(syn), ks, eng)
		if err != nil {
			return err
		}
		defer pq.Close()
		proveOpts.Runner, res.Workers = pq.Client, o.workers
	}
	if _, err := session.ProveSession(cmd.Context(), dir+"/artifacts", syn.Transcript, syn.Secrets, ks, proveOpts); err != nil {
		return err
	}
	res.ProveS = time.Since(t1).Seconds()
	t2 := time.Now()
	rep, err := session.VerifyDir(dir+"/artifacts", syn.Transcript, session.VerifyOptions{AllowDevKeys: true})
	if err != nil {
		return err
	}
	res.VerifyS = time.Since(t2).Seconds()
	res.Proofs, res.Verified, res.Failed, res.KeyMode = rep.Proofs, rep.Verified, rep.Failed, rep.KeyMode
	if o.keep != "" {
		res.Out = o.keep
	}
	return demoPrint(cmd, o, res, rep)
}

// demoQueue opens the proof queue of --workers: an embedded NATS
// JetStream server storing under storeDir, without a listener, and
// o.workers proofs at once by a worker on it.
func demoQueue(cmd *cobra.Command, o *demoOptions, storeDir string, modules map[string]jobs.Module, ks jobs.KeySource, eng prover.Engine) (*proofQueue, error) {
	no := &natsOptions{url: "embedded", namespace: jobs.DefaultNamespace, ackWait: jobs.DefaultAckWait, maxAttempts: jobs.DefaultMaxAttempts, localProvers: o.workers}
	return openProofQueue(cmd.Context(), no, storeDir, modules, ks, eng, slog.New(slog.DiscardHandler))
}

// demoPrint prints the summary and maps a rejected session to exit 3.
func demoPrint(cmd *cobra.Command, o *demoOptions, res *demoResult, rep *session.Report) error {
	out := cmd.OutOrStdout()
	if o.asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		if res.Loss != nil {
			fmt.Fprintf(out, "loss %.6f over %d tokens (%s; %d remote LoRA calls, %.2f ms each)\n", *res.Loss, res.Tokens, res.Combine, res.Calls, res.CallMeanMS)
		}
		printReport(out, rep)
		fmt.Fprintf(out, "inference %.2fs, prove %.2fs, verify %.3fs\n", res.InferenceS, res.ProveS, res.VerifyS)
	}
	if err := rep.Err(); err != nil {
		return verifyError{err}
	}
	return nil
}
