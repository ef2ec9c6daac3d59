package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/ceremony"
	"github.com/zklora/zklora/engine/fsutil"
	"github.com/zklora/zklora/engine/prover"
)

const setupLong = `Run the Groth16 setup ceremony of one circuit shape (DESIGN §3) with
gnark's mpcsetup, so that no single party can forge proofs: B contributes
(soundness for B) and A contributes (zero knowledge for A's weights).

The ceremony is one transcript file passed between the parties; every step
reads a transcript and writes a new one:

  zklora setup init --shape 768x8x2304 --out DIR        # DIR/ceremony-768x8x2304.phase1
  zklora setup contribute --in T --out T.a              # A, phase 1
  zklora setup contribute --in T.a --out T.ab [--beacon HEX] # B, phase 1
  zklora setup phase2 --in T.ab --out P2 [--beacon HEX] # seal phase 1, start phase 2
  zklora setup contribute --in P2 --out P2.a            # A, phase 2
  zklora setup contribute --in P2.a --out P2.ab         # B, phase 2
  zklora setup verify --in P2.ab                        # each party, before trusting it
  zklora setup finalize --in P2.ab [--beacon HEX] --keys KEYDIR

finalize verifies the whole transcript, writes the ceremony keys into the key
store KEYDIR (with the final transcript under KEYDIR/ceremonies/), and prints
the circuit id, the vk fingerprint and the ceremony hash. Phase 1 depends only
on the circuit's domain size; phase 2 on the circuit. Contributions take their
entropy from crypto/rand, to which 'contribute --beacon' adds entropy of the
contributor's own; the optional beacons of 'phase2' and 'finalize' are public
values fixed after the last contribution of their phase. Each party passes the contribution
hashes that 'contribute' printed to 'verify --contains' (or 'finalize
--contains') to check that its own contributions are in the transcript.`

func newCmdSetup() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Run a multi-party Groth16 setup ceremony for a circuit shape",
		Long:  setupLong,
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newCmdSetupInit(), newCmdSetupContribute(), newCmdSetupPhase2(),
		newCmdSetupVerify(), newCmdSetupFinalize())
	return cmd
}

// setupResult is what the setup commands print.
type setupResult struct {
	File          string  `json:"file,omitempty"`
	Shape         string  `json:"shape"`
	CircuitID     string  `json:"circuit_id"`
	Domain        uint64  `json:"domain"`
	Phase         string  `json:"phase"`
	Phase1        int     `json:"phase1_contributions"`
	Phase2        int     `json:"phase2_contributions"`
	Contribution  string  `json:"contribution,omitempty"`
	Verified      bool    `json:"verified,omitempty"`
	KeyMode       string  `json:"key_mode,omitempty"`
	VKFingerprint string  `json:"vk_fingerprint,omitempty"`
	CeremonyHash  string  `json:"ceremony_hash,omitempty"`
	TranscriptSHA string  `json:"transcript_hash"`
	Keys          string  `json:"keys,omitempty"`
	Bytes         int64   `json:"bytes,omitempty"`
	Seconds       float64 `json:"seconds"`
}

func newSetupResult(t *ceremony.Transcript, start time.Time) *setupResult {
	r := &setupResult{
		Shape:         t.Shape.String(),
		CircuitID:     prover.CircuitID(t.Shape),
		Domain:        t.Domain,
		Phase:         t.Phase.String(),
		Phase1:        len(t.Phase1),
		Phase2:        len(t.Phase2),
		TranscriptSHA: t.Hash(),
		Seconds:       time.Since(start).Seconds(),
	}
	if t.Phase == ceremony.PhaseFinal {
		r.VKFingerprint = hex.EncodeToString(t.VKFingerprint[:])
		r.CeremonyHash = t.Hash()
	}
	return r
}

func printSetup(w io.Writer, r *setupResult, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Fprintf(w, "shape %s  circuit %s  domain %d\n", r.Shape, r.CircuitID, r.Domain)
	fmt.Fprintf(w, "phase %s: %d phase-1 and %d phase-2 contributions\n", r.Phase, r.Phase1, r.Phase2)
	if r.Contribution != "" {
		fmt.Fprintf(w, "contribution %s\n", r.Contribution)
	}
	if r.Verified {
		fmt.Fprintln(w, "transcript verified")
	}
	if r.VKFingerprint != "" {
		fmt.Fprintf(w, "key mode ceremony\nvk fingerprint %s\nceremony hash %s\n", r.VKFingerprint, r.CeremonyHash)
	}
	if r.Keys != "" {
		fmt.Fprintf(w, "keys in %s\n", r.Keys)
	}
	if r.File != "" {
		fmt.Fprintf(w, "wrote %s (%d bytes) in %.1f s\n", r.File, r.Bytes, r.Seconds)
	} else {
		fmt.Fprintf(w, "took %.1f s\n", r.Seconds)
	}
	return nil
}

