package main

import (
	"fmt"
	"io"
	"os"

	"github.com/consensys/gnark/logger"

	"github.com/spf13/cobra"
)

// newRootCmd builds the command tree. Each command lives in its own file as
// an options struct, a NewCmdX constructor and an xRun function.
func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "zklora",
		Short:         "Verifiable LoRA inference: serve, prove and verify LoRA contributions with zk-SNARKs",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		newCmdBench(),
		newCmdCircuit(),
		newCmdDemo(),
		newCmdDoctor(),
		newCmdFixture(),
		newCmdInfer(),
		newCmdKeys(),
		newCmdModel(),
		newCmdProve(),
		newCmdServe(),
		newCmdSetup(),
		newCmdVerify(),
		newCmdVersion(),
		newCmdWorker(),
	)
	return root
}

// run executes the CLI and maps errors to exit codes in one place.
func run(args []string, stdout, stderr io.Writer) int {
	if os.Getenv("ZKLORA_DEBUG") == "" {
		logger.Disable() // gnark's own progress logging; zklora reports progress itself
	}
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "zklora: %s\n", oneLine(err))
	return exitCode(err)
}
