#!/usr/bin/env bash
# Measures what `perwatt agent` costs beside Telegraf, all in one run:
#   telegraf  Telegraf (inputs cpu per core + total, mem, system, temp every
#             1 s -> outputs.file)
#   base      perwatt doing the same set: CPU per core + total, memory,
#             load/uptime, temperatures ([collectors.host] skip = every
#             other part)
#   full      perwatt with the whole host collector as shipped (disk I/O
#             and network every round; disk space, processes, pressure,
#             vmstat, CPU frequency every 10 s)
# All three run at once, each writing to a file every 1 s (perwatt through
# its durable spool, default sync = "batch"), so machine load hits them
# alike. CPU is on-CPU nanoseconds of all threads (/proc/PID/task/*/schedstat)
# and utime+stime ticks over MEASURE seconds after WARMUP seconds; memory is
# VmRSS and VmHWM at the end. Ratios are perwatt / Telegraf.
#   scripts/footprint.sh                       # 10 s warm-up, 120 s measured
#   WARMUP=5 MEASURE=30 scripts/footprint.sh
#   TELEGRAF_BIN=/path/to/telegraf scripts/footprint.sh
#   PERWATT_BEFORE_BIN=/tmp/perwatt-old scripts/footprint.sh   # also an older
#       build ("before"), e.g. from git archive <commit>, on the same set
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${PERWATT_BIN:-$root/bin/perwatt}
telegraf=${TELEGRAF_BIN:-$root/.bin/telegraf}
warmup=${WARMUP:-10}
measure=${MEASURE:-120}
[ -x "$bin" ] || { echo "footprint: $bin missing; run make build" >&2; exit 1; }
[ -x "$telegraf" ] || { echo "footprint: $telegraf missing; run make footprint (it builds Telegraf)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/perwatt-footprint.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do
    if kill -0 "$p" 2>/dev/null; then kill "$p"; wait "$p" 2>/dev/null || true; fi
  done
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

perwatt_config() { # name, extra host keys[, "old" for a build without [collectors.ipmi]]
  local ipmi=$'[collectors.ipmi]\nenabled = false'
  [ "${3:-}" = old ] && ipmi=""
  cat >"$tmp/$1.toml" <<CFG
[agent]
interval = "1s"
jitter = "0s"
output = "$tmp/$1.lp"
[spool]
dir = "$tmp/$1-spool"
[collectors.host]
enabled = true
interval = "1s"
per_cpu = true
$2
[collectors.nvml]
enabled = false
[collectors.rapl]
enabled = false
$ipmi
[collectors.asic]
enabled = false
CFG
}
perwatt_config base 'skip = ["diskio", "net", "disk", "processes", "pressure", "vmstat", "cpufreq"]'
perwatt_config full ''
cat >"$tmp/telegraf.conf" <<CFG
[agent]
  interval = "1s"
  round_interval = true
  flush_interval = "10s"
  omit_hostname = false
[[inputs.cpu]]
  percpu = true
  totalcpu = true
[[inputs.mem]]
[[inputs.system]]
[[inputs.temp]]
[[outputs.file]]
  files = ["$tmp/telegraf.lp"]
  data_format = "influx"
CFG

names=(telegraf base full)
bins=("$telegraf" "$bin" "$bin")
"$telegraf" --config "$tmp/telegraf.conf" --quiet 2>"$tmp/telegraf.log" & pids+=($!)
"$bin" agent --config "$tmp/base.toml" --log-level warn 2>"$tmp/base.log" & pids+=($!)
"$bin" agent --config "$tmp/full.toml" --log-level warn 2>"$tmp/full.log" & pids+=($!)
if [ -n "${PERWATT_BEFORE_BIN:-}" ]; then
  perwatt_config before '' old
  names+=(before); bins+=("$PERWATT_BEFORE_BIN")
  "$PERWATT_BEFORE_BIN" agent --config "$tmp/before.toml" --log-level warn 2>"$tmp/before.log" & pids+=($!)
fi
n=${#pids[@]}
sleep "$warmup"
for ((i = 0; i < n; i++)); do
  kill -0 "${pids[$i]}" 2>/dev/null || { echo "footprint: ${names[$i]} exited:" >&2; cat "$tmp/${names[$i]}.log" >&2; exit 1; }
done

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { printf "%d", s }'; }
status() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
lines() { cat "$tmp/$1"*.lp 2>/dev/null | wc -l; }
hz=$(getconf CLK_TCK)
declare -A t0 n0 l0 t1 n1 l1 rss hwm anon
for ((i = 0; i < n; i++)); do p=${pids[$i]}; t0[$i]=$(ticks "$p"); n0[$i]=$(cpu_ns "$p"); l0[$i]=$(lines "${names[$i]}"); done
sleep "$measure"
for ((i = 0; i < n; i++)); do
  p=${pids[$i]}; t1[$i]=$(ticks "$p"); n1[$i]=$(cpu_ns "$p"); l1[$i]=$(lines "${names[$i]}")
  rss[$i]=$(status "$p" VmRSS); hwm[$i]=$(status "$p" VmHWM); anon[$i]=$(status "$p" RssAnon)
done

pct() { awk -v d="$1" -v s="$measure" 'BEGIN { printf "%.3f", 100 * d / 1e9 / s }'; }
echo "footprint: host collection every 1 s to a file, all side by side, ${measure} s after ${warmup} s warm-up"
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
printf '  %-9s %10s %15s %9s %9s %9s %11s %7s\n' "" "cpu % (ns)" "ticks@${hz}Hz" "VmRSS" "VmHWM" "RssAnon" "executable" "lines"
for ((i = 0; i < n; i++)); do
  printf '  %-9s %10s %15s %9s %9s %9s %11s %7s\n' "${names[$i]}" "$(pct $((n1[$i] - n0[$i])))" "$((t1[$i] - t0[$i]))" \
    "$(mib "${rss[$i]}")M" "$(mib "${hwm[$i]}")M" "$(mib "${anon[$i]}")M" "$(mib $(($(stat -c %s "${bins[$i]}") / 1024)))M" "$((l1[$i] - l0[$i]))"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
tcpu=$((n1[0] - n0[0]))
for ((i = 1; i < n; i++)); do
  echo "  ${names[$i]} / telegraf: CPU $(ratio $((n1[$i] - n0[$i])) "$tcpu")x, RSS $(ratio "${rss[$i]}" "${rss[0]}")x   (target <= 0.50x both)"
done
