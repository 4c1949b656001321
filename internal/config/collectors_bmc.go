package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path"
	"strings"
)

// IPMICollector reads DCMI power from the BMC: in-band through Device when
// Address is empty, else over the network (RMCP+ "lanplus", or "lan" for
// IPMI 1.5 BMCs) with Username and a password from PERWATT_IPMI_PASSWORD or
// PasswordFile. A host without a BMC device is reported once, not an error.
type IPMICollector struct {
	Enabled      bool     `toml:"enabled" json:"enabled"`
	Interval     Duration `toml:"interval" json:"interval"`
	Address      string   `toml:"address" json:"address"`
	Device       string   `toml:"device" json:"device"`
	Interface    string   `toml:"interface" json:"interface"`
	Username     string   `toml:"username" json:"username"`
	PasswordFile string   `toml:"password_file" json:"password_file"`
	CipherSuite  int      `toml:"cipher_suite" json:"cipher_suite"`
	Timeout      Duration `toml:"timeout" json:"timeout"`

	Password Secret `toml:"-" json:"password,omitempty"`
}

// RedfishCollector reads chassis and power-supply power over Redfish. TLS
// is verified unless InsecureSkipVerify; the password comes from
// PERWATT_REDFISH_PASSWORD or PasswordFile.
type RedfishCollector struct {
	Enabled            bool     `toml:"enabled" json:"enabled"`
	Interval           Duration `toml:"interval" json:"interval"`
	URL                string   `toml:"url" json:"url"`
	Username           string   `toml:"username" json:"username"`
	PasswordFile       string   `toml:"password_file" json:"password_file"`
	Auth               string   `toml:"auth" json:"auth"`
	TLSCA              string   `toml:"tls_ca" json:"tls_ca"`
	InsecureSkipVerify bool     `toml:"insecure_skip_verify" json:"insecure_skip_verify"`
	Timeout            Duration `toml:"timeout" json:"timeout"`

	Password Secret `toml:"-" json:"password,omitempty"`
}

// Prometheus is the agent's optional /metrics endpoint: off unless Listen
// is set, and meant for loopback (a non-loopback address is warned about).
// Series not refreshed for StaleAfter are dropped (a rig that left).
type Prometheus struct {
	Listen     string   `toml:"listen" json:"listen"`
	StaleAfter Duration `toml:"stale_after" json:"stale_after"`
}

// applyBMCSecrets reads the BMC passwords: the environment first, then the
// file named in the config. The file's path may be shown; its content never.
func (c *Config) applyBMCSecrets(getenv func(string) string) error {
	for _, s := range []struct {
		env, key, file string
		dst            *Secret
	}{
		{"PERWATT_IPMI_PASSWORD", "collectors.ipmi.password_file", c.Collectors.IPMI.PasswordFile, &c.Collectors.IPMI.Password},
		{"PERWATT_REDFISH_PASSWORD", "collectors.redfish.password_file", c.Collectors.Redfish.PasswordFile, &c.Collectors.Redfish.Password},
	} {
		if v := getenv(s.env); v != "" {
			*s.dst = Secret(v)
			continue
		}
		if s.file == "" {
			continue
		}
		b, err := os.ReadFile(s.file)
		if err != nil {
			return fmt.Errorf("config: %s: %w", s.key, err)
		}
		*s.dst = Secret(strings.TrimRight(string(b), "\r\n"))
	}
	return nil
}

func (c *Config) validateHostAndBMC() []Problem {
	var ps []Problem
	bad := func(key, format string, args ...any) {
		ps = append(ps, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	h := c.Collectors.Host
	if h.SlowInterval < 0 {
		bad("collectors.host.slow_interval", "must not be negative, got %s", h.SlowInterval.D())
	}
	for key, globs := range map[string][]string{
		"mount_points_include": h.MountPointsInclude, "mount_points_exclude": h.MountPointsExclude,
		"fs_types_exclude": h.FSTypesExclude, "devices_include": h.DevicesInclude, "devices_exclude": h.DevicesExclude,
		"interfaces_include": h.InterfacesInclude, "interfaces_exclude": h.InterfacesExclude,
	} {
		for _, g := range globs {
			if _, err := path.Match(g, ""); err != nil {
				bad("collectors.host."+key, "malformed glob pattern %q", g)
			}
		}
	}

	if l := c.Prometheus.Listen; l != "" {
		if _, _, err := net.SplitHostPort(l); err != nil {
			bad("prometheus.listen", "want host:port such as 127.0.0.1:9273: %v", err)
		}
	}
	if c.Prometheus.StaleAfter < 0 {
		bad("prometheus.stale_after", "must not be negative, got %s", c.Prometheus.StaleAfter.D())
	}

	ip := c.Collectors.IPMI
	if ip.Interval < 0 {
		bad("collectors.ipmi.interval", "must not be negative, got %s", ip.Interval.D())
	}
	if ip.Timeout.D() <= 0 {
		bad("collectors.ipmi.timeout", "must be a positive duration, got %s", ip.Timeout.D())
	}
	if ip.Address != "" {
		if _, _, err := net.SplitHostPort(ip.Address); err != nil {
			bad("collectors.ipmi.address", "want host:port such as 10.0.0.5:623, got %q", ip.Address)
		}
		if ip.Username == "" {
			bad("collectors.ipmi.username", "required with collectors.ipmi.address (the password comes from PERWATT_IPMI_PASSWORD or collectors.ipmi.password_file)")
		}
	}
	if ip.CipherSuite < 0 || ip.CipherSuite > 17 {
		bad("collectors.ipmi.cipher_suite", "want 0 (ask the BMC) or an RMCP+ cipher suite 1-17 (ipmitool -C), got %d", ip.CipherSuite)
	}
	switch ip.Interface {
	case "lanplus", "lan":
	default:
		bad("collectors.ipmi.interface", "want \"lanplus\" (IPMI 2.0) or \"lan\" (IPMI 1.5), got %q", ip.Interface)
	}

	rf := c.Collectors.Redfish
	if rf.Interval < 0 {
		bad("collectors.redfish.interval", "must not be negative, got %s", rf.Interval.D())
	}
	if rf.Timeout.D() <= 0 {
		bad("collectors.redfish.timeout", "must be a positive duration, got %s", rf.Timeout.D())
	}
	switch rf.Auth {
	case "session", "basic":
	default:
		bad("collectors.redfish.auth", "want \"session\" or \"basic\", got %q", rf.Auth)
	}
	if rf.Enabled || rf.URL != "" {
		u, err := url.Parse(rf.URL)
		switch {
		case rf.URL == "":
			bad("collectors.redfish.url", "required when collectors.redfish is enabled (the BMC, e.g. https://10.0.0.5)")
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
			bad("collectors.redfish.url", "want https://host[:port], got %q", redact(rf.URL))
		case u.User != nil:
			bad("collectors.redfish.url", "must not carry credentials (use collectors.redfish.username and PERWATT_REDFISH_PASSWORD or password_file), got %q", u.Redacted())
		}
		if rf.Username == "" {
			bad("collectors.redfish.username", "required when collectors.redfish is enabled")
		}
	}
	return ps
}

// redact hides a password written into a URL that does not parse.
func redact(raw string) string {
	if i := strings.LastIndexByte(raw, '@'); i >= 0 {
		return "…@" + raw[i+1:]
	}
	return raw
}
