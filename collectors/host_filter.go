package collectors

import (
	"fmt"
	"path"
	"strings"
)

// NameFilter picks mounts, devices or interfaces by shell glob (path.Match):
// a name is kept when it matches an Include pattern (or Include is empty)
// and no Exclude pattern.
type NameFilter struct {
	Include []string
	Exclude []string
}

// Validate reports every malformed pattern at once, naming the key.
func (f NameFilter) Validate(key string) error {
	var bad []string
	for _, p := range append(append([]string{}, f.Include...), f.Exclude...) {
		if _, err := path.Match(p, ""); err != nil {
			bad = append(bad, fmt.Sprintf("%q", p))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s: malformed glob pattern %s", key, strings.Join(bad, ", "))
	}
	return nil
}

// Keep reports whether name passes the filter.
func (f NameFilter) Keep(name string) bool {
	if len(f.Include) > 0 && !matchAny(f.Include, name) {
		return false
	}
	return !matchAny(f.Exclude, name)
}

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// DefaultFSTypesExclude are pseudo and read-only image filesystems: they
// hold no operator data, and statfs on some of them (autofs) mounts things.
func DefaultFSTypesExclude() []string {
	return []string{
		"autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs", "devpts", "devtmpfs",
		"efivarfs", "erofs", "fuse.lxcfs", "fusectl", "hugetlbfs", "iso9660", "mqueue", "nsfs", "overlay",
		"proc", "pstore", "ramfs", "rpc_pipefs", "securityfs", "selinuxfs", "squashfs", "sysfs", "tmpfs", "tracefs",
	}
}

// DefaultMountsExclude are mount points under the kernel's and container
// runtimes' own trees.
func DefaultMountsExclude() []string {
	return []string{"/dev", "/dev/*", "/proc", "/proc/*", "/sys", "/sys/*", "/run/credentials/*",
		"/var/lib/docker/*", "/var/lib/containers/storage/*", "/var/lib/kubelet/pods/*", "/snap/*"}
}

// DefaultDevicesExclude leaves out partitions (their disk is reported),
// loop, ram and zram devices, and device-mapper names with no I/O of their own.
func DefaultDevicesExclude() []string {
	return []string{"loop*", "ram*", "zram*", "fd*", "sr*",
		"sd[a-z][0-9]*", "sd[a-z][a-z][0-9]*", "vd[a-z][0-9]*", "xvd[a-z][0-9]*", "hd[a-z][0-9]*",
		"nvme*n*p*", "mmcblk*p*"}
}
