package economics

import "testing"

func TestSourceTokenIsShortAndStable(t *testing.T) {
	for in, want := range map[string]string{
		"offline snapshot: retarget at block 891,072 on 2025-04-05 (difficulty as set; BTC/USD and 144-block fees approximate)": "offline_snapshot",
		"mempool.space":                          "mempool.space",
		"cache of mempool.space (difficulty 3d)": "cache_of_mempool.space",
		"command line":                           "command_line",
		"":                                       "unknown",
	} {
		if got := SourceToken(in); got != want {
			t.Errorf("SourceToken(%q) = %q, want %q", in, got, want)
		}
	}
}
