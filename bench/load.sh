#!/usr/bin/env bash
# Ingest load benchmark (docs/BENCHMARKS.md). Builds the bench module if needed, then runs the load
# generator against a server it starts in a child JVM (or against --url if given).
# Examples: bench/load.sh                      # max throughput, 4 clients, 60 s
#           bench/load.sh --rate 50000         # ack latency at 50,000 records/s
#           bench/load.sh --freshness --rate 50000
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jar="$(ls bench/target/hindsight-bench-*.jar 2>/dev/null | grep -v -e sources -e javadoc | head -1 || true)"
if [[ -z "$jar" ]] || [[ -n "$(find . -path '*/target' -prune -o \( -name '*.java' -o -name 'pom.xml' \) -newer "$jar" -print -quit)" ]]; then
  echo "Building the bench module..." >&2
  mvn -q -B -DskipTests -pl bench -am package >&2
  jar="$(ls bench/target/hindsight-bench-*.jar | grep -v -e sources -e javadoc | head -1)"
fi
start=(--start-server)
for a in "$@"; do [[ "$a" == --url || "$a" == --url=* ]] && start=(); done
exec java ${BENCH_JAVA_OPTS:-} -cp "$jar:bench/target/lib/*" io.hindsight.bench.server.LoadGenerator "${start[@]}" "$@"
