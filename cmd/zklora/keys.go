package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/zklora/zklora/net/identity"
)

type keysNewOptions struct {
	out    string
	force  bool
	asJSON bool
}

func newCmdKeys() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage TLS identities (self-signed Ed25519 certificates pinned by fingerprint)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newCmdKeysNew())
	return cmd
}

func newCmdKeysNew() *cobra.Command {
	o := &keysNewOptions{}
	cmd := &cobra.Command{
		Use:   "new --out FILE",
		Short: "Create a TLS identity and print its fingerprint (what B pins with --pin)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return keysNewRun(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.out, "out", "", "where to write the PEM certificate and private key, mode 0600 (required)")
	f.BoolVar(&o.force, "force", false, "overwrite an existing file")
	f.BoolVar(&o.asJSON, "json", false, "print JSON: path and fingerprint")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func keysNewRun(cmd *cobra.Command, o *keysNewOptions) error {
	if _, err := os.Stat(o.out); err == nil && !o.force {
		return usageError{fmt.Errorf("%s exists; pass --force to replace it", o.out)}
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	id, err := identity.New()
	if err != nil {
		return err
	}
	if err := id.Save(o.out); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if o.asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]string{"path": o.out, "fingerprint": id.Fingerprint()})
	}
	fmt.Fprintln(out, id.Fingerprint())
	return nil
}
