#!/usr/bin/env bash
# Ingest throughput measured by wrk, an independent load tool (docs/BENCHMARKS.md), beside
# bench/load.sh: starts a server on a fresh data folder, has wrk POST batches of 500 fraud records
# over 4 connections, and prints wrk's figures and the records a second they make.
# Example: bench/wrk.sh --duration 30s
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
duration=30s
connections=4
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    *) echo "usage: bench/wrk.sh [--duration 30s] [--connections 4]" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
work="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
java -cp "$classpath" io.hindsight.bench.server.WrkBodies --batch 500 --bodies 50 --out "$work/bodies"
java --add-opens=java.base/java.nio=ALL-UNNAMED ${BENCH_SERVER_OPTS:-} -cp "$classpath" io.hindsight.bench.server.ServerMain --data-dir "$work/data" --port "$port" \
  > "$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do
  kill -0 $server 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.2
done
BODIES_DIR="$work/bodies" BODIES=50 wrk -t 2 -c "$connections" -d "$duration" --latency \
  -s bench/wrk/post-batches.lua "http://127.0.0.1:$port/v1/endpoints/bench-fraud/predictions" | tee "$work/wrk.txt"
awk '/Requests\/sec/ {printf "records/s: %.0f (500 records a request)\n", $2 * 500}' "$work/wrk.txt"
