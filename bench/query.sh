#!/usr/bin/env bash
# Point-lookup and on-disk-size benchmark (docs/BENCHMARKS.md). Builds the bench module if needed,
# fills bench/target/query-data with --records records per id style (default 10,000,000) through a
# server in a child JVM, then measures lookups and bytes per record.
# Examples: bench/query.sh --records 200000 --data-dir /tmp/q   # quick run
#           bench/query.sh --reuse bench/target/query-data      # measure an existing fill again
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
exec java ${BENCH_JAVA_OPTS:-} -cp "$classpath" io.hindsight.bench.server.QueryBenchmark "$@"
