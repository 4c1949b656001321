#!/usr/bin/env bash
# Measures what the first build costs a new user: `go build ./cmd/perwatt`
# from an empty build cache (every dependency compiled, go-nvml's cgo
# included), once with Go's default CGO_CFLAGS and once with the Makefile's,
# printing the wall time and how many lines gcc printed; then the cost of a
# second `make build` with nothing changed. The module cache is kept (no
# downloads are timed). Figures in README.md ("Set up") come from this.
#   scripts/first-build.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/perwatt-first-build.XXXXXX")
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

measure() { # label, CGO_CFLAGS
  local cache="$tmp/cache-$1" start end
  start=$(date +%s.%N)
  GOCACHE="$cache" CGO_CFLAGS="$2" go build -o "$tmp/perwatt" ./cmd/perwatt >"$tmp/out-$1" 2>&1
  end=$(date +%s.%N)
  printf '%-28s %6.1f s wall, %3d lines of compiler output (%d warnings); load %s\n' \
    "$1" "$(awk "BEGIN{print $end - $start}")" "$(wc -l <"$tmp/out-$1")" "$(grep -c 'warning:' "$tmp/out-$1" || true)" \
    "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
}
echo "first build, empty GOCACHE, $(nproc) CPUs, $(go version | cut -d' ' -f3)"
measure "default CGO_CFLAGS" "-O2 -g"
measure "Makefile CGO_CFLAGS" "-O2 -g -Wno-deprecated-declarations"
make -s build >/dev/null 2>&1
start=$(date +%s.%N)
make -s build >/dev/null 2>&1
end=$(date +%s.%N)
printf '%-28s %6.1f s wall\n' "make build, nothing changed" "$(awk "BEGIN{print $end - $start}")"
