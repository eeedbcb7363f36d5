#!/usr/bin/env bash
# Point-lookup and on-disk-size benchmark (docs/BENCHMARKS.md). Builds the bench module if needed,
# fills a data folder with --records records per id style (default 10,000,000), then measures
# lookups (GET with and without ?date=, SQL with and without date) and bytes per record. The fill
# sends a seed of 16,000 records per endpoint through a server in a child JVM and writes the rest
# as Parquet straight into the lake (--fill generate, the default; about 1.3 min per 2M records
# here), or sends every record through the ingest API (--fill http).
# Examples: bench/query.sh --records 200000 --rows-per-file 100000 --data-dir /tmp/q   # quick run
#           bench/query.sh --records 50000000 --data-dir /tmp/q100m                   # 100M records
#           bench/query.sh --reuse /tmp/q100m --lookups 200 --runs 3                   # measure again
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
exec java ${BENCH_JAVA_OPTS:-} -cp "$classpath" io.hindsight.bench.server.QueryBenchmark "$@"
