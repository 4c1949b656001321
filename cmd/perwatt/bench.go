package main

import (
	"github.com/spf13/cobra"
)

func newBenchCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure hashing and GPU capacity with the power drawn meanwhile",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newBenchSHA256Cmd(a), newBenchGPUCmd(a), newBenchAllCmd(a))
	return cmd
}
