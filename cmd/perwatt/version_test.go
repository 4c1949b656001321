package main

import (
	"runtime/debug"
	"testing"
)

// Link-time strings never hide what the build info knows: a make-built
// binary showed "commit date -" and modified false beside a -dirty version.
func TestVersionTakesBuildInfoOverLinkFlags(t *testing.T) {
	bi := &debug.BuildInfo{Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "19035978459a0000"},
		{Key: "vcs.time", Value: "2026-11-23T04:25:27Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	v := versionFrom(bi, versionInfo{Version: "v0.3.0-12-g1903597", Commit: "1903597"})
	if v.Commit != "19035978459a0000" || v.CommitDate != "2026-11-23T04:25:27Z" || !v.Modified || v.Version != "v0.3.0-12-g1903597-dirty" {
		t.Errorf("%+v", v)
	}
	clean := &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "false"}}}
	if v := versionFrom(clean, versionInfo{Version: "v0.3.0-dirty", Modified: true}); v.Modified || v.Version != "v0.3.0" {
		t.Errorf("clean tree: %+v", v)
	}
	if v := versionFrom(nil, versionInfo{Version: "dev"}); v.Commit != "unknown" || v.Version != "dev" {
		t.Errorf("no build info: %+v", v)
	}
	// Without a VCS stamp (a git worktree, -buildvcs=false) the linked values stand.
	v = versionFrom(&debug.BuildInfo{}, versionInfo{Version: "a0dd417", Commit: "a0dd417c", CommitDate: "2026-12-05T00:58:09Z", Modified: true})
	if v.Commit != "a0dd417c" || v.CommitDate != "2026-12-05T00:58:09Z" || v.Version != "a0dd417-dirty" {
		t.Errorf("linked only: %+v", v)
	}
}