// writeTranscript writes t to path crash-safe and returns its size.
func writeTranscript(path string, t *ceremony.Transcript) (int64, error) {
	var n int64
	err := fsutil.WriteFileAtomic(path, 0o644, func(w io.Writer) error {
		var err error
		n, err = t.WriteTo(w)
		return err
	})
	return n, err
}

// refuseOverwrite refuses to replace the input transcript or an existing
// file without --force.
func refuseOverwrite(in, out string, force bool) error {
	if a, err := filepath.Abs(in); err == nil {
		if b, err := filepath.Abs(out); err == nil && a == b {
			return usageError{errors.New("--out must differ from --in: keep every transcript")}
		}
	}
	if _, err := os.Stat(out); err == nil && !force {
		return usageError{fmt.Errorf("%s exists; pass --force to replace it", out)}
	}
	return nil
}

func parseBeacon(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, usageError{fmt.Errorf("--beacon: not hex: %w", err)}
	}
	if len(b) > ceremony.MaxBeacon {
		return nil, usageError{fmt.Errorf("--beacon: %d bytes, at most %d", len(b), ceremony.MaxBeacon)}
	}
	return b, nil
}

// verifyFailure marks errors about a transcript's content as a rejection.
func verifyFailure(err error) error {
	if errors.Is(err, ceremony.ErrInvalid) {
		return verifyError{err}
	}
	return err
}

func newCmdSetupInit() *cobra.Command {
	var shape, out string
	var force, asJSON bool
	cmd := &cobra.Command{
		Use:   "init --shape DxRxO --out DIR",
		Short: "Start a ceremony: write DIR/ceremony-<shape>.phase1, a phase-1 transcript without contributions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			s, err := circuits.ParseShape(shape)
			if err != nil {
				return usageError{err}
			}
			t, err := ceremony.Init(s)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			path := filepath.Join(out, "ceremony-"+s.String()+".phase1")
			if _, err := os.Stat(path); err == nil && !force {
				return usageError{fmt.Errorf("%s exists; pass --force to replace it", path)}
			}
			n, err := writeTranscript(path, t)
			if err != nil {
				return err
			}
			r := newSetupResult(t, start)
			r.File, r.Bytes = path, n
			return printSetup(cmd.OutOrStdout(), r, asJSON)
		},
	}
	f := cmd.Flags()
	f.StringVar(&shape, "shape", "", "circuit shape DxRxO (required)")
	f.StringVar(&out, "out", "", "directory for the transcript (required)")
	f.BoolVar(&force, "force", false, "overwrite an existing transcript")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("shape")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func newCmdSetupContribute() *cobra.Command {
	var in, out, beacon string
	var force, asJSON bool
	cmd := &cobra.Command{
		Use:   "contribute --in FILE --out FILE [--beacon HEX]",
		Short: "Add a contribution (fresh crypto/rand entropy) to the transcript's current phase",
		Long: `Add a contribution to the current phase (1 or 2) of the transcript in --in and
write the result to --out. It builds on the last recorded state without
re-verifying the chain: run 'zklora setup verify' first if you do not trust
the previous contributors. The printed contribution hash identifies yours in
the transcript.

The secret values come from crypto/rand; --beacon mixes in entropy of your
own (dice rolls, a public randomness beacon), hashed to the field together
with 32 bytes of crypto/rand: it adds to the machine's randomness, it never
replaces it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			if err := refuseOverwrite(in, out, force); err != nil {
				return err
			}
			b, err := parseBeacon(beacon)
			if err != nil {
				return err
			}
			t, err := ceremony.ReadFile(in)
			if err != nil {
				return err
			}
			c, err := t.ContributeWith(b)
			if err != nil {
				return err
			}
			n, err := writeTranscript(out, t)
			if err != nil {
				return err
			}
			r := newSetupResult(t, start)
			r.File, r.Bytes, r.Contribution = out, n, c.HashHex()
			return printSetup(cmd.OutOrStdout(), r, asJSON)
		},
	}
	f := cmd.Flags()
	f.StringVar(&in, "in", "", "transcript to contribute to (required)")
	f.StringVar(&out, "out", "", "where to write the new transcript (required)")
	f.StringVar(&beacon, "beacon", "", "extra entropy (hex) mixed into this contribution's crypto/rand entropy")
	f.BoolVar(&force, "force", false, "overwrite an existing --out")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("in")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func newCmdSetupPhase2() *cobra.Command {
	var in, out, beacon string
	var force, asJSON bool
	cmd := &cobra.Command{
		Use:   "phase2 --in FILE --out FILE [--beacon HEX]",
		Short: "Verify and seal phase 1, and start phase 2 for the shape's circuit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			if err := refuseOverwrite(in, out, force); err != nil {
				return err
			}
			b, err := parseBeacon(beacon)
			if err != nil {
				return err
			}
			t, err := ceremony.ReadFile(in)
			if err != nil {
				return err
			}
			if err := t.StartPhase2(b); err != nil {
				return verifyFailure(err)
			}
			n, err := writeTranscript(out, t)
			if err != nil {
				return err
			}
			r := newSetupResult(t, start)
			r.File, r.Bytes, r.Verified = out, n, true
			return printSetup(cmd.OutOrStdout(), r, asJSON)
		},
	}
	f := cmd.Flags()
	f.StringVar(&in, "in", "", "phase-1 transcript (required)")
	f.StringVar(&out, "out", "", "where to write the phase-2 transcript (required)")
	f.StringVar(&beacon, "beacon", "", "public beacon (hex) that seals phase 1, fixed after its last contribution")
	f.BoolVar(&force, "force", false, "overwrite an existing --out")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("in")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// checkContains checks that each of the party's own contribution hashes
// is in the transcript.
func checkContains(t *ceremony.Transcript, hashes []string) error {
	for _, h := range hashes {
		if !t.Contains(h) {
			return verifyError{fmt.Errorf("the transcript does not contain contribution %s", h)}
		}
	}
	return nil
}

func newCmdSetupVerify() *cobra.Command {
	var in string
	var contains []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify --in FILE",
		Short: "Verify every contribution of a transcript (exit 3 if any is invalid)",
		Long: `Verify every contribution of the transcript with mpcsetup's checks, that the
initial phase-2 state follows from phase 1 and the circuit, and, for a final
transcript, that it determines the recorded verifying key. Exit status 3
means the transcript was checked and rejected.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			t, err := ceremony.ReadFile(in)
			if err != nil {
				return err
			}
			if err := checkContains(t, contains); err != nil {
				return err
			}
			if _, err := t.Verify(); err != nil {
				return verifyFailure(err)
			}
			r := newSetupResult(t, start)
			r.Verified = true
			if t.Phase == ceremony.PhaseFinal {
				r.KeyMode = string(prover.KeyModeCeremony)
			}
			return printSetup(cmd.OutOrStdout(), r, asJSON)
		},
	}
	f := cmd.Flags()
	f.StringVar(&in, "in", "", "transcript to verify (required)")
	f.StringSliceVar(&contains, "contains", nil, "contribution hash (hex) that must be in the transcript, e.g. your own; repeatable")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("in")
	return cmd
}

