package config

import (
	"strings"
	"testing"
)

// Whatever the file holds, Parse returns a config or located problems; it
// never panics, and every problem names the file.
func FuzzParse(f *testing.F) {
	f.Add([]byte("[agent]\ninterval = \"10s\"\n"))
	f.Add([]byte("[agent]\ninterval = 1\nbatch_size = \"x\"\n[tags]\nsite = 7\n"))
	f.Add([]byte("[[collectors.asic.rigs]]\naddress = [1, 2]\n[economics.lease_rates]\nH100 = {a = 1}\n"))
	f.Add([]byte("[economics]\npower_price_usd_per_kwh = nan\npue = -inf\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "f.toml", noenv, Kernels("generic"))
		if err == nil {
			if cfg == nil {
				t.Fatal("nil config without error")
			}
			return
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if !strings.HasPrefix(line, "f.toml") {
				t.Fatalf("problem without the file: %q", line)
			}
		}
	})
}
