#!/usr/bin/env bash
# Audited against unaudited ingest throughput (docs/BENCHMARKS.md): runs bench/load.sh twice on
# fresh servers, once plain and once with the endpoint audited, and prints the ratio.
# Example: bench/audit-ingest.sh --duration 30s
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
config="$(mktemp --suffix=.yaml)"
trap 'rm -f "$config"' EXIT
printf 'audit:\n  endpoints:\n    bench-fraud:\n      enabled: true\n' > "$config"
plain="$(bench/load.sh "$@" | tee /dev/stderr | awk '/^throughput:/ {gsub(",", "", $2); print $2}')"
audited="$(bench/load.sh --server-config "$config" "$@" | tee /dev/stderr | awk '/^throughput:/ {gsub(",", "", $2); print $2}')"
echo "unaudited ${plain} records/s, audited ${audited} records/s, ratio $(awk -v a="$audited" -v p="$plain" 'BEGIN {printf "%.2f", a / p}')"
