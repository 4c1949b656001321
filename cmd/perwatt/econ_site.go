package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newEconSiteCmd(a *app, mf *marketFlags) *cobra.Command {
	return &cobra.Command{Use: "site", RunE: func(*cobra.Command, []string) error { return errors.New("not built yet") }}
}

func newEconCurtailCmd(a *app, mf *marketFlags) *cobra.Command {
	return &cobra.Command{Use: "curtail", RunE: func(*cobra.Command, []string) error { return errors.New("not built yet") }}
}

func newEconProjectCmd(a *app, mf *marketFlags) *cobra.Command {
	return &cobra.Command{Use: "project", RunE: func(*cobra.Command, []string) error { return errors.New("not built yet") }}
}
