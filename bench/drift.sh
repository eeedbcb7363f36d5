#!/usr/bin/env bash
# Drift benchmark (docs/BENCHMARKS.md): generates a 1M-row reference and a 3M-row current window of
# 100 numeric features into bench/target/drift-data once, then times DriftCalculator.compute over
# them (median of --runs).
# Examples: bench/drift.sh                                    # the target's sizes
#           bench/drift.sh --reference-rows 100k --current-rows 300k --runs 3   # quick run
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
exec java ${BENCH_JAVA_OPTS:-} -cp "$classpath" io.hindsight.bench.server.DriftBenchmark "$@"
