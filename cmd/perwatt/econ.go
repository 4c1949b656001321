package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newEconCmd is being built; this placeholder keeps the CLI compiling meanwhile.
func newEconCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:  "econ",
		RunE: func(*cobra.Command, []string) error { return errors.New("econ: not built yet") },
	}
}
