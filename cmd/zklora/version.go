package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func newCmdVersion() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the zklora, Go and gnark versions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info, ok := debug.ReadBuildInfo()
			if !ok {
				return fmt.Errorf("no build information in this binary")
			}
			fmt.Fprintf(cmd.OutOrStdout(), "zklora %s (%s)\n", info.Main.Version, info.GoVersion)
			for _, d := range info.Deps {
				if d.Path == "github.com/consensys/gnark" || d.Path == "github.com/consensys/gnark-crypto" {
					fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", d.Path, d.Version)
				}
			}
			return nil
		},
	}
}
