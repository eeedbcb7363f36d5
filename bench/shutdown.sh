#!/usr/bin/env bash
# Shutdown and restart under a backlog (docs/BENCHMARKS.md): fills N records while the lake writer
# is held back (flush interval 1 h), so all of them wait in memory and in the write-ahead log; stops
# the server with SIGTERM and reports how long it took and what it logged; then restarts it and
# reports when it answers and when SQL counts every record.
# Example: bench/shutdown.sh 1000000
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
records="${1:-1000000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf 'lake:\n  flush-interval: PT1H\ningest:\n  max-lake-backlog-bytes: 6000000000\n' > "$work/config.yaml"
opts="-Xmx8g"
bench/load.sh --server-jvm-opts "$opts" --server-config "$work/config.yaml" --data-dir "$work/data" --keep-data \
  --records "$records" --warmup 0s | grep -E 'records/s|server stopped'
grep -E 'stopping:|stopped in|still writing' "$work/data.server.log" | sed 's/^/server log: /'
java -cp "$classpath" io.hindsight.bench.server.RestartBenchmark --data-dir "$work/data" --expect "$records" \
  --server-jvm-opts "$opts" | grep -E 'restart|server stopped'
grep -E 'replayed|backlog' "$work/data.server.log" | tail -3 | sed 's/^/server log: /'
