#!/usr/bin/env bash
# Ingest load benchmark (docs/BENCHMARKS.md). Builds the bench module if needed, then runs the load
# generator against a server it starts in a child JVM (or against --url if given).
# Examples: bench/load.sh                      # max throughput, 4 clients, 60 s
#           bench/load.sh --rate 50000         # ack latency at 50,000 records/s
#           bench/load.sh --freshness --rate 50000
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
start=(--start-server)
for a in "$@"; do [[ "$a" == --url || "$a" == --url=* ]] && start=(); done
exec java ${BENCH_JAVA_OPTS:-} -cp "$classpath" io.hindsight.bench.server.LoadGenerator "${start[@]}" "$@"
