package main

import (
	"encoding/json"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/spf13/cobra"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/prover"
)

type circuitInfoOptions struct {
	shape  string
	naive  bool
	tokens int
	asJSON bool
}

func newCmdCircuit() *cobra.Command {
	cmd := &cobra.Command{Use: "circuit", Short: "Inspect the circuits zklora proves"}
	cmd.AddCommand(newCmdCircuitInfo())
	return cmd
}

func newCmdCircuitInfo() *cobra.Command {
	o := &circuitInfoOptions{}
	cmd := &cobra.Command{
		Use:   "info --shape DxRxO",
		Short: "Print a circuit's constraints, public inputs and circuit id",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return circuitInfoRun(cmd, o) },
	}
	cmd.Flags().StringVar(&o.shape, "shape", "", "module shape DxRxO, e.g. 768x8x2304 (required)")
	cmd.Flags().BoolVar(&o.naive, "naive", false, "the naive per-token baseline circuit instead of the session circuit")
	cmd.Flags().IntVar(&o.tokens, "tokens", 16, "tokens T for --naive")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("shape")
	return cmd
}

func circuitInfoRun(cmd *cobra.Command, o *circuitInfoOptions) error {
	shape, err := circuits.ParseShape(o.shape)
	if err != nil {
		return usageError{err}
	}
	var c frontend.Circuit = circuits.NewSessionCircuit(shape)
	kind, id := "session", prover.CircuitID(shape)
	if o.naive {
		if o.tokens < 1 {
			return usageError{fmt.Errorf("--tokens must be ≥ 1")}
		}
		c, kind, id = circuits.NewNaiveCircuit(shape, o.tokens), fmt.Sprintf("naive(T=%d)", o.tokens), ""
	}
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
	if err != nil {
		return err
	}
	info := struct {
		Circuit      string `json:"circuit"`
		Shape        string `json:"shape"`
		Constraints  int    `json:"constraints"`
		PublicInputs int    `json:"public_inputs"`
		CircuitID    string `json:"circuit_id"`
	}{kind, shape.String(), cs.GetNbConstraints(), cs.GetNbPublicVariables(), id}
	out := cmd.OutOrStdout()
	if o.asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	fmt.Fprintf(out, "circuit        %s\nshape          %s\nconstraints    %d\npublic_inputs  %d (including gnark's constant-one wire)\n", info.Circuit, info.Shape, info.Constraints, info.PublicInputs)
	if id != "" {
		fmt.Fprintf(out, "circuit_id     %s\n", id)
	}
	return nil
}
