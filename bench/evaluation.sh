#!/usr/bin/env bash
# Evaluation benchmark (docs/BENCHMARKS.md, "Evaluation"). Builds the bench module if needed,
# generates the Parquet rows once under bench/target/evaluation-data, then times binary evaluation
# (ROC AUC, average precision, CBPE) in the server's code on an in-process DuckDB.
# Examples: bench/evaluation.sh                          # 10,000,000 rows, median of 5 runs
#           bench/evaluation.sh --rows 1000000 --runs 3
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
exec java ${BENCH_JAVA_OPTS:-} -cp "$classpath" io.hindsight.bench.server.EvaluationBenchmark "$@"