func newCmdSetupFinalize() *cobra.Command {
	var in, out, beacon, keysDir string
	var contains []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "finalize --in FILE [--beacon HEX] --keys DIR",
		Short: "Verify the transcript, seal phase 2 and store the ceremony keys",
		Long: `Verify the whole phase-2 transcript, seal it with the optional public beacon,
and save the proving and verifying keys (key mode "ceremony") into the key
store DIR, with the final transcript under DIR/ceremonies/ (and in --out if
given). Prints the circuit id, the vk fingerprint and the ceremony hash (the
SHA-256 of the final transcript), which go into adapter manifests.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			b, err := parseBeacon(beacon)
			if err != nil {
				return err
			}
			t, err := ceremony.ReadFile(in)
			if err != nil {
				return err
			}
			if err := checkContains(t, contains); err != nil {
				return err
			}
			keys, err := t.Finalize(b)
			if err != nil {
				return verifyFailure(err)
			}
			store, err := prover.OpenStore(keysDir)
			if err != nil {
				return err
			}
			if err := ceremony.SaveToStore(store, t, keys); err != nil {
				return err
			}
			r := newSetupResult(t, start)
			r.Verified, r.KeyMode, r.Keys = true, string(keys.Mode), store.Path(t.Shape)
			if out != "" {
				n, err := writeTranscript(out, t)
				if err != nil {
					return err
				}
				r.File, r.Bytes = out, n
			}
			r.Seconds = time.Since(start).Seconds()
			return printSetup(cmd.OutOrStdout(), r, asJSON)
		},
	}
	f := cmd.Flags()
	f.StringVar(&in, "in", "", "phase-2 transcript (required)")
	f.StringVar(&beacon, "beacon", "", "public beacon (hex) that seals phase 2, fixed after its last contribution")
	f.StringVar(&keysDir, "keys", "", "key store directory (required)")
	f.StringVar(&out, "out", "", "also write the final transcript here")
	f.StringSliceVar(&contains, "contains", nil, "contribution hash (hex) that must be in the transcript, e.g. your own; repeatable")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("in")
	_ = cmd.MarkFlagRequired("keys")
	return cmd
}
