#!/usr/bin/env bash
# Poll a fake fleet of FLEET_RIGS rigs (default 10,000) on loopback
# addresses 127.1.0.1 upward, as one agent would every interval, and print
# rigs/s, the collector's CPU seconds per round (and the share of one core
# that is at a 30 s interval) and its peak RSS. The fake fleet runs in a
# child process so the figures are the collector's alone.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
RIGS=${FLEET_RIGS:-10000}
ROUNDS=${FLEET_ROUNDS:-3}
# One listener per fake rig plus the collector's sockets: raise the
# open-file limit the way a systemd unit does with LimitNOFILE=.
want=$((RIGS * 2 + 1024))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then
  want=$hard
fi
ulimit -n "$want"
echo "fleet: $RIGS rigs, $ROUNDS timed rounds after discovery, open files $(ulimit -n)"
PERWATT_FLEET_RIGS=$RIGS $GO test ./collectors -run '^$' -bench '^BenchmarkASICFleet$' \
  -benchtime "${ROUNDS}x" -count "${FLEET_COUNT:-2}" -timeout 20m
