#!/usr/bin/env bash
# JMH benchmark of the ingest request path without HTTP (IngestPathBenchmark): ns per record of a
# 500-record fraud body read, checked, encoded and appended to a write-ahead log on /dev/shm.
# Extra arguments go to JMH, e.g. bench/ingest-jmh.sh -wi 2 -i 3   (a short run).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
exec java -cp "$classpath" org.openjdk.jmh.Main 'io.hindsight.bench.server.IngestPathBenchmark' \
  -jvmArgsAppend -Djava.io.tmpdir=/dev/shm -prof gc "$@"
