#!/usr/bin/env bash
# Sustained load through the Java SDK (docs/BENCHMARKS.md, "SDK"): application threads open
# prediction scopes at a fixed rate; against a live server in a child JVM (checked by SQL: zero loss,
# zero duplicates) or with the server down (everything must be spooled). Builds the bench module if needed.
# Examples: bench/sdk-load.sh                                   # live server, 50,000/s, 60 s
#           bench/sdk-load.sh --server down --drain             # all spooled, then replayed into a server
#           bench/sdk-load.sh --rate 20000 --duration 10s --warmup 5s
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jar="$(ls bench/target/hindsight-bench-*.jar 2>/dev/null | grep -v -e sources -e javadoc | head -1 || true)"
if [[ -z "$jar" ]] || [[ -n "$(find . -path '*/target' -prune -o \( -name '*.java' -o -name 'pom.xml' \) -newer "$jar" -print -quit)" ]]; then
  echo "Building the bench module..." >&2
  mvn -q -B -DskipTests -pl bench -am package >&2
  jar="$(ls bench/target/hindsight-bench-*.jar | grep -v -e sources -e javadoc | head -1)"
fi
exec java ${BENCH_JAVA_OPTS:-} -cp "$jar:bench/target/lib/*" io.hindsight.bench.sdk.SdkLoad "$@"
