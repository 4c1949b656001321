package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/perwatt/perwatt/internal/metric"
)

// Set at link time by the Makefile from git (-X main.version=... and so on):
// each changes only with a commit, a tag or the tree turning modified, so an
// unchanged tree is not relinked. The VCS stamp Go embeds, when it has one,
// wins over them. buildDate is left to packagers; the commit date is the
// date that identifies the source.
var (
	version    = "dev"
	commit     = ""
	commitDate = ""
	modified   = "" // "true" when the tree had local changes
	buildDate  = ""
)

type versionInfo struct {
	Version    string `json:"version"`
	Commit     string `json:"commit"`
	CommitDate string `json:"commit_date,omitempty"`
	Modified   bool   `json:"modified"`
	BuildDate  string `json:"build_date,omitempty"`
	GoVersion  string `json:"go_version"`
	Platform   string `json:"platform"`
}

func readVersion() versionInfo {
	bi, _ := debug.ReadBuildInfo()
	return versionFrom(bi, versionInfo{Version: version, Commit: commit, CommitDate: commitDate,
		Modified: modified == "true", BuildDate: buildDate})
}

// versionFrom merges the link-time strings with the build info; the build
// info wins for commit, date and modified, which it knows for certain.
func versionFrom(bi *debug.BuildInfo, linked versionInfo) versionInfo {
	v := linked
	v.GoVersion, v.Platform = runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH
	if bi != nil {
		// A pseudo-version such as v0.0.0-20261123042527-19035978459a+dirty
		// carries the commit even when VCS stamping is off.
		if parts := strings.Split(strings.TrimSuffix(bi.Main.Version, "+dirty"), "-"); len(parts) == 3 {
			v.Commit = parts[2]
			v.Modified = strings.HasSuffix(bi.Main.Version, "+dirty")
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Commit = s.Value
			case "vcs.time":
				v.CommitDate = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	// One account of local changes: the version says -dirty exactly when
	// modified is true.
	v.Version = strings.TrimSuffix(v.Version, "-dirty")
	if v.Modified {
		v.Version += "-dirty"
	}
	if v.Commit == "" {
		v.Commit = "unknown"
	}
	return v
}

func (v versionInfo) Table(w io.Writer) error {
	mod := ""
	if v.Modified {
		mod = " (modified)"
	}
	built := ""
	if v.BuildDate != "" {
		built = " " + v.BuildDate
	}
	_, err := fmt.Fprintf(w, "perwatt %s\ncommit %s%s\ncommit date %s\nbuilt%s with %s for %s\n",
		v.Version, v.Commit, mod, orDash(v.CommitDate), built, v.GoVersion, v.Platform)
	return err
}

func (v versionInfo) Points() []metric.Point {
	return []metric.Point{metric.New("perwatt_version",
		map[string]string{"version": v.Version},
		map[string]any{"commit": v.Commit, "go_version": v.GoVersion}, time.Now())}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:         "version",
		Short:       "Print version, commit and build date",
		Args:        cobra.NoArgs,
		Annotations: map[string]string{"noconfig": "true"},
		RunE:        func(*cobra.Command, []string) error { return a.render(readVersion()) },
	}
}
