package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/zklora/zklora/bench"
)

type benchOptions struct {
	suite     string
	backend   string
	quick     bool
	scenarios string
	jsonPath  string
	mdPath    string
	plotsDir  string
	budget    time.Duration
	quiet     bool
	from      string
}

func newCmdBench() *cobra.Command {
	o := &benchOptions{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Run the proof-throughput benchmark suite (msm, ntt, matmul, prove, verify, e2e)",
		Long: `Run the proof-throughput benchmark suite and report JSON, Markdown and PNG plots.

Suites: msm, ntt, matmul, prove, verify, e2e (comma-separated, or all).
--quick runs a small table (the 768x8x2304 headline shape, kernels up to
2^16, the naive baseline under a dummy key) in under two minutes on a
2-core machine; without it the full table runs (every module shape up to
Llama-3.3-70B's 8192x16x8192, kernels up to 2^22), which takes a long time.
The gpu backend reports rows as unavailable on a build without GPU support.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return benchRun(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.suite, "suite", "all", "suites to run: msm, ntt, matmul, prove, verify, e2e, comma-separated, or all")
	f.StringVar(&o.backend, "backend", "cpu", "compute backend: cpu or gpu")
	f.BoolVar(&o.quick, "quick", false, "run the quick table (under two minutes)")
	f.StringVar(&o.scenarios, "scenarios", "", "scenario table: smoke, quick or full (overrides --quick)")
	_ = f.MarkHidden("scenarios")
	f.StringVar(&o.jsonPath, "json", "", "write the JSON report to this file")
	f.StringVar(&o.mdPath, "md", "", "write the Markdown report to this file (default: print it)")
	f.StringVar(&o.plotsDir, "plots", "", "write PNG plots into this directory")
	f.DurationVar(&o.budget, "budget", 0, "skip the remaining prove rows once the run has taken this long (0: no limit)")
	f.BoolVar(&o.quiet, "quiet", false, "no progress lines on stderr")
	f.StringVar(&o.from, "from", "", "run nothing: render the Markdown and plots of this JSON report")
	return cmd
}

func benchRun(cmd *cobra.Command, o *benchOptions) error {
	suites, err := bench.ParseSuites(o.suite)
	if err != nil {
		return usageError{err}
	}
	if o.backend != bench.CPU && o.backend != bench.GPU {
		return usageError{fmt.Errorf("--backend %q: want cpu or gpu", o.backend)}
	}
	name := o.scenarios
	if name == "" {
		name = "full"
		if o.quick {
			name = "quick"
		}
	}
	sc, err := bench.ScenariosByName(name)
	if err != nil {
		return usageError{err}
	}
	var rep *bench.Report
	if o.from != "" {
		rep, err = bench.ReadJSON(o.from)
	} else {
		cfg := bench.Config{Suites: suites, Backend: o.backend, Scenarios: sc, Budget: o.budget}
		if !o.quiet {
			cfg.Log = cmd.ErrOrStderr()
		}
		rep, err = bench.Run(context.Background(), cfg)
	}
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if o.jsonPath != "" && o.from == "" {
		if err := bench.WriteJSON(o.jsonPath, rep); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote %s\n", o.jsonPath)
	}
	if o.mdPath != "" {
		if err := bench.WriteMarkdownFile(o.mdPath, rep); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote %s\n", o.mdPath)
	} else if err := bench.WriteMarkdown(out, rep); err != nil {
		return err
	}
	if o.plotsDir != "" {
		paths, err := bench.WritePlots(o.plotsDir, rep)
		if err != nil {
			return err
		}
		for _, p := range paths {
			fmt.Fprintf(out, "wrote %s\n", p)
		}
	}
	return nil
}
