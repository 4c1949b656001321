#!/usr/bin/env bash
# One shot on a freshly lent GPU machine, so its few minutes go to
# measuring, not debugging:
#   1. the driver: every libcuda and NVML symbol perwatt calls, present or not;
#   2. every kernel alone without power sampling, then alone with it
#      (DURATION steady windows), with nvidia-smi tracing 100 ms beside;
#   3. one line per kernel: rate without/with power, % of peak, % of the
#      mma.sync ceiling, energy-counter vs sampled vs nvidia-smi watts,
#      the energy counter's resolution, SM clock, power drift, throttles.
# Everything lands in OUT (default $OUT, else /tmp/gpu-first-run).
#
# Build here, run there (no Go needed on the GPU machine):
#   make build && go build -o bin/gpufirstrun ./scripts/gpufirstrun
#   scripts/gpu-first-run.sh            # with bin/ carried to the machine
# About 4 minutes with the defaults on one GPU.
set -uo pipefail
cd "$(dirname "$0")/.."

out="${OUT:-/tmp/gpu-first-run}"
perwatt="${PERWATT:-bin/perwatt}"
summary="${SUMMARY:-bin/gpufirstrun}"
duration="${DURATION:-10s}"
warmup="${WARMUP:-10s}"           # before each window with power
bare_warmup="${BARE_WARMUP:-3s}"  # before each window without
mkdir -p "$out"
exec > >(tee "$out/first-run.log") 2>&1

if [ ! -x "$perwatt" ] || [ ! -x "$summary" ]; then
  if command -v go >/dev/null 2>&1; then
    go build -o "$perwatt" ./cmd/perwatt && go build -o "$summary" ./scripts/gpufirstrun || exit 1
  else
    echo "first-run: no $perwatt or $summary and no Go to build them; build them here and carry bin/" >&2
    exit 1
  fi
fi

echo "== host $(date -u +%FT%TZ)"
uname -srm
nvidia-smi --query-gpu=index,name,pci.bus_id,driver_version,power.limit,clocks.max.sm,clocks.max.mem --format=csv || true
nvidia-smi -q >"$out/nvidia-smi-q.txt" 2>&1 || true

# has_symbols LIB SYM...: prints MISSING for each symbol LIB does not export.
has_symbols() {
  local lib=$1 path
  shift
  path=$(ldconfig -p 2>/dev/null | awk -v l="$lib" '$1 == l { print $NF; exit }')
  [ -n "$path" ] || { echo "  $lib: not found by ldconfig"; return 1; }
  echo "  $lib -> $(readlink -f "$path")"
  local have
  if command -v nm >/dev/null 2>&1; then
    have=$(nm -D --defined-only "$path" | awk '{ sub(/@.*/, "", $NF); print $NF }')
  elif command -v python3 >/dev/null 2>&1; then
    have=$(python3 -c 'import ctypes, sys
l = ctypes.CDLL(sys.argv[1])
for s in sys.argv[2:]:
    try:
        getattr(l, s); print(s)
    except AttributeError:
        pass' "$path" "$@")
  else
    echo "  no nm or python3 to list symbols"; return 1
  fi
  local missing=0 s
  for s in "$@"; do
    grep -qx "$s" <<<"$have" || { echo "  MISSING $s"; missing=1; }
  done
  [ "$missing" -eq 0 ] && echo "  all $# symbols present"
  return 0
}

echo "== driver symbols"
# The CUDA list is the one the binding resolves; the NVML list is what the
# collector calls through go-nvml (clocks-event reasons: R535 and later,
# the throttle-reasons name before).
mapfile -t cuda_syms < <(grep -o '"cu[A-Za-z0-9_]*"' gpubench/cuda_linux.go | tr -d '"' | sort -u)
has_symbols libcuda.so.1 "${cuda_syms[@]}"
has_symbols libnvidia-ml.so.1 nvmlInit_v2 nvmlShutdown nvmlDeviceGetCount_v2 nvmlDeviceGetHandleByIndex_v2 \
  nvmlDeviceGetUUID nvmlDeviceGetName nvmlDeviceGetPciInfo_v3 nvmlDeviceGetMaxClockInfo nvmlDeviceGetMemoryInfo \
  nvmlDeviceGetPowerUsage nvmlDeviceGetTotalEnergyConsumption nvmlDeviceGetFieldValues \
  nvmlDeviceGetEnforcedPowerLimit nvmlDeviceGetUtilizationRates nvmlDeviceGetClockInfo nvmlDeviceGetTemperature \
  nvmlDeviceGetPerformanceState nvmlDeviceGetCurrentClocksEventReasons nvmlDeviceGetCurrentClocksThrottleReasons

echo "== perwatt sees"
"$perwatt" bench gpu --list-devices || { echo "first-run: perwatt cannot open the GPU; stopping"; exit 1; }

# nvidia-smi beside the runs; the reasons field was renamed in R535.
smi_fields="timestamp,index,power.draw,clocks.sm,temperature.gpu"
reasons=clocks_event_reasons.active
nvidia-smi --query-gpu="$smi_fields,$reasons" --format=csv,noheader,nounits >/dev/null 2>&1 || reasons=clocks_throttle_reasons.active
nvidia-smi --query-gpu="$smi_fields,$reasons" --format=csv,noheader,nounits -lms 100 >"$out/smi.csv" 2>"$out/smi.err" &
smi=$!
trap 'kill "$smi" 2>/dev/null' EXIT

kernels=$("$summary" -kernels)
for k in $kernels; do
  echo "== $k without power ($bare_warmup warm-up, $duration)"
  "$perwatt" bench gpu --json --market none --no-power --kernels "$k" --duration "$duration" --warmup "$bare_warmup" \
    >"$out/nopower-$k.json" 2>"$out/nopower-$k.err"
  echo "   exit $?"
done
for k in $kernels; do
  echo "== $k with power ($warmup warm-up, $duration)"
  start=$(date +%s.%N)
  "$perwatt" bench gpu --json --market none --kernels "$k" --duration "$duration" --warmup "$warmup" \
    >"$out/power-$k.json" 2>"$out/power-$k.err"
  rc=$?
  echo "$start $(date +%s.%N)" >"$out/window-$k.txt"
  echo "   exit $rc"
done
kill "$smi" 2>/dev/null
wait "$smi" 2>/dev/null

echo "== summary (watts: ENERGY_W energy counter, SAMPLE_W NVML 100 ms samples, SMI_W nvidia-smi beside; ±E%: counter resolution; * provisional ceiling)"
"$summary" "$out" | tee "$out/summary.txt"
