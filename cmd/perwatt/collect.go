package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newCollectCmd is being built; this placeholder keeps the CLI compiling meanwhile.
func newCollectCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:  "collect",
		RunE: func(*cobra.Command, []string) error { return errors.New("collect: not built yet") },
	}
}
