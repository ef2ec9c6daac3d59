package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/engine/session"
	"github.com/zklora/zklora/engine/transcript"
)

type verifyOptions struct {
	proofDir     string
	transcript   string
	allowDevKeys bool
	ceremonyKeys string
	asJSON       bool
}

func newCmdVerify() *cobra.Command {
	o := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify --proof-dir DIR --transcript FILE",
		Short: "Verify a session's proofs against B's own transcript (exit 0 only if every module verified)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return verifyRun(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.proofDir, "proof-dir", "", "the session's artifact directory (required)")
	f.StringVar(&o.transcript, "transcript", "", "B's transcript of the session (required)")
	f.BoolVar(&o.allowDevKeys, "allow-dev-keys", false, "accept proofs made with dev keys (tests and demos only: whoever made dev keys can forge proofs)")
	f.StringVar(&o.ceremonyKeys, "ceremony-keys", "", "B's key store: also require every module's keys to come from a ceremony B finished (infer --ceremony, setup finalize)")
	f.BoolVar(&o.asJSON, "json", false, "print the report as JSON")
	_ = cmd.MarkFlagRequired("proof-dir")
	_ = cmd.MarkFlagRequired("transcript")
	return cmd
}

func verifyRun(cmd *cobra.Command, o *verifyOptions) error {
	tr, err := transcript.Load(o.transcript)
	if err != nil {
		return err
	}
	rep, err := session.VerifyDir(o.proofDir, tr, session.VerifyOptions{AllowDevKeys: o.allowDevKeys})
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if o.asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printReport(out, rep)
	}
	if err := rep.Err(); err != nil {
		return verifyError{err}
	}
	if o.ceremonyKeys != "" {
		store, err := prover.OpenStore(o.ceremonyKeys)
		if err != nil {
			return err
		}
		if err := checkCeremonyKeys(o.transcript, store); err != nil {
			return verifyError{err}
		}
		if !o.asJSON {
			fmt.Fprintln(out, "every module's keys come from a ceremony in", o.ceremonyKeys)
		}
	}
	return nil
}
