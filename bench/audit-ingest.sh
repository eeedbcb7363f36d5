#!/usr/bin/env bash
# Audited against unaudited ingest throughput (docs/BENCHMARKS.md): runs bench/load.sh twice on
# fresh servers, once plain and once with the endpoint audited, and prints both and the ratio.
# Example: bench/audit-ingest.sh --duration 20s --warmup 60s   (steady state: the JIT needs about a
# minute of full load on 2 cores to compile the SHA-256 path with the processor's instructions)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf 'audit:\n  endpoints:\n    bench-fraud:\n      enabled: true\n' > "$work/audited.yaml"
bench/load.sh "$@" > "$work/plain.txt"
bench/load.sh --server-config "$work/audited.yaml" "$@" > "$work/audited.txt"
for run in plain audited; do
  echo "$run: $(grep -E '^(RESULT|SERVER_CPU)' "$work/$run.txt" | tr '\n' ' ')"
done
awk '/^RESULT/ {split($2, kv, "="); r[FILENAME] = kv[2]} END {
  printf "ratio audited/plain: %.2f\n", r[ARGV[2]] / r[ARGV[1]] }' "$work/plain.txt" "$work/audited.txt"
