# Sourced by the bench/*.sh scripts: moves to the repository root and sets $classpath to the bench
# module's jar and its dependencies, building the module first when it is missing or older than
# any source or pom.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bench_jar() {
  ls bench/target/hindsight-bench-*.jar 2>/dev/null | grep -v -e sources -e javadoc | head -1 || true
}
jar="$(bench_jar)"
if [[ -z "$jar" ]] || [[ -n "$(find . -path '*/target' -prune -o \( -name '*.java' -o -name 'pom.xml' \) -newer "$jar" -print -quit)" ]]; then
  echo "Building the bench module..." >&2
  mvn -q -B -DskipTests -pl bench -am package >&2
  jar="$(bench_jar)"
  touch "$jar" # the jar plugin leaves an up-to-date jar as it was; mark it as checked
fi
classpath="$jar:bench/target/lib/*"
