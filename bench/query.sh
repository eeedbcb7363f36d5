#!/usr/bin/env bash
# Point-lookup and on-disk-size benchmark (docs/BENCHMARKS.md). Builds the bench module if needed,
# fills bench/target/query-data with --records records per id style (default 10,000,000) through a
# server in a child JVM, then measures lookups and bytes per record.
# Examples: bench/query.sh --records 200000 --data-dir /tmp/q   # quick run
#           bench/query.sh --reuse bench/target/query-data      # measure an existing fill again
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jar="$(ls bench/target/hindsight-bench-*.jar 2>/dev/null | grep -v -e sources -e javadoc | head -1 || true)"
if [[ -z "$jar" ]] || [[ -n "$(find . -path '*/target' -prune -o \( -name '*.java' -o -name 'pom.xml' \) -newer "$jar" -print -quit)" ]]; then
  echo "Building the bench module..." >&2
  mvn -q -B -DskipTests -pl bench -am package >&2
  jar="$(ls bench/target/hindsight-bench-*.jar | grep -v -e sources -e javadoc | head -1)"
fi
exec java ${BENCH_JAVA_OPTS:-} -cp "$jar:bench/target/lib/*" io.hindsight.bench.server.QueryBenchmark "$@"
