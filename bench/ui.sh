#!/usr/bin/env bash
# What the web UI's pages cost the server over 10M records (docs/BENCHMARKS.md, "Web UI").
# Example: bench/ui.sh --records 10000000 --days 90     (add --reuse true to skip the fill)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
exec java ${BENCH_JAVA_OPTS:-} -cp "$classpath" io.hindsight.bench.server.UiBenchmark "$@"
