#!/usr/bin/env bash
# Inclusion and consistency proofs in a large audit log (docs/BENCHMARKS.md): writes the log's hash
# files straight to disk (100M leaves: ~6.4 GB), times proofs of random leaves, deletes the files.
# Example: bench/audit-proofs.sh --leaves 100000000 --dir /tmp/audit-bench
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
exec java ${BENCH_JAVA_OPTS:-} -cp "$classpath" io.hindsight.bench.audit.AuditBenchmark proofs "$@"
