package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newAgentCmd is being built; this placeholder keeps the CLI compiling meanwhile.
func newAgentCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:  "agent",
		RunE: func(*cobra.Command, []string) error { return errors.New("agent: not built yet") },
	}
}
