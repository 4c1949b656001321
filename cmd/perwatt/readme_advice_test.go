package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEAdviceExample runs every command of the README's run-or-curtail
// section as written (paths and the rig's address pointed at a temporary
// directory and a fake rig) and finds the README's figures in the output.
func TestREADMEAdviceExample(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	i := strings.Index(readme, "## Run or curtail, live")
	if i < 0 {
		t.Fatal("README has no run-or-curtail section")
	}
	sec := readme[i:]
	sec = sec[:strings.Index(sec[3:], "\n## ")+3]
	blocks := func(lang string) []string {
		var out []string
		for _, m := range regexp.MustCompile("(?s)```"+lang+"\n(.*?)```").FindAllStringSubmatch(sec, -1) {
			out = append(out, strings.ReplaceAll(m[1], "\\\n", " "))
		}
		return out
	}
	sh, toml := blocks("sh"), blocks("toml")
	if len(sh) != 2 || len(toml) != 1 {
		t.Fatalf("want 2 sh blocks and 1 toml block, got %d and %d", len(sh), len(toml))
	}

	// The after-the-fact command, from the repository root.
	args := strings.Fields(sh[0])[1:]
	for k, a := range args {
		if strings.HasPrefix(a, "economics/") {
			args[k] = filepath.Join("..", "..", a)
		}
	}
	out, errOut, code := perwatt(t, nil, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errOut)
	}
	for _, want := range []string{"breakeven $147.10/MWh", "Value of curtailment: $6.00 over the series (4 intervals off)"} {
		if !strings.Contains(out, want) {
			t.Errorf("%q not in\n%s", want, out)
		}
	}
	out, _, _ = perwatt(t, nil, append(args, "--dr-credit", "100")...)
	if !strings.Contains(out, "Value of curtailment: $6.65 over the series (40 intervals off)") {
		t.Errorf("with --dr-credit 100:\n%s", out)
	}
	for _, fig := range []string{"**4** spike intervals", "**$6.00**", "**40** intervals", "**$6.65**", "**$6.39**", "**$6.38**"} {
		if !strings.Contains(sec, fig) {
			t.Errorf("README lost %q", fig)
		}
	}

	// The agent: the README's config against a fake rig, offline market.
	dir := t.TempDir()
	price := filepath.Join(dir, "price.json")
	site := filepath.Join(dir, "site.toml")
	cfg := strings.NewReplacer("/run/perwatt/price.json", price, "10.0.0.21:4028", serveRig(t, s21Summary)).Replace(toml[0])
	cfg += "\n[economics]\nmempool_url = \"\"\nblockchain_url = \"\"\ncache_file = \"" + filepath.Join(dir, "market.json") + "\"\n" +
		"[spool]\ndir = \"" + filepath.Join(dir, "spool") + "\"\n[collectors.nvml]\nenabled = false\n"
	if err := os.WriteFile(site, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(sh[1]), "\n")
	if len(lines) != 2 {
		t.Fatalf("agent block: %q", sh[1])
	}
	if b, err := exec.Command("sh", "-c", strings.ReplaceAll(lines[0], "/run/perwatt/price.json", price)).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", lines[0], err, b)
	}
	args = strings.Fields(strings.ReplaceAll(lines[1], "site.toml", site))[1:]
	out, errOut, code = perwatt(t, nil, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errOut)
	}
	var got []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "power_price,") || strings.HasPrefix(l, "advice,") || strings.HasPrefix(l, "advice_site,") {
			got = append(got, l)
		}
	}
	if len(got) == 0 || !strings.HasPrefix(got[0], "power_price,") {
		t.Fatalf("no power_price line:\n%s\nstderr: %s", out, errOut)
	}
	t.Logf("advice lines:\n%s", strings.Join(got, "\n"))
	if len(got) != 3 {
		t.Fatalf("want power_price, advice and advice_site lines, got %d:\n%s", len(got), strings.Join(got, "\n"))
	}
	for k, want := range [][]string{
		{"source=file", "usd_per_mwh=4500", "fallback=false"},
		{"device=rig-a", `advice="curtail"`, `reason="price"`, "breakeven_usd_per_mwh=101.09", "margin_usd_per_mwh=-4398.9", "curtail=1i", "facility_power_w=3500", "dr_credit_usd_per_h=0.35", "price_usd_per_mwh=4500"},
		{"shed_mw=0.0035", "mining_run_w=0", "devices_curtail=1i", "dr_credit_usd_per_h=0.35"},
	} {
		for _, w := range want {
			if !strings.Contains(got[k], w) {
				t.Errorf("%q not in %s", w, got[k])
			}
			if !strings.Contains(sec, w) {
				t.Errorf("README's example lines lack %q", w)
			}
		}
	}
}

// rigReading is a rig's reading as the ASIC collector hands it over.
