#!/usr/bin/env bash
# Load figure of issue 8: how many simulated robots one machine sustains at a one-minute check-in interval (plus
# telemetry and command polling at the same interval), against a real `fleetward server` on SQLite, and the server's
# memory at that load. For each fleet size it makes a fresh data directory (init + ca init), starts the server as its
# own process, runs `fleetward sim --report` for the given time, samples the server's resident memory every 5 s, and
# prints one JSON line per size (the sim's report plus idle and peak server RSS).
#
# Usage: bench/sim-load/run.sh [DURATION] [SIZE...]      e.g. bench/sim-load/run.sh 5m 250 500 1000
# A size is sustained when the achieved check-ins per second reach the target (devices / 60 s) and the p95 lateness
# (how late robots ran after they were due) stays well below the interval.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
duration="${1:-5m}"
shift || true
sizes=("${@:-250 500 1000}")
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build "$root/src/Fleetward.Cli" -c Release -nologo -v q -clp:ErrorsOnly
cli=(dotnet "$root/src/Fleetward.Cli/bin/Release/net10.0/fleetward.dll")
work="$(mktemp -d /tmp/fleetward-sim-load-XXXXXX)"
server_pid=""
cleanup() { [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null; rm -rf "$work" /dev/shm/fleetward-sim-load-*; }
trap cleanup EXIT
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

for size in ${sizes[*]}; do
  data="$work/data-$size"
  port_operator=$((20000 + RANDOM % 5000)); port_device=$((port_operator + 1))
  token="$("${cli[@]}" init --data "$data" --operator-url "https://127.0.0.1:$port_operator" --device-url "https://127.0.0.1:$port_device" --json \
           | sed -n 's/.*"adminToken": "\(.*\)".*/\1/p')"
  export FLEETWARD_CA_PASSPHRASE="bench root passphrase" FLEETWARD_ISSUING_KEY_PASSPHRASE="bench issuing passphrase"
  "${cli[@]}" ca init --data "$data" --root-key-out "$work/root-key-$size.pem" >/dev/null
  "${cli[@]}" server --data "$data" --log-level Warning >"$work/server-$size.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do curl -sk "https://127.0.0.1:$port_operator/healthz" >/dev/null && break; sleep 0.2; done
  idle="$(rss_kib "$server_pid")"
  peak="$idle"
  (
    while kill -0 "$server_pid" 2>/dev/null; do
      r="$(rss_kib "$server_pid" || echo 0)"; echo "$r"; sleep 5
    done
  ) >"$work/rss-$size" &
  sampler=$!
  report="$("${cli[@]}" sim --data "$data" --server "https://127.0.0.1:$port_operator" --token "$token" --devices "$size" \
            --interval 60s --duration "$duration" --concurrency 64 --report --state "/dev/shm/fleetward-sim-load-$size" | sed -n '/^{/,/^}/p' | tr -d '\n ')"
  kill "$sampler" 2>/dev/null || true
  peak="$(sort -n "$work/rss-$size" | tail -n 1)"
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  echo "{\"size\":$size,\"serverIdleRssMiB\":$((idle / 1024)),\"serverPeakRssMiB\":$((peak / 1024)),\"sim\":$report}"
done
