package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/zklora/zklora/engine/gpt2"
	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/engine/session"
	"github.com/zklora/zklora/engine/tokenizer"
	"github.com/zklora/zklora/net/client"
	"github.com/zklora/zklora/net/identity"
	"github.com/zklora/zklora/net/wire"
)

type inferOptions struct {
	hostA        string
	portA        int
	base         string
	text         string
	textFile     string
	combine      string
	pin          string
	out          string
	allowDevKeys bool
	ceremony     bool
	keyDir       string
	timeout      time.Duration
	quiet        bool
	asJSON       bool
}

func newCmdInfer() *cobra.Command {
	o := &inferOptions{}
	cmd := &cobra.Command{
		Use:   "infer --host-a HOST --port-a PORT --base DIR (--text STR | --text-file F) --out DIR",
		Short: "Party B: run the base model with A's remote LoRA, then fetch and verify A's proofs",
		Long: `Party B: run the base model on the text with every LoRA point answered by A (zklora serve),
print the loss, end inference with a fresh nonce, wait for A's proofs (progress on stderr),
fetch them into --out/artifacts and verify them against B's own transcript
(--out/transcript.zklt). Exits 0 only if every proof verified (3 if verification rejected).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return inferRun(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.hostA, "host-a", "127.0.0.1", "A's host")
	f.IntVar(&o.portA, "port-a", 7700, "A's port")
	f.StringVar(&o.base, "base", "", "base model directory (required)")
	f.StringVar(&o.text, "text", "", "input text")
	f.StringVar(&o.textFile, "text-file", "", "file holding the input text")
	f.StringVar(&o.combine, "combine", wire.CombineAddDelta, "combine mode: add_delta or replace")
	f.StringVar(&o.pin, "pin", "", "A's certificate fingerprint (without it A is trusted on first use, unauthenticated)")
	f.StringVar(&o.out, "out", "", "B's directory: transcript, artifacts, report (required; must be empty)")
	f.BoolVar(&o.allowDevKeys, "allow-dev-keys", false, "accept proofs made with dev keys (tests and demos only)")
	f.BoolVar(&o.ceremony, "ceremony", false, "first run the two-party key ceremony with A for every shape B has no finished ceremony with A for, and require A's proofs to use those keys")
	f.StringVar(&o.keyDir, "keys", defaultKeyDir(), "with --ceremony: B's key store, which keeps the finished ceremonies")
	f.DurationVar(&o.timeout, "timeout", 30*time.Minute, "overall time limit")
	f.BoolVar(&o.quiet, "quiet", false, "no progress bar")
	f.BoolVar(&o.asJSON, "json", false, "print a JSON summary")
	_ = cmd.MarkFlagRequired("base")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// inferResult is infer's JSON summary.
type inferResult struct {
	Loss        float64         `json:"loss"`
	Tokens      int             `json:"tokens"`
	SessionID   string          `json:"session_id"`
	Combine     string          `json:"combine"`
	Pinned      bool            `json:"pinned"`
	Fingerprint string          `json:"fingerprint"`
	Calls       int             `json:"calls"`
	CallMeanMS  float64         `json:"call_mean_ms"`
	Proofs      int             `json:"proofs"`
	Verified    int             `json:"verified"`
	Failed      int             `json:"failed"`
	KeyMode     string          `json:"key_mode"`
	InferenceS  float64         `json:"inference_s"`
	ProveS      float64         `json:"prove_s"`
	FetchS      float64         `json:"fetch_s"`
	VerifyS     float64         `json:"verify_s"`
	Ceremonies  int             `json:"ceremonies,omitempty"`
	CeremonyS   float64         `json:"ceremony_s,omitempty"`
	Out         string          `json:"out"`
	Report      *session.Report `json:"report"`
}

func inferRun(cmd *cobra.Command, o *inferOptions) error {
	if (o.text == "") == (o.textFile == "") {
		return usageError{errors.New("give exactly one of --text and --text-file")}
	}
	if !wire.ValidCombine(o.combine) {
		return usageError{fmt.Errorf("--combine %q: want add_delta or replace", o.combine)}
	}
	text := o.text
	if o.textFile != "" {
		b, err := os.ReadFile(o.textFile)
		if err != nil {
			return usageError{err}
		}
		text = string(b)
	}
	if ents, err := os.ReadDir(o.out); err == nil && len(ents) > 0 {
		return usageError{fmt.Errorf("--out %s is not empty", o.out)}
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), o.timeout)
	defer cancel()
	stderr := cmd.ErrOrStderr()

	model, err := gpt2.Load(o.base)
	if err != nil {
		return err
	}
	tok, err := tokenizer.New()
	if err != nil {
		return err
	}
	addr := net.JoinHostPort(o.hostA, strconv.Itoa(o.portA))
	res := &inferResult{Combine: o.combine, Pinned: o.pin != "", Out: o.out}
	pin := o.pin
	if pin == "" {
		if pin, err = identity.ProbeFingerprint(ctx, addr, 10*time.Second); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "warning: A is not pinned; accepted its certificate %s on first use. Pass --pin to authenticate A.\n", pin)
	}
	c, err := client.Dial(ctx, addr, client.Options{Pin: pin})
	if err != nil {
		return err
	}
	defer c.Close()
	res.Fingerprint, _ = identity.NormalizeFingerprint(pin)
	var store *prover.Store
	if o.ceremony {
		if store, err = openKeyStore(o.keyDir); err != nil {
			return err
		}
		t0 := time.Now()
		if res.Ceremonies, err = ensureCeremonies(ctx, c, store, stderr, o.quiet); err != nil {
			return err
		}
		res.CeremonyS = time.Since(t0).Seconds()
	}
	r, err := runB(ctx, c, model, tok, text, o.combine, o.out, session.VerifyOptions{AllowDevKeys: o.allowDevKeys && !o.ceremony}, stderr, o.quiet, res)
	if err != nil {
		return err
	}
	if o.ceremony {
		if err := checkCeremonyKeys(filepath.Join(o.out, "transcript.zklt"), store); err != nil {
			return verifyError{err}
		}
	}
	if o.asJSON {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		out := cmd.OutOrStdout()
		fmt.Fprintf(out, "loss %.6f over %d tokens (%s, %d remote LoRA calls, %.2f ms each)\n", res.Loss, res.Tokens, res.Combine, res.Calls, res.CallMeanMS)
		printReport(out, r)
		fmt.Fprintf(out, "artifacts %s, transcript %s\n", filepath.Join(o.out, "artifacts"), filepath.Join(o.out, "transcript.zklt"))
	}
	if err := r.Err(); err != nil {
		return verifyError{err}
	}
	return nil
}

// runB runs B's whole flow over a connected client and fills res: forward,
// end, wait with progress, fetch, verify. It writes the transcript, the
// artifacts and report.json under out.
func runB(ctx context.Context, c *client.Client, model *gpt2.Model, tok *tokenizer.Tokenizer, text, combine, out string, vopts session.VerifyOptions, progress io.Writer, quiet bool, res *inferResult) (*session.Report, error) {
	b := client.NewBaseModelClient(c, model, tok)
	t0 := time.Now()
	if err := b.InitAndPatch(ctx, combine); err != nil {
		return nil, err
	}
	loss, n, err := b.ForwardLoss(text)
	if err != nil {
		return nil, err
	}
	res.InferenceS = time.Since(t0).Seconds()
	res.Loss, res.Tokens, res.SessionID = loss, n, b.Session().ID
	calls, dur := b.CallStats()
	res.Calls = calls
	if calls > 0 {
		res.CallMeanMS = dur.Seconds() * 1000 / float64(calls)
	}
	t1 := time.Now()
	if _, err := b.EndInference(ctx); err != nil {
		return nil, err
	}
	if err := b.Session().SaveTranscript(filepath.Join(out, "transcript.zklt")); err != nil {
		return nil, err
	}
	var bar *progressBar
	err = b.WaitProof(ctx, 100*time.Millisecond, func(done, total int, module string) {
		if bar == nil {
			bar = newProgressBar(progress, "proving", total, quiet)
		}
		bar.Set(done, module)
	})
	if err != nil {
		return nil, err
	}
	res.ProveS = time.Since(t1).Seconds()
	t2 := time.Now()
	dir := filepath.Join(out, "artifacts")
	if err := b.FetchArtifacts(ctx, dir); err != nil {
		return nil, err
	}
	res.FetchS = time.Since(t2).Seconds()
	t3 := time.Now()
	rep, err := b.Verify(dir, vopts)
	if err != nil {
		return nil, err
	}
	res.VerifyS = time.Since(t3).Seconds()
	res.Proofs, res.Verified, res.Failed, res.KeyMode, res.Report = rep.Proofs, rep.Verified, rep.Failed, rep.KeyMode, rep
	if data, err := json.MarshalIndent(rep, "", "  "); err == nil {
		_ = os.WriteFile(filepath.Join(out, "report.json"), append(data, '\n'), 0o644)
	}
	return rep, nil
}

// writeJSONLine writes v as one JSON line.
func writeJSONLine(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}
