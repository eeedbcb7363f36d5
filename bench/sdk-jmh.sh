#!/usr/bin/env bash
# JMH benchmark of the SDK hot path (scope + 20 logs + close), SampleTime percentiles and -prof gc.
# Extra arguments go to JMH, e.g. bench/sdk-jmh.sh -wi 1 -i 3 -r 1s  (a short run).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
exec java -cp "$classpath" org.openjdk.jmh.Main 'io.hindsight.bench.sdk.*' -prof gc "$@"
