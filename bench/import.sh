#!/usr/bin/env bash
# Import throughput (docs/BENCHMARKS.md, "Import"): a Hive-layout tree as Parquet and as CSV, read only, as a server-side job and over HTTP. Example: bench/import.sh --rows 1000000 --runs 3
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
exec java ${BENCH_JAVA_OPTS:-} -cp "$classpath" io.hindsight.bench.server.ImportBenchmark "$@"
