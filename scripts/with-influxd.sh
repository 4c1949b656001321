#!/usr/bin/env bash
# Runs a command against a throwaway InfluxDB 1.8 on a free loopback port:
# installs influxd into ./.bin if missing, starts it with a temporary data
# directory, creates the test database, exports its address, runs "$@", and
# stops the server whatever the command's outcome. Exit status is the command's.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.bin"
influxd="$bin/influxd"
version=v1.8.10

if [ ! -x "$influxd" ]; then
  echo "with-influxd: installing influxd $version into $bin (about a minute, once)" >&2
  GOBIN="$bin" GOFLAGS=-mod=mod go install "github.com/influxdata/influxdb/cmd/influxd@$version"
fi

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 40000 ))
    if port_free "$p"; then echo "$p"; return 0; fi
  done
  echo "with-influxd: no free port found" >&2
  return 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/perwatt-influxd.XXXXXX")
http_port=$(free_port)
rpc_port=$(free_port)
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

export INFLUXDB_REPORTING_DISABLED=true
export INFLUXDB_BIND_ADDRESS="127.0.0.1:$rpc_port"
export INFLUXDB_HTTP_BIND_ADDRESS="127.0.0.1:$http_port"
export INFLUXDB_HTTP_FLUX_ENABLED=true
export INFLUXDB_HTTP_LOG_ENABLED=false
export INFLUXDB_DATA_QUERY_LOG_ENABLED=false
export INFLUXDB_LOGGING_LEVEL=warn
export INFLUXDB_META_DIR="$tmp/meta"
export INFLUXDB_DATA_DIR="$tmp/data"
export INFLUXDB_DATA_WAL_DIR="$tmp/wal"
"$influxd" run >"$tmp/influxd.log" 2>&1 &
pid=$!

url="http://127.0.0.1:$http_port"
for i in $(seq 1 300); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "with-influxd: influxd exited during start-up:" >&2
    cat "$tmp/influxd.log" >&2
    exit 1
  fi
  sleep 0.1
done
# Create the shared test database through the 1.x query endpoint; bash speaks
# enough HTTP over /dev/tcp, so no client needs installing.
create_db() {
  exec 3<>"/dev/tcp/127.0.0.1/$http_port"
  printf 'POST /query?q=CREATE%%20DATABASE%%20perwatt_test HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n' >&3
  local status
  read -r status <&3 || true
  exec 3>&-
  case "$status" in *" 200 "*) return 0 ;; esac
  echo "with-influxd: create database failed: $status" >&2
  return 1
}
create_db

export PERWATT_TEST_INFLUX_URL="$url"
export PERWATT_TEST_INFLUX_BUCKET="perwatt_test/autogen"
export PERWATT_INFLUXD_BIN="$influxd"
echo "with-influxd: InfluxDB $version at $url (data in $tmp)" >&2

set +e
"$@"
status=$?
set -e
if [ $status -ne 0 ] && [ -s "$tmp/influxd.log" ]; then
  echo "with-influxd: last lines of the server log:" >&2
  tail -n 20 "$tmp/influxd.log" >&2
fi
exit $status
