/**
 * Load and query benchmarks against a running Hindsight server over its public HTTP API (DESIGN
 * §4): {@link io.hindsight.bench.server.LoadGenerator} measures ingest throughput, ack latency and
 * freshness; {@link io.hindsight.bench.server.QueryBenchmark} fills a lake and measures point
 * lookups and bytes on disk; {@link io.hindsight.bench.server.MetricSeriesBenchmark} and {@link
 * io.hindsight.bench.server.MetricRefreshCost} measure the metric store's reads and the CPU of its
 * refreshes. The server under test always runs in its own JVM ({@link
 * io.hindsight.bench.server.ServerProcess}) so clients and server do not share a heap or JIT.
 * {@link io.hindsight.bench.server.DriftBenchmark} times the monitor's drift over Parquet windows
 * in process. Results go to {@code docs/BENCHMARKS.md}; these are not tests.
 */
package io.hindsight.bench.server;
