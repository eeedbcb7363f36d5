#!/usr/bin/env bash
# Sustained load through the Java SDK (docs/BENCHMARKS.md, "SDK"): application threads open
# prediction scopes at a fixed rate; against a live server in a child JVM (checked by SQL: zero loss,
# zero duplicates) or with the server down (everything must be spooled). Builds the bench module if needed.
# Examples: bench/sdk-load.sh                                   # live server, 50,000/s, 60 s
#           bench/sdk-load.sh --server down --drain             # all spooled, then replayed into a server
#           bench/sdk-load.sh --rate 20000 --duration 10s --warmup 5s
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
exec java ${BENCH_JAVA_OPTS:-} -cp "$classpath" io.hindsight.bench.sdk.SdkLoad "$@"
