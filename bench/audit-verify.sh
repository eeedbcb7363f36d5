#!/usr/bin/env bash
# audit verify throughput (docs/BENCHMARKS.md): fills a data folder with audited records through
# the ingest API (bench/load.sh), then times the offline verification of it.
# Example: bench/audit-verify.sh 1000000
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
records="${1:-1000000}"
data="$(mktemp -d)"
config="$(mktemp --suffix=.yaml)"
trap 'rm -rf "$data" "$config"' EXIT
printf 'audit:\n  endpoints:\n    bench-fraud:\n      enabled: true\n' > "$config"
bench/load.sh --server-config "$config" --data-dir "$data" --keep-data --records "$records" --warmup 0s >&2
source bench/common.sh
java ${BENCH_JAVA_OPTS:-} -cp "$classpath" io.hindsight.bench.audit.AuditBenchmark verify --data-dir "$data"
