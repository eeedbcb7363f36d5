#!/usr/bin/env bash
# Median latency of small queries through POST /v1/query, against a running server
# (docs/BENCHMARKS.md, "Query latency"). Loads 5,000 small records into endpoint 'latency' once,
# then times each query RUNS times with curl after 5 warm-up runs.
# Usage: bench/query-latency.sh [URL] [RUNS]     (defaults: http://127.0.0.1:7070, 30)
set -euo pipefail
url="${1:-http://127.0.0.1:7070}"
runs="${2:-30}"

python3 -c 'import json; print(json.dumps([{"data": {"i": i, "score": i / 5000}} for i in range(5000)]))' |
  curl -sf -o /dev/null -H 'Content-Type: application/json' --data-binary @- "$url/v1/endpoints/latency/predictions"
until [[ "$(curl -sf -H 'Content-Type: application/json' -H 'Accept: text/csv' \
  -d '{"sql": "SELECT count(*) AS n FROM predictions WHERE endpoint = '"'latency'"'"}' "$url/v1/query" | tail -1 | tr -d '\r')" -ge 5000 ]]; do
  sleep 0.2
done

median_ms() { # body
  local times=()
  for ((k = 0; k < 5 + runs; k++)); do
    t="$(curl -sf -o /dev/null -w '%{time_total}' -H 'Content-Type: application/json' -d "$1" "$url/v1/query")"
    ((k >= 5)) && times+=("$t")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", 1000 * (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'
}

echo "SELECT 1: $(median_ms '{"sql": "SELECT 1"}') ms"
echo "count over 5,000 rows: $(median_ms '{"sql": "SELECT count(*), avg(score) FROM predictions WHERE endpoint = '"'latency'"'"}') ms"
echo "100,000-row result (JSON): $(median_ms '{"sql": "SELECT i, i * 0.5 AS half, '"'row-'"' || i AS label FROM range(100000) t(i)", "limit": 100000}') ms"
