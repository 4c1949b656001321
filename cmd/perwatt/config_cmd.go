package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/perwatt/perwatt/internal/config"
)

func newConfigCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Work with configuration files",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "check FILE",
		Short: "Validate a config file; reports every problem with its key and line",
		Long: `Validate a config file. Every problem is reported with its file, line and
key; unknown keys are errors. Exit status 1 when the file is not valid.
The InfluxDB token, and a password written into influx.url, are never printed.`,
		Args:        cobra.ExactArgs(1),
		Annotations: map[string]string{"noconfig": "true"},
		RunE: func(_ *cobra.Command, args []string) error {
			cfg, err := a.loadConfig(args[0])
			if err != nil {
				var n int
				if j, ok := err.(interface{ Unwrap() []error }); ok {
					for _, e := range j.Unwrap() {
						fmt.Fprintln(a.stderr, e)
						n++
					}
				} else {
					fmt.Fprintln(a.stderr, err)
					n = 1
				}
				return fmt.Errorf("%s: %d problem(s)", args[0], n)
			}
			// A password written into the URL is a secret like the token.
			shown := *cfg
			shown.Influx.URL = redactURL(cfg.Influx.URL)
			return a.render(configReport{File: args[0], Valid: true, Config: &shown})
		},
	})
	return cmd
}

type configReport struct {
	File   string         `json:"file"`
	Valid  bool           `json:"valid"`
	Config *config.Config `json:"config"`
}

func (r configReport) Table(w io.Writer) error {
	c := r.Config
	dest := "output " + c.Agent.Output
	if c.InfluxEnabled() {
		dest = "InfluxDB " + c.Influx.URL + " bucket " + c.Influx.Bucket
		if c.Influx.Token != "" {
			dest += " (token set)"
		} else {
			dest += " (no token)"
		}
	}
	_, err := fmt.Fprintf(w, "%s: valid\n  points go to %s\n  spool %s (sync %s, max %d bytes)\n  %d ASIC rig(s) configured\n",
		r.File, dest, c.Spool.Dir, c.Spool.Sync, c.Spool.MaxBytes, len(c.Collectors.ASIC.Rigs))
	return err
}
