package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newBenchSHA256Cmd is being built; this placeholder keeps the CLI compiling meanwhile.
func newBenchSHA256Cmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:  "sha256",
		RunE: func(*cobra.Command, []string) error { return errors.New("sha256: not built yet") },
	}
}
