#!/usr/bin/env bash
# Assembles every PTX module gpubench embeds with NVIDIA's ptxas, for every
# architecture the module may run on, and fails on any error. Prints (and
# writes to .bin/ptxas-report.txt) registers, spills and stack per kernel per
# architecture: what the driver's JIT will do on a real GPU, checked here
# without one.
#
# ptxas comes from Debian's non-free archive (package nvidia-cuda-toolkit,
# trixie: CUDA 12.4, which knows sm_90a). It is fetched with `apt-get
# download` using a private sources list and package lists under .bin/, so
# the system's apt configuration is never touched, and cached as
# .bin/ptxas/ptxas. perwatt itself needs no CUDA toolkit; this is a test tool.
#
# Without apt-get or the archive the check is skipped with a message, except
# with CI set, where it fails.
#
#   scripts/ptxas-check.sh            # all modules in gpubench/ptx
#   PTXAS=/usr/bin/ptxas scripts/ptxas-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

root="$PWD/.bin/ptxas"
suite="${PTXAS_SUITE:-trixie}"
mirror="${PTXAS_MIRROR:-http://deb.debian.org/debian}"
ptxas="${PTXAS:-$root/ptxas}"

unavailable() {
  if [ -n "${CI:-}" ]; then
    echo "ptxas-check: FAIL: $*" >&2
    exit 1
  fi
  echo "ptxas-check: skipped: $* (set CI to make this fatal)" >&2
  exit 0
}

fetch_ptxas() {
  command -v apt-get >/dev/null 2>&1 || unavailable "no apt-get to fetch nvidia-cuda-toolkit"
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  if [ ! -r "$keyring" ]; then
    # Not Debian (e.g. Ubuntu): the keyring is a package there too.
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
    $sudo apt-get install -y -qq debian-archive-keyring >&2 || true
  fi
  [ -r "$keyring" ] || unavailable "no $keyring to check the Debian archive's signature"
  local apt="$root/apt"
  rm -rf "$apt"
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/etc/preferences.d" "$apt/dl"
  echo "deb [signed-by=$keyring] $mirror $suite non-free" >"$apt/etc/sources.list"
  local opts=(-o "Dir::Etc::sourcelist=$apt/etc/sources.list" -o "Dir::Etc::sourceparts=-"
    -o "Dir::Etc::preferencesparts=$apt/etc/preferences.d"
    -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
    -o "Debug::NoLocking=1" -o "APT::Sandbox::User=$(id -un)" -qq)
  local t0=$SECONDS
  apt-get "${opts[@]}" update >&2 || unavailable "apt-get update from $mirror $suite non-free failed"
  (cd "$apt/dl" && apt-get "${opts[@]}" download nvidia-cuda-toolkit >&2) ||
    unavailable "apt-get download nvidia-cuda-toolkit ($suite non-free) failed"
  local deb
  deb=$(ls "$apt"/dl/nvidia-cuda-toolkit_*.deb)
  local size
  size=$(stat -c %s "$deb")
  mkdir -p "$apt/x"
  if command -v dpkg-deb >/dev/null 2>&1; then
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$apt/x" ./usr/bin/ptxas
  else
    (cd "$apt/x" && ar x "$deb" && tar -xf data.tar.* ./usr/bin/ptxas)
  fi
  install -m 0755 "$apt/x/usr/bin/ptxas" "$root/ptxas.new"
  mv "$root/ptxas.new" "$root/ptxas"
  echo "ptxas-check: fetched $(basename "$deb") ($((size / 1000000)) MB) in $((SECONDS - t0)) s" >&2
  rm -rf "$apt"
}

mkdir -p "$root"
if [ -z "${PTXAS:-}" ] && ! "$ptxas" --version >/dev/null 2>&1; then
  fetch_ptxas
fi
"$ptxas" --version >/dev/null 2>&1 || unavailable "$ptxas does not run"
version=$("$ptxas" --version | sed -n 's/.*release \([0-9.]*\), \(V[0-9.]*\).*/\1 (\2)/p')

# Architectures a module is assembled for: every one at or above its
# .target, up to Hopper; an arch-specific target (sm_90a) only for itself.
all_archs="sm_70 sm_75 sm_80 sm_86 sm_89 sm_90"
archs_for() {
  local target=$1
  case $target in
  *a) echo "$target"; return ;;
  esac
  local min=${target#sm_} out=""
  for a in $all_archs; do
    [ "${a#sm_}" -ge "$min" ] && out="$out $a"
  done
  echo "$out"
}

report="$PWD/.bin/ptxas-report.txt"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
{
  echo "ptxas $version"
  printf '%-14s %-22s %-7s %5s %6s %6s %6s\n' MODULE KERNEL ARCH REGS STACK SPILL_ST SPILL_LD
} >"$tmp/report"
for ptx in gpubench/ptx/*.ptx; do
  target=$(awk '$1 == ".target" { sub(/,.*/, "", $2); print $2; exit }' "$ptx")
  [ -n "$target" ] || { echo "ptxas-check: $ptx has no .target" >&2; fail=1; continue; }
  for arch in $(archs_for "$target"); do
    if ! "$ptxas" -arch="$arch" -v -o "$tmp/out.cubin" "$ptx" >"$tmp/log" 2>&1; then
      echo "ptxas-check: FAIL: $ptx for $arch:" >&2
      sed 's/^/  /' "$tmp/log" >&2
      fail=1
      continue
    fi
    if grep -qi 'warning' "$tmp/log"; then
      echo "ptxas-check: FAIL: $ptx for $arch has warnings:" >&2
      grep -i warning "$tmp/log" | sed 's/^/  /' >&2
      fail=1
    fi
    awk -v mod="$(basename "$ptx" .ptx)" -v arch="$arch" '
      /Compiling entry function/ { fn = $0; sub(/.*function .(\047)?/, "", fn); sub(/\047.*/, "", fn) }
      /bytes stack frame/ { stack = $1; st = $5; ld = $9 }
      /Used [0-9]+ registers/ && fn != "" {
        for (i = 1; i <= NF; i++) if ($i == "Used") regs = $(i + 1)
        printf "%-14s %-22s %-7s %5s %6s %6s %6s\n", mod, fn, arch, regs, stack, st, ld
        fn = ""
      }' "$tmp/log" >>"$tmp/report"
  done
done
cat "$tmp/report"
cp "$tmp/report" "$report"
if [ "$fail" -ne 0 ]; then
  echo "ptxas-check: FAIL (ptxas $version)" >&2
  exit 1
fi
echo "ptxas-check: ok, every module assembles for every architecture it claims (ptxas $version)"
