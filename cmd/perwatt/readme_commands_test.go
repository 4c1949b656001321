package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeCommand is one `perwatt …` line of a fenced block in README.md.
type readmeCommand struct {
	line int      // where it starts in README.md
	args []string // after "perwatt"
	jq   bool     // piped into jq: the output must be JSON
}

var exampleMarker = regexp.MustCompile(`^<!--\s*example:\s*(.*?)\s*-->$`)

// readmeCommands extracts every perwatt command from the fenced blocks of
// readme. A block preceded by `<!-- example: REASON -->` is exempt; the
// reason is required and returned, so no block is skipped silently.
func readmeCommands(t *testing.T, readme string) (cmds []readmeCommand, exempt map[int]string) {
	t.Helper()
	exempt = map[int]string{}
	lines := strings.Split(readme, "\n")
	inBlock, skip := false, false
	prev := ""
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "```") {
			if !inBlock {
				inBlock, skip = true, false
				if m := exampleMarker.FindStringSubmatch(prev); m != nil {
					if m[1] == "" {
						t.Errorf("README.md:%d: an exempt block must say why", i)
					}
					skip, exempt[i+1] = true, m[1]
				}
			} else {
				inBlock = false
			}
			continue
		}
		if strings.TrimSpace(l) != "" {
			prev = strings.TrimSpace(l)
		}
		if !inBlock || skip || !strings.HasPrefix(l, "perwatt ") {
			continue
		}
		start := i + 1
		for strings.HasSuffix(l, "\\") && i+1 < len(lines) {
			i++
			l = strings.TrimSuffix(l, "\\") + " " + strings.TrimSpace(lines[i])
		}
		words, err := shellWords(l)
		if err != nil {
			t.Errorf("README.md:%d: %v", start, err)
			continue
		}
		c := readmeCommand{line: start}
		for k, w := range words {
			if w == "|" {
				c.jq = k+1 < len(words) && words[k+1] == "jq"
				words = words[:k]
				break
			}
		}
		c.args = words[1:]
		cmds = append(cmds, c)
	}
	return cmds, exempt
}

// shellWords splits a command line as sh would for these simple examples:
// quotes group, a word starting with # begins a comment, | is its own word.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case r == '#' && !inWord:
			return words, nil
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, &os.PathError{Op: "parse", Path: s, Err: os.ErrInvalid}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// TestREADMECommandsRun runs every perwatt command shown in README.md's
// fenced blocks, in-process, from a directory that looks like the
// repository root (so relative paths resolve and written files land in a
// temporary directory). The config points market data at no live source and
// the ASIC rig at a fake; benchmarks are shortened by appending
// --duration 200ms --warmup 0s --window 100ms --yardstick 0s (the last value
// of a flag wins), which changes how long they measure, not what they do.
func TestREADMECommandsRun(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	cmds, exempt := readmeCommands(t, string(raw))
	if len(cmds) < 10 {
		t.Fatalf("found only %d commands in README.md", len(cmds))
	}
	for line, why := range exempt {
		t.Logf("README.md:%d: block exempt: %s", line, why)
	}

	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.Symlink(filepath.Join(root, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	state := t.TempDir()
	cfg := filepath.Join(state, "perwatt.toml")
	body := strings.Join([]string{
		"[spool]", `dir = "` + filepath.Join(state, "spool") + `"`,
		"[collectors.rapl]", `sysfs_root = "` + filepath.Join(state, "nopowercap") + `"`,
		"[collectors.asic]", `timeout = "2s"`,
		"[[collectors.asic.rigs]]", `address = "` + serveRig(t, s21Summary) + `"`, `name = "s21-a"`,
		"[economics]", `mempool_url = ""`, `blockchain_url = ""`, `cache_file = "` + filepath.Join(state, "market.json") + `"`,
		"",
	}, "\n")
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PERWATT_CONFIG": cfg}
	t.Chdir(dir)

	for _, c := range cmds {
		args := c.args
		if len(args) >= 2 && args[0] == "bench" && args[1] == "sha256" && !strings.Contains(strings.Join(args, " "), "--list-kernels") {
			args = append(append([]string{}, args...), "--duration", "200ms", "--warmup", "0s", "--window", "100ms", "--yardstick", "0s")
		}
		out, errOut, code := perwatt(t, env, args...)
		if code != exitOK {
			t.Errorf("README.md:%d: perwatt %s: exit %d\n%s", c.line, strings.Join(c.args, " "), code, errOut)
			continue
		}
		if c.jq && !json.Valid([]byte(out)) {
			t.Errorf("README.md:%d: perwatt %s: output piped to jq is not JSON", c.line, strings.Join(c.args, " "))
		}
	}
}

func TestReadmeCommandsExtraction(t *testing.T) {
	doc := "text perwatt version\n" +
		"```sh\nperwatt econ --offline   # a comment\nperwatt econ --json | jq '.x'\nperwatt econ --difficulty 1e14 \\\n  --btc-price 100000\nmake run\n```\n" +
		"<!-- example: needs a GPU -->\n```\nperwatt bench gpu\n```\n" +
		"```toml\n# perwatt config check FILE\n```\n"
	cmds, exempt := readmeCommands(t, doc)
	want := [][]string{{"econ", "--offline"}, {"econ", "--json"}, {"econ", "--difficulty", "1e14", "--btc-price", "100000"}}
	if len(cmds) != len(want) {
		t.Fatalf("commands %+v", cmds)
	}
	for i, w := range want {
		if strings.Join(cmds[i].args, " ") != strings.Join(w, " ") {
			t.Errorf("command %d: %q, want %q", i, cmds[i].args, w)
		}
	}
	if !cmds[1].jq || cmds[0].jq || cmds[2].line != 5 {
		t.Errorf("jq/line: %+v", cmds)
	}
	if len(exempt) != 1 || exempt[10] != "needs a GPU" {
		t.Errorf("exempt %v", exempt)
	}
}
