#!/usr/bin/env bash
# Queries over a lake on S3-compatible storage, answered by a node that follows the store
# (docs/BENCHMARKS.md, "S3 lake"): S3Proxy on a local folder, a writer server that fills the lake
# (--records, default 1M), a following server that downloads it; SQL point lookups and a day's
# aggregate on the follower, medians of --runs runs, and the time from an ack to the follower.
# Example: bench/s3-lake.sh --records 1000000 --runs 5
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
rm -rf bench/target/s3-lake
exec java ${BENCH_JAVA_OPTS:-} -cp "$classpath" io.hindsight.bench.server.S3LakeBenchmark "$@"
