#!/usr/bin/env bash
# Measures what `perwatt agent` costs on this host, the way the agent issue
# measured Telegraf 1.37.2 (inputs cpu, mem, system, temp every 1 s ->
# outputs.file: 0.15% of one core, 23.8 MB RSS): host collection every 1 s,
# per-CPU and total, memory, load, temperatures, written as line protocol to
# a file through the spool. CPU is utime+stime ticks from /proc/PID/stat over
# MEASURE seconds after WARMUP seconds; memory is VmRSS and VmHWM at the end.
#   scripts/footprint.sh                 # 10 s warm-up, 120 s measured
#   WARMUP=5 MEASURE=30 scripts/footprint.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${PERWATT_BIN:-$root/bin/perwatt}
warmup=${WARMUP:-10}
measure=${MEASURE:-120}
[ -x "$bin" ] || { echo "footprint: $bin missing; run make build" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/perwatt-footprint.XXXXXX")
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

cat >"$tmp/perwatt.toml" <<CFG
[agent]
interval = "1s"
jitter = "0s"
output = "$tmp/metrics.lp"
[spool]
dir = "$tmp/spool"
[collectors.host]
enabled = true
interval = "1s"
per_cpu = true
[collectors.nvml]
enabled = false
[collectors.rapl]
enabled = false
[collectors.asic]
enabled = false
CFG

"$bin" agent --config "$tmp/perwatt.toml" --log-level warn 2>"$tmp/agent.log" &
pid=$!
sleep "$warmup"
kill -0 "$pid" || { echo "footprint: agent exited:" >&2; cat "$tmp/agent.log" >&2; exit 1; }

ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
# On-CPU nanoseconds of every thread: the same quantity at ns resolution.
cpu_ns() { cat /proc/"$pid"/task/*/schedstat | awk '{ s += $1 } END { printf "%d", s }'; }
status() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status"; }
hz=$(getconf CLK_TCK)
t0=$(ticks); n0=$(cpu_ns); lines0=$(wc -l <"$tmp/metrics.lp")
sleep "$measure"
t1=$(ticks); n1=$(cpu_ns); lines1=$(wc -l <"$tmp/metrics.lp")
rss=$(status VmRSS); hwm=$(status VmHWM); anon=$(status RssAnon); file=$(status RssFile)

cpu=$(awk -v d="$((t1 - t0))" -v hz="$hz" -v s="$measure" 'BEGIN { printf "%.3f", 100 * d / hz / s }')
echo "perwatt agent footprint: host collection every 1 s to a file, ${measure} s after ${warmup} s warm-up"
echo "  cpu        ${cpu}% of one core ($((t1 - t0)) ticks at ${hz} Hz)   target <= 0.075% (Telegraf 0.15%)"
echo "  cpu (ns)   $(awk -v d="$((n1 - n0))" -v s="$measure" 'BEGIN { printf "%.3f", 100 * d / 1e9 / s }')% of one core from /proc/PID/task/*/schedstat"
echo "  VmRSS      $((rss / 1024)).$(( (rss % 1024) * 10 / 1024 )) MiB ($rss kB)   target <= 12 MB (Telegraf 23.8 MB)"
echo "             of which RssAnon $anon kB (heap, stacks), RssFile $file kB (pages of the perwatt executable)"
echo "  VmHWM      $((hwm / 1024)).$(( (hwm % 1024) * 10 / 1024 )) MiB ($hwm kB)"
echo "  lines      $((lines1 - lines0)) written in the window"
