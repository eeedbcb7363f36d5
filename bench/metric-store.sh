#!/usr/bin/env bash
# Metric store benchmarks (docs/BENCHMARKS.md, "Metric store"). Builds the bench module if needed.
# Examples: bench/metric-store.sh series                       # 90-day hourly series, API and SQL
#           bench/metric-store.sh refresh --rate 30000 --duration 4m   # CPU of keeping metrics fresh
case "${1:-}" in
  series) main=io.hindsight.bench.server.MetricSeriesBenchmark ;;
  refresh) main=io.hindsight.bench.server.MetricRefreshCost ;;
  *) echo "usage: bench/metric-store.sh series|refresh [options]" >&2; exit 2 ;;
esac
shift
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
exec java ${BENCH_JAVA_OPTS:-} -cp "$classpath" "$main" "$@"
