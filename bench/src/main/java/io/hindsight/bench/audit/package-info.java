/**
 * Audit trail benchmarks (DESIGN §12, docs/BENCHMARKS.md): inclusion and consistency proofs in a
 * very large log, and {@code audit verify} throughput over a data folder.
 */
package io.hindsight.bench.audit;
