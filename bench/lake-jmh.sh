#!/usr/bin/env bash
# JMH benchmark of the way from the log to Parquet (LakeWriteBenchmark): ns per row of 20,000 fraud
# records written to a lake file, to a fresh file for queries, or to a fresh file and then the lake.
# Extra arguments go to JMH, e.g. bench/lake-jmh.sh -p path=lake -wi 1 -i 3   (a short run).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
exec java -cp "$classpath" org.openjdk.jmh.Main 'io.hindsight.bench.server.LakeWriteBenchmark' \
  -jvmArgsAppend '-Djava.io.tmpdir=/dev/shm --add-opens=java.base/java.nio=ALL-UNNAMED' "$@"
